"""The contract every ``ISearchIndex`` backend honours (embedded, Solr).

A backend's test module subclasses ``SearchIndexContract`` and provides a
``search_index`` fixture: an empty index, closed afterwards. Assertions are
on ids, relative order and facet counts, never on raw scores, so the Solr
backend must reproduce them exactly on these records.
"""
import unicodedata
from collections import Counter

import pytest

from federation.analysis import sort_key
from federation.interfaces import ISearchIndex
from federation.records import (
    MAX_ROWS, MAX_WINDOW, YEAR_RANGES, Holding, QueryError, Record, SearchQuery,
)


def H(library, items=1, available=0, call_number=""):
    return Holding(library=library, items=items, available=available, call_number=call_number)


def R(id, title, year=None, authors=(), subjects=(), holdings=(), **kw):
    return Record(id=id, title=title, year=year, authors=list(authors), subjects=list(subjects),
                  holdings=list(holdings), language=kw.pop("language", "vie"), **kw)


RECORDS = [
    R("lstn", "Lịch sử Tây Nguyên", 2001, ["Nguyễn Văn Giàu"], ["Lịch sử", "Tây Nguyên"],
      [H("bmt", 2, 1, "959.76 L302S"), H("tuy-hoa", 1, 0), H("xa-ea-kao", 1, 1)],
      isbns=["978-604-0-00001-9"], collections=["Địa chí Đắk Lắk"],
      description="Tổng quan lịch sử vùng đất Tây Nguyên từ thời tiền sử đến nay.",
      provenance=["ils:12", "ils:40", "repository:5f1c0d2e"]),
    R("far", "Sử dụng lịch âm trong đời sống", 1998, ["Lê Thị Hồng"], ["Văn hóa dân gian"],
      [H("tuy-hoa", 1, 1)],
      description="Ghi chép ở một buôn làng miền Tây. Nguyên tắc tính ngày theo mùa rẫy."),
    R("dl-exact", "Đắk Lắk: đất và người", 2015, ["Trần Văn Bình"], ["Địa lý", "Đắk Lắk"],
      [H("bmt", 2, 2)], isbns=["9786040000026"], collections=["Địa chí Đắk Lắk"]),
    R("dl-plain", "Dak Lak travel guide", 2019, ["Smith, John"], ["Travel"], [H("bmt")],
      language="eng"),
    R("dl-variant", "Đăk Lăk xưa và nay", 1990, ["Phạm Minh Đức"], ["Địa chí"],
      [H("tuy-hoa")]),
    R("de-dyke", "Đê điều và thủy lợi", 1985, ["Hoàng Văn Thủy"], ["Thủy lợi"],
      [H("tuy-hoa", 1, 1)]),
    R("de-goat", "Kỹ thuật nuôi dê", 2010, ["Vũ Thị Mai"], ["Chăn nuôi"], [H("xa-hoa-phu", 1, 1)]),
    R("de-cricket", "Dế mèn phiêu lưu ký", 1941, ["Tô Hoài"], ["Văn học thiếu nhi"],
      [H("bmt", 3, 3), H("tuy-hoa", 2, 1), H("xa-ea-kao", 1, 0)], isbns=["6041000043"],
      collections=["Thiếu nhi"]),
    R("mnong-apos", "Luật tục M'nông", 1996, ["Điểu Kâu"], ["Dân tộc M'nông", "Luật tục"],
      [H("bmt")]),
    R("mnong-plain", "Sử thi Mnông", 2003, ["Đỗ Hồng Kỳ"], ["Sử thi"], [H("bmt", 1, 1)],
      subtitle="Ot Ndrong"),
    R("damsan", "Sử thi Đăm San", 1988, ["Y Điêng"], ["Sử thi", "Dân tộc Ê Đê"], [],
      format="audiobook", url="https://thuvien.example/nghe/dam-san", collections=["Sách nói"],
      full_text="Chàng Đăm San đi bắt Nữ Thần Mặt Trời về làm vợ."),
    R("bmt-history", "Buôn Ma Thuột: lịch sử hình thành", 2004, ["Trần Hữu Nghĩa"],
      ["Lịch sử", "Buôn Ma Thuột"], [H("bmt", 1, 1), H("xa-ea-kao", 1, 1)],
      collections=["Địa chí Đắk Lắk"]),
    R("coffee", "Cà phê Buôn Ma Thuột", 2012, ["Nguyễn Thị Lan"], ["Cà phê", "Nông nghiệp"],
      [H("bmt", 2, 2)], isbns=["978-604-2-00003-1"]),
    R("tuyhoa", "Tuy Hòa – Phú Yên đất và người", 2008, ["Huỳnh Văn Tâm"], ["Địa lý", "Phú Yên"],
      [H("tuy-hoa", 1, 1)], collections=["Địa chí Phú Yên"]),
    R("fr", "Les Hauts Plateaux du Vietnam", 1955, ["Dournes, Jacques"], ["Tây Nguyên"],
      [H("bmt")], language="fra", collections=["Ngoại văn"]),
    R("ede-lang", "Klei bhiăn Êđê", 1975, ["Y Kô Niê"], ["Luật tục"], [H("bmt", 1, 1)],
      language="ede"),
    R("no-year", "Tài liệu không rõ năm", None, [], ["Tư liệu"], [H("tuy-hoa", 1, 1)]),
    R("sort-an", "An ninh biên giới", 2016, ["Bùi Quang An"], ["An ninh"], [H("bmt", 1, 1)]),
    R("sort-an2", "Ăn uống của người Ê Đê", 2017, ["Ngô Văn Ẩm"], ["Ẩm thực", "Dân tộc Ê Đê"],
      [H("bmt", 1, 1)]),
    R("sort-am", "Âm nhạc cồng chiêng", 2006, ["Dương Văn Cường"], ["Cồng chiêng"],
      [H("xa-hoa-phu", 1, 1)]),
    R("sort-bac", "Bắc Tây Nguyên", 1979, ["Lương Văn Nam"], ["Tây Nguyên"], [H("tuy-hoa")]),
    R("sort-duong", "Dương Quảng Hàm tuyển tập", 1968, ["Dương Quảng Hàm"], ["Văn học"],
      [H("bmt", 1, 1)]),
    R("sort-da", "Đà Lạt xưa", 1960, ["Hồ Tấn Phát"], ["Địa chí"], [H("bmt", 1, 1)]),
    R("serial", "Tạp chí Văn hóa Tây Nguyên", 2021, [], ["Văn hóa"],
      [H("bmt", 1, 1), H("tuy-hoa", 1, 1)], format="serial"),
    R("map", "Bản đồ hành chính tỉnh Đắk Lắk", 2025, ["Sở Tài nguyên và Môi trường Đắk Lắk"],
      ["Bản đồ"], [H("bmt", 1, 1)], format="map", collections=["Địa chí Đắk Lắk"]),
    R("ebook", "Giáo trình tin học cơ bản", 2022, ["Đinh Công Khoa"], ["Tin học"], [],
      format="ebook", url="https://thuvien.example/doc/tin-hoc"),
    R("digital", "Báo Đắk Lắk số 1", 1977, [], ["Báo chí"], [], format="digital",
      url="https://thuvien.example/doc/bao-dak-lak-1", collections=["Tài liệu số"]),
    R("html", "Thơ <b>mới</b> & tình yêu", 1938, ["Xuân Diệu"], ["Thơ"], [H("tuy-hoa", 1, 1)]),
    R("battle", "Trận Buôn Ma Thuột 1975", 1976, ["Văn Tiến Dũng"], ["Lịch sử", "Chiến tranh"],
      [H("bmt", 1, 1)]),
    R("isbn-x", "Hồ tiêu Đắk Lắk", 2011, ["Trương Văn Hải"], ["Hồ tiêu", "Nông nghiệp"],
      [H("xa-ea-kao", 2, 2)], isbns=["604100006X"]),
]
BY_ID = {r.id: r for r in RECORDS}
HOSTILE = [
    "* OR NEAR(", '"', ")", '"lịch sử', 'title:"', "title:", "isbn:", "a" * 100_000,
    "lịch sử " * 2000, "\x00", "dak\x00lak", "(((((", "AND OR NOT", "*:*", "title:*",
    "NEAR(a b, 2)", "^2 ~ {!func}", "\\", "'", "%_%", "[a-z]+.*", "\u202e\u200b", "🙂 📚",
    "isbn:978-", "author:", ':"', "\ud800lịch sử", "Đắk\udfffLắk",
]


def search(index, text="", **kw):
    kw.setdefault("rows", MAX_ROWS)
    return index.search(SearchQuery(text=text, **kw))


def ids(index, text="", **kw):
    return search(index, text, **kw).ids


def rank(result_ids, record_id):
    return result_ids.index(record_id)


def expected_facet(records, name):
    """The counts a facet must show, computed from the records themselves."""
    counts = Counter()
    for r in records:
        values = {
            "library": {h.library for h in r.holdings},
            "format": {r.format},
            "language": {r.language},
            "subject": set(r.subjects),
            "author": set(r.authors),
            "collection": set(r.collections),
            "available": {h.library for h in r.holdings if h.available} | ({"online"} if r.url else set()),
            "year": {label for label, low, high in YEAR_RANGES
                     if r.year is not None and (low is None or r.year >= low)
                     and (high is None or r.year <= high)},
        }[name]
        counts.update(v for v in values if v)
    return dict(counts)


class SearchIndexContract:
    """Subclass it and provide an empty ``search_index`` fixture."""

    @pytest.fixture
    def index(self, search_index):
        search_index.index(RECORDS)
        return search_index

    # --- writing ---------------------------------------------------------

    def test_provides_the_interface(self, search_index):
        assert ISearchIndex.providedBy(search_index)

    def test_counts_what_was_indexed(self, index):
        assert index.count() == len(RECORDS)

    def test_indexing_again_replaces_by_id(self, index):
        changed = Record(id="lstn", title="Lịch sử Ê Đê", year=2002, holdings=[H("bmt")])
        index.index([changed])
        assert index.count() == len(RECORDS)
        assert "lstn" in ids(index, "lich su e de")
        assert "lstn" not in ids(index, '"tay nguyen"')
        assert index.get("lstn").title == "Lịch sử Ê Đê"

    def test_delete_removes_and_ignores_unknown_ids(self, index):
        index.delete(["lstn", "no-such-record"])
        assert index.count() == len(RECORDS) - 1
        assert index.get("lstn") is None
        assert "lstn" not in ids(index, "lich su tay nguyen")
        assert search(index).facet("library")["xa-ea-kao"] == 3

    def test_clear_empties_the_index(self, index):
        index.clear()
        assert index.count() == 0
        assert search(index, "lịch sử").total == 0

    def test_get_returns_the_record_with_holdings_without_full_text(self, index):
        record = index.get("lstn")
        assert record.title == "Lịch sử Tây Nguyên"
        assert [h.library for h in record.holdings] == ["bmt", "tuy-hoa", "xa-ea-kao"]
        assert record.holdings[0].call_number == "959.76 L302S"
        assert index.get("damsan").full_text == ""
        assert index.get("nothing") is None

    def test_the_sources_of_a_merged_record_come_back(self, index):
        # the record page shows staff the MARC of each source record
        assert index.get("lstn").provenance == ["ils:12", "ils:40", "repository:5f1c0d2e"]
        assert search(index, "lịch sử tây nguyên").hits[0].record.provenance[0] == "ils:12"

    # --- Vietnamese text -------------------------------------------------

    @pytest.mark.parametrize("text", ["dak lak", "Dak Lak", "Đắk Lắk", "ĐẮK LẮK", "đăk lăk",
                                      unicodedata.normalize("NFD", "Đắk Lắk")])
    def test_diacritics_and_case_find_the_same_records(self, index, text):
        assert set(ids(index, text)) == {"lstn", "dl-exact", "dl-plain", "dl-variant",
                                         "bmt-history", "map", "digital", "isbn-x"}

    def test_exact_diacritics_rank_first(self, index):
        result = ids(index, "Đắk Lắk")
        exact = {"lstn", "dl-exact", "bmt-history", "map", "digital", "isbn-x"}
        assert set(result[:len(exact)]) == exact
        result = ids(index, "Đăk Lăk")
        assert result[0] == "dl-variant"

    @pytest.mark.parametrize("word, first", [
        ("dế", {"de-cricket"}),
        ("dê", {"de-goat"}),
        ("đê", {"de-dyke", "damsan", "sort-an2"}),
    ])
    def test_folded_look_alikes_match_but_the_word_typed_comes_first(self, index, word, first):
        result = ids(index, word)
        assert {"de-cricket", "de-goat", "de-dyke"} <= set(result)
        assert set(result[:len(first)]) == first

    def test_syllables_together_rank_above_syllables_far_apart(self, index):
        result = ids(index, "lich su tay nguyen")
        assert {"lstn", "far"} <= set(result)
        assert rank(result, "lstn") < rank(result, "far")
        assert result[0] == "lstn"

    def test_a_quoted_phrase_needs_its_syllables_together(self, index):
        result = ids(index, '"lịch sử tây nguyên"')
        assert "lstn" in result and "far" not in result

    def test_unbalanced_quote_runs_to_the_end(self, index):
        assert ids(index, '"lich su tay nguyen') == ids(index, '"lich su tay nguyen"')

    @pytest.mark.parametrize("text", ["m'nong", "mnong", "M’nông", "Mnông", "Mʼnông"])
    def test_apostrophe_names_match_both_spellings(self, index, text):
        assert {"mnong-apos", "mnong-plain"} <= set(ids(index, text))

    def test_full_text_is_searched(self, index):
        assert ids(index, "nu than mat troi") == ["damsan"]

    def test_all_words_must_match(self, index):
        assert ids(index, "lịch sử cà phê") == []
        assert ids(index, "cà phê buôn ma thuột") == ["coffee"]

    # --- ISBN and fields -------------------------------------------------

    @pytest.mark.parametrize("text", ["978-604-0-00001-9", "9786040000019", "isbn:9786040000019",
                                      "isbn:978-604-0-00001-9"])
    def test_isbn_with_or_without_hyphens(self, index, text):
        assert ids(index, text) == ["lstn"]

    @pytest.mark.parametrize("text", ["604-1-00004-3", "6041000043", "978-604-1-00004-9",
                                      "9786041000049"])
    def test_isbn_10_and_13_find_each_other(self, index, text):
        assert ids(index, text) == ["de-cricket"]

    @pytest.mark.parametrize("text", ["ISBN 978-604-1-00004-9", "ISBN: 978-604-1-00004-9",
                                      "isbn 604-1-00004-3", "978 604 1 00004 9",
                                      "ISBN 978 604 1 00004 9", "isbn:604 1 00004 3"])
    def test_isbn_as_printed_on_the_book(self, index, text):
        # the label and the groups of a back cover, copied as they are
        assert ids(index, text) == ["de-cricket"]

    @pytest.mark.parametrize("text", ["604100006X", "604100006x", "9786041000063"])
    def test_isbn_10_with_x(self, index, text):
        assert ids(index, text) == ["isbn-x"]

    def test_author_surname(self, index):
        assert set(ids(index, "author:trần")) == {"dl-exact", "bmt-history"}
        assert set(ids(index, "tacgia:tran")) == {"dl-exact", "bmt-history"}
        # without the field, "Trận" in a title matches too
        assert set(ids(index, "tran")) == {"dl-exact", "bmt-history", "battle"}
        # "nguyễn" also matches "Nguyên" folded; the surname comes first
        result = ids(index, "nguyễn")
        assert set(result[:2]) == {"lstn", "coffee"} and "sort-bac" in result

    def test_title_and_subject_fields(self, index):
        assert set(ids(index, 'title:"tay nguyen"')) == {"lstn", "sort-bac", "serial"}
        assert set(ids(index, "subject:tây subject:nguyên")) == {"lstn", "fr", "sort-bac"}
        assert set(ids(index, 'chude:"sử thi"')) == {"mnong-plain", "damsan"}
        assert set(ids(index, 'title:"tay nguyen" subject:"lich su"')) == {"lstn"}

    def test_an_unknown_field_name_is_text(self, index):
        assert ids(index, "Đắk Lắk: đất") == ids(index, "Đắk Lắk đất")
        assert "dl-exact" in ids(index, "dat:Đắk")

    @pytest.mark.parametrize("text", HOSTILE)
    def test_hostile_input_never_raises(self, index, text):
        result = search(index, text)
        assert result.total >= 0
        assert len(result.hits) <= MAX_ROWS

    def test_syntax_characters_are_taken_literally(self, index):
        assert ids(index, "lịch sử (tây nguyên) *") == ids(index, "lịch sử tây nguyên")
        assert ids(index, "title:*") == ids(index, "")     # no word left: everything

    # --- facets ----------------------------------------------------------

    @pytest.mark.parametrize("name", ["library", "format", "language", "subject", "author",
                                      "collection", "available", "year"])
    def test_facet_counts_of_everything(self, index, name):
        result = search(index, facet_limit=100)
        assert result.total == len(RECORDS)
        assert result.facet(name) == expected_facet(RECORDS, name)

    def test_facet_counts_follow_the_query_and_filters(self, index):
        result = search(index, "tây nguyên")
        matched = [BY_ID[i] for i in result.ids]
        assert set(result.ids) == {"lstn", "far", "fr", "sort-bac", "serial"}
        for name in ("library", "format", "subject", "available", "year"):
            assert result.facet(name) == expected_facet(matched, name)
        assert result.facet("library") == {"bmt": 3, "tuy-hoa": 4, "xa-ea-kao": 1}
        assert result.facet("format") == {"book": 4, "serial": 1}

    def test_a_facet_is_counted_without_its_own_filter(self, index):
        """Multi-select facets: ticking one library still shows how many the
        other libraries would add; the other facets follow every filter."""
        result = search(index, "tây nguyên", filters={"library": ["xa-ea-kao"],
                                                      "format": ["book"]})
        assert set(result.ids) == {"lstn"}
        words = [BY_ID[i] for i in ids(index, "tây nguyên")]
        books = [r for r in words if r.format == "book"]
        at_ea_kao = [r for r in words if "xa-ea-kao" in {h.library for h in r.holdings}]
        assert result.facet("library") == expected_facet(books, "library")
        assert result.facet("library") == {"bmt": 2, "tuy-hoa": 3, "xa-ea-kao": 1}
        assert result.facet("format") == expected_facet(at_ea_kao, "format") == {"book": 1}
        assert result.facet("subject") == expected_facet([BY_ID["lstn"]], "subject")

    def test_two_values_of_one_facet_widen_and_keep_their_counts(self, index):
        one = search(index, filters={"year": ["-1944"]})
        two = search(index, filters={"year": ["-1944", "2020-"]})
        assert one.facet("year") == two.facet("year") == expected_facet(RECORDS, "year")
        assert two.total == one.total + one.facet("year")["2020-"]
        assert two.facet("format") == expected_facet([BY_ID[i] for i in two.ids], "format")

    def test_facet_values_by_count_then_value_and_limited(self, index):
        result = search(index, facet_limit=3)
        values = result.facets["library"]
        assert [(v.value, v.count) for v in values] == [("bmt", 17), ("tuy-hoa", 10),
                                                        ("xa-ea-kao", 4)]
        subjects = search(index, facet_limit=2).facets["subject"]
        assert [(v.value, v.count) for v in subjects] == [("Lịch sử", 3), ("Tây Nguyên", 3)]

    def test_year_facet_in_chronological_order(self, index):
        labels = [v.value for v in search(index).facets["year"]]
        assert labels == [label for label, _, _ in YEAR_RANGES]

    def test_only_facets_asked_for(self, index):
        result = search(index, facets=("format",))
        assert list(result.facets) == ["format"]

    # --- filters ---------------------------------------------------------

    def test_filter_values_of_one_field_or_and_fields_and(self, index):
        either = set(ids(index, filters={"library": ["xa-ea-kao", "xa-hoa-phu"]}))
        assert either == {"lstn", "de-cricket", "bmt-history", "isbn-x", "de-goat", "sort-am"}
        both = set(ids(index, filters={"library": ["xa-ea-kao"], "format": ["book"]}))
        assert both == {"lstn", "de-cricket", "bmt-history", "isbn-x"}
        assert set(ids(index, "lịch sử", filters={"library": "xa-ea-kao"})) == {"lstn",
                                                                               "bmt-history"}

    def test_filter_by_subject_author_language_collection(self, index):
        assert set(ids(index, filters={"subject": ["Sử thi"]})) == {"mnong-plain", "damsan"}
        assert ids(index, filters={"author": ["Tô Hoài"]}) == ["de-cricket"]
        assert set(ids(index, filters={"language": ["eng", "fra"]})) == {"dl-plain", "fr"}
        assert set(ids(index, filters={"collection": ["Địa chí Đắk Lắk"]})) == {
            "lstn", "dl-exact", "bmt-history", "map"}

    def test_filter_values_are_exact_not_folded(self, index):
        assert ids(index, filters={"subject": ["su thi"]}) == []
        assert ids(index, filters={"subject": ["Sử\udcc3 thi"]}) == []

    def test_year_range_is_inclusive(self, index):
        result = set(ids(index, year_from=1975, year_to=1977))
        assert result == {"ede-lang", "battle", "digital"}
        assert set(ids(index, year_to=1941)) == {"de-cricket", "html"}
        assert set(ids(index, year_from=2022)) == {"ebook", "map"}

    def test_year_facet_value_as_filter(self, index):
        assert set(ids(index, filters={"year": ["-1944"]})) == {"de-cricket", "html"}
        assert set(ids(index, filters={"year": ["-1944", "2020-"]})) == {
            "de-cricket", "html", "serial", "map", "ebook"}

    def test_available_now(self, index):
        assert set(ids(index, filters={"available": ["online"]})) == {"damsan", "ebook", "digital"}
        assert "tuy-hoa" not in search(index, "dak lak").facet("available")
        nowhere = {"dl-plain", "dl-variant", "mnong-apos", "fr", "sort-bac"}
        assert set(ids(index, filters={"available": ["*"]})) == {r.id for r in RECORDS} - nowhere

    # --- sorting and paging ----------------------------------------------

    def test_sort_by_title_in_vietnamese_order(self, index):
        expected = sorted(RECORDS, key=lambda r: sort_key(f"{r.title} {r.subtitle}".strip()))
        assert ids(index, sort="title") == [r.id for r in expected]
        assert ids(index, filters={"author": ["Bùi Quang An", "Ngô Văn Ẩm", "Dương Văn Cường",
                                              "Lương Văn Nam", "Dương Quảng Hàm", "Hồ Tấn Phát"]},
                   sort="title") == ["sort-an", "sort-an2", "sort-am", "sort-bac", "sort-duong",
                                     "sort-da"]

    def test_sort_newest_and_oldest_with_undated_last(self, index):
        dated = sorted((r for r in RECORDS if r.year), key=lambda r: r.year)
        assert ids(index, sort="newest") == [r.id for r in reversed(dated)] + ["no-year"]
        assert ids(index, sort="oldest") == [r.id for r in dated] + ["no-year"]
        assert ids(index, "tây nguyên", sort="newest") == ["serial", "lstn", "far", "sort-bac",
                                                          "fr"]

    def test_sort_by_author(self, index):
        authored = sorted((r for r in RECORDS if r.authors), key=lambda r: sort_key(r.authors[0]))
        result = ids(index, sort="author")
        assert result[:len(authored)] == [r.id for r in authored]
        assert set(result[len(authored):]) == {"no-year", "serial", "digital"}

    def test_empty_query_lists_everything_newest_first(self, index):
        assert ids(index) == ids(index, sort="newest")

    def test_pages_follow_each_other(self, index):
        everything = ids(index, sort="title")
        pages = [ids(index, sort="title", start=start, rows=7) for start in range(0, 35, 7)]
        assert [i for page in pages for i in page] == everything
        result = search(index, "lịch sử", start=1, rows=1)
        assert result.total == len(ids(index, "lịch sử")) and len(result.hits) == 1
        assert result.ids == ids(index, "lịch sử")[1:2]

    def test_rows_are_capped_and_zero_rows_still_count(self, index):
        result = index.search(SearchQuery(rows=MAX_ROWS * 10))
        assert len(result.hits) == len(RECORDS) and result.rows == MAX_ROWS
        result = index.search(SearchQuery(text="lịch sử", rows=0))
        assert result.hits == [] and result.total == 4
        assert result.facet("library")["bmt"] == 3

    def test_negative_start_is_the_first_page(self, index):
        assert ids(index, sort="title", start=-5, rows=3) == ids(index, sort="title", rows=3)

    @pytest.mark.parametrize("query", [
        SearchQuery(sort="random"),
        SearchQuery(filters={"shelf": ["x"]}),
        SearchQuery(facets=("popularity",)),
        SearchQuery(filters={"year": ["1990s"]}),
        SearchQuery(year_from=2000, year_to=1990),
        SearchQuery(start=MAX_WINDOW, rows=10),
        SearchQuery(start="trang 2"),
    ])
    def test_bad_page_parameters_get_a_bilingual_error(self, index, query):
        with pytest.raises(QueryError) as caught:
            index.search(query)
        assert caught.value.vietnamese and caught.value.english
        assert caught.value.vietnamese in str(caught.value)
        assert caught.value.english in str(caught.value)

    # --- hits ------------------------------------------------------------

    def test_hits_carry_the_record_and_highlights(self, index):
        hit = search(index, "tay nguyen").hits[0]
        assert hit.id == hit.record.id
        assert hit.record.holdings
        assert "<mark>Tây</mark> <mark>Nguyên</mark>" in hit.highlights["title"]
        hit = search(index, "tiền sử").hits[0]
        assert hit.id == "lstn"
        assert "<mark>tiền</mark> <mark>sử</mark>" in hit.highlights["description"]

    def test_highlights_escape_html(self, index):
        hit = search(index, "tình yêu").hits[0]
        assert hit.id == "html"
        assert "<b>" not in hit.highlights["title"]
        assert "&lt;b&gt;" in hit.highlights["title"] and "&amp;" in hit.highlights["title"]
        assert "<mark>tình</mark>" in hit.highlights["title"]

    # --- suggestions -----------------------------------------------------

    def test_suggest_titles_authors_subjects_by_prefix(self, index):
        shown = [s.text for s in index.suggest("lich s")]
        assert "Lịch sử Tây Nguyên" in shown and "Lịch sử" in shown
        assert "Tô Hoài" in [s.text for s in index.suggest("to hoa")]
        assert "Cồng chiêng" in [s.text for s in index.suggest("cồng")]

    def test_suggest_ranks_exact_diacritics_first(self, index):
        shown = [s.text for s in index.suggest("Đăk")]
        assert shown[0] == "Đăk Lăk xưa và nay"
        assert "Đắk Lắk: đất và người" in shown and "Dak Lak travel guide" in shown

    def test_suggest_counts_and_limits(self, index):
        suggestions = index.suggest("lịch sử", limit=1)
        assert len(suggestions) == 1 and suggestions[0].text == "Lịch sử"
        assert suggestions[0].count == 3

    def test_suggest_ignores_deleted_records_and_short_prefixes(self, index):
        index.delete(["de-cricket"])
        assert "Dế mèn phiêu lưu ký" not in [s.text for s in index.suggest("de men")]
        assert index.suggest("") == [] and index.suggest("*") == []

    # --- availability ----------------------------------------------------

    def test_update_availability_changes_the_available_facet_only(self, index):
        assert "tuy-hoa" not in [h.library for h in index.get("lstn").holdings if h.available]
        assert index.update_availability("lstn", {"tuy-hoa": 1, "bmt": 0}) is True
        record = index.get("lstn")
        assert [(h.library, h.available) for h in record.holdings] == [
            ("bmt", 0), ("tuy-hoa", 1), ("xa-ea-kao", 1)]
        assert "lstn" in ids(index, filters={"available": ["tuy-hoa"]})
        assert "lstn" not in ids(index, filters={"available": ["bmt"]})
        assert index.count() == len(RECORDS)
        assert ids(index, "lich su tay nguyen")[0] == "lstn"
        assert index.update_availability("missing", {"bmt": 1}) is False

    def test_update_availability_keeps_full_text_searchable(self, index):
        index.update_availability("damsan", {"bmt": 1})
        assert ids(index, "nu than mat troi") == ["damsan"]

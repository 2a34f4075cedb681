"""The embedded (tantivy) search index honours the search-index contract."""
import pytest

from federation.index import search_index_from_settings
from federation.index.tantivy_index import TantivyIndex, document_json
from federation.records import Holding, Record, SearchQuery
from tests.contract.search_index_contract import RECORDS, SearchIndexContract


class TestEmbeddedIndex(SearchIndexContract):

    @pytest.fixture(params=["per-document", "from-postings"])
    def search_index(self, request, tmp_path):
        index = TantivyIndex(tmp_path / "index", writer_heap=15_000_000)
        if request.param == "from-postings":
            # Facets over many matches are counted another way; the contract
            # must hold either way.
            index.postings_facets_above = 0
        yield index
        index.close()


def test_settings_choose_the_embedded_index_under_var(tmp_path):
    index = search_index_from_settings({"serepok.var": str(tmp_path)})
    assert isinstance(index, TantivyIndex)
    assert index.path.startswith(str(tmp_path / "index"))
    index.index(RECORDS[:3])
    # A second process (or a reopened one) sees what was written.
    again = search_index_from_settings({"search.index_path": str(tmp_path / "index")})
    assert again.count() == 3


def test_a_second_writer_waits_for_the_first(tmp_path):
    first = TantivyIndex(tmp_path)
    second = TantivyIndex(tmp_path)
    with first._writer() as writer:
        writer.add_json(document_json(Record(id="a", title="Một")))
        second.lock_timeout = 0.2
        with pytest.raises(ValueError):
            second.index([Record(id="b", title="Hai")])
    second.index([Record(id="b", title="Hai", holdings=[Holding("bmt")])])
    first._index.reload()
    assert first.count() == 2
    assert second.search(SearchQuery(text="hai")).ids == ["b"]


# --- the pieces every backend shares ----------------------------------------

def test_query_text_is_bounded_and_cleaned():
    from federation.index.query import MAX_TERMS, parse
    parsed = parse("lịch sử " * 1000)
    assert sum(len(c.folded) for c in parsed.clauses) == MAX_TERMS
    assert [c.folded for c in parse("dak\x00lak").clauses] == [["dak"], ["lak"]]
    assert parse('* OR NEAR( " ) \\').clauses[0].folded == ["or"]


def test_query_fields_phrases_and_isbns():
    from federation.index.query import parse
    clauses = parse('title:"Tây Nguyên" tacgia:Trần 978-604-1-00004-9 Lịch sử: tập').clauses
    assert [(c.field, c.folded, c.phrase) for c in clauses] == [
        ("title", ["tay", "nguyen"], True), ("author", ["tran"], False),
        ("isbn", ["9786041000049"], False), (None, ["lich"], False), (None, ["su"], False),
        (None, ["tap"], False)]
    assert clauses[0].exact == ["tây", "nguyên"]


@pytest.mark.parametrize("text, clauses", [
    ("ISBN: 978-604-1-00004-9", [("isbn", ["9786041000049"])]),
    ("ISBN 978 604 1 00004 9 lịch sử", [("isbn", ["9786041000049"]), (None, ["lich"]),
                                        (None, ["su"])]),
    ("isbn:604 1 00004 3", [("isbn", ["9786041000049"])]),
    # numbers that make no valid ISBN stay words; "isbn" alone is a word
    ("năm 1945 1975", [(None, ["nam"]), (None, ["1945"]), (None, ["1975"])]),
    ("978 604 1 00004 8", [(None, ["978"]), (None, ["604"]), (None, ["1"]), (None, ["00004"]),
                           (None, ["8"])]),
    ("isbn lịch sử", [(None, ["isbn"]), (None, ["lich"]), (None, ["su"])]),
    # ten digits that pass the ISBN-10 check, but in three numbers: no ISBN's four parts
    ("1945 1975 01", [(None, ["1945"]), (None, ["1975"]), (None, ["01"])]),
    ("title:isbn", [("title", ["isbn"])]),
])
def test_isbns_as_printed_on_a_book(text, clauses):
    from federation.index.query import parse
    assert [(c.field, c.folded) for c in parse(text).clauses] == clauses


@pytest.mark.parametrize("text, isbn", [
    ("604-1-00004-3", "9786041000049"), ("978 604 1 00004 9", "9786041000049"),
    ("604100006x", "9786041000063"), ("604-1-00004-4", None), ("9786041000048", None),
    ("lịch sử", None), ("", None),
])
def test_isbn_normalization(text, isbn):
    from federation.records import normalize_isbn
    assert normalize_isbn(text) == isbn


def test_isbn_forms_of_stored_isbn13_are_those_of_any_isbn():
    """A stored ISBN-13 skips the parsing (``isbn_forms``' short way) and gets
    the forms any ISBN gets: its ISBN-13 when valid, the digits as written."""
    import re

    from federation.records import isbn_forms, normalize_isbn

    def the_long_way(value):
        forms = [normalize_isbn(value), re.sub(r"[^0-9Xx]", "", value).lower()]
        return list(dict.fromkeys(f for f in forms if f and len(f) >= 8))

    for value in ("9786041000049", "9786041000048", "9796041000040", "1234567890123"):
        assert isbn_forms([value]) == the_long_way(value) == [value]
    assert isbn_forms(["604-1-00004-3", "9786041000049"]) == ["9786041000049", "6041000043"]


def test_collation_string_sorts_like_sort_key():
    from federation.analysis import sort_key
    from federation.index.documents import collation_string
    words = ["Đà", "Dương", "Bắc", "Âm", "Ăn", "An", "an", "ma", "mà", "mả", "mã", "má", "mạ",
             "M'nông", "Mnông", "1975", "Ê Đê", "Ê-đê", "Êđê", "a b", "ab", "a  b", "Zê", "ư", "u"]
    assert sorted(words, key=collation_string) == sorted(words, key=sort_key)
    assert sorted(["", "Ư"], key=collation_string) == ["Ư", ""]   # blank sorts last
    # words of punctuation only, and runs of spaces, weigh nothing (as in sort_key)
    assert collation_string("Ăn  – uống").split("\x01")[:3] == \
        collation_string("Ăn uống").split("\x01")[:3]
    assert collation_string("“Đất”") > collation_string("Dương")


def test_collation_string_orders_every_pair_as_sort_key_does():
    """Tones and case are kept as marks where they are not the least
    (``documents._marks``): texts that differ in them only, the case where
    those levels decide, still compare as ``sort_key`` compares them, pair
    by pair, as do texts that differ in their letters."""
    import random

    from federation.analysis import sort_key
    from federation.index.documents import collation_string

    def sign(a, b):
        return (a > b) - (a < b)

    rng = random.Random(2026)
    bases = ["a", "ă", "â", "e", "ê", "o", "ô", "ơ", "u", "ư", "i", "y", "d", "đ", "n", "g"]
    tones = ["", "\u0300", "\u0309", "\u0303", "\u0301", "\u0323"]

    def letter():
        char = rng.choice(bases)
        if char in "aăâeêoôơuưiy":
            char += rng.choice(tones)
        return char.upper() if rng.random() < 0.2 else char

    def text():
        words = ["".join(letter() for _ in range(rng.randint(1, 5)))
                 for _ in range(rng.randint(1, 4))]
        return rng.choice([" ", "  ", " - ", "'"]).join(words)

    def variant(value):
        """The same letters, other tones and case here and there."""
        out = []
        for char in value:
            if rng.random() < 0.3 and char.lower() in "aăâeêoôơuưiy":
                char = (char + rng.choice(tones))
            if rng.random() < 0.2:
                char = char.swapcase()
            out.append(char)
        return "".join(out)

    pairs = []
    for _ in range(3000):
        first = text()
        pairs.append((first, variant(first)))
        pairs.append((first, text()))
    for first, second in pairs:
        assert sign(collation_string(first), collation_string(second)) == \
            sign(sort_key(first), sort_key(second)), (first, second)
    # a long title: tones and case are a fraction of the key
    title = "Lịch sử Đảng bộ tỉnh Đắk Lắk giai đoạn 1975 - 2000 và những năm đầu thế kỷ mới"
    key = collation_string(title)
    letters, tone_marks, case_marks, _text = key.split("\x01")
    assert len(tone_marks.encode()) + len(case_marks.encode()) < len(letters.encode())
    assert sign(key, collation_string(title.lower())) == sign(sort_key(title),
                                                              sort_key(title.lower()))
    # past the 2,000th letter tones and case are no longer compared: the text decides
    long_plain, long_toned = "a" * 2100 + " an", "a" * 2100 + " ản"
    assert collation_string(long_plain).split("\x01")[1:3] == \
        collation_string(long_toned).split("\x01")[1:3] == ["", ""]
    assert collation_string(long_plain) < collation_string(long_toned)


def test_very_broad_results_estimate_the_author_facet_only(tmp_path):
    index = TantivyIndex(tmp_path, writer_heap=15_000_000)
    index.index(RECORDS)
    exact = index.search(SearchQuery(rows=0, facet_limit=100))
    assert exact.approximate_facets == ()
    index.sample_facets_above = 0           # as if millions matched
    estimated = index.search(SearchQuery(rows=0, facet_limit=100))
    assert estimated.approximate_facets == ("author",)
    assert estimated.total == exact.total
    for name in ("library", "format", "subject", "available", "year"):
        assert estimated.facets[name] == exact.facets[name]
    # every author shown really is an author of the matches
    assert set(estimated.facet("author")) <= set(exact.facet("author"))


def test_equal_scores_come_in_the_order_of_their_ids_however_they_were_written(tmp_path):
    """Two indexes with the same records written in another order answer the same page."""
    twins = [Record(id=f"twin-{n}", title="Sử thi Đăm San", authors=["Khuyết danh"])
             for n in "cab"]
    first, second = TantivyIndex(tmp_path / "one"), TantivyIndex(tmp_path / "two")
    first.index(twins)
    second.index(list(reversed(twins)))
    for sort in ("relevance", "newest", "title"):
        query = SearchQuery(text="dam san", rows=10, sort=sort)
        assert [h.id for h in first.search(query).hits] == ["twin-a", "twin-b", "twin-c"]
        assert [h.id for h in second.search(query).hits] == ["twin-a", "twin-b", "twin-c"]


def test_searches_from_many_threads_count_facets_as_one_at_a_time(tmp_path):
    # facets are counted on shared facet threads while each request searches
    from concurrent.futures import ThreadPoolExecutor
    index = TantivyIndex(tmp_path, writer_heap=15_000_000)
    index.index(RECORDS)
    queries = [SearchQuery(text=text, filters=filters)
               for text in ("", "lịch sử", "dak lak", "tay nguyen")
               for filters in ({}, {"library": ["bmt"]}, {"format": ["book"], "year": ["2020-"]},
                               {"library": ["bmt", "tuy-hoa"], "language": ["vie"]})]

    def answer(query):
        result = index.search(query)
        return result.total, result.ids, result.facets

    expected = [answer(query) for query in queries]
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(5):
            assert list(pool.map(answer, queries)) == expected
    assert any(total for total, _ids, _facets in expected)

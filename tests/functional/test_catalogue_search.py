"""The reader's union catalogue: /search and /record/{id}, as a reader uses them."""
import html
import io
import re
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from tests.conftest import sign_in

from .catalogue_support import (EA_KAO, HAS_PROVENANCE, MARC_245, SORTED_TITLES,  # noqa: F401
                                catalogue, hit_ids)


def links(page, css_class=None):
    """(text, href) of the links of a page, entities decoded."""
    found = re.findall(r'<a\s+(?:class="([^"]*)"\s+)?href="([^"]+)"[^>]*>(.*?)</a>', page.text,
                       re.S)
    return [(re.sub(r"<[^>]+>", " ", text).split(), html.unescape(href))
            for cls, href, text in found if css_class is None or css_class in (cls or "")]


def facet_boxes(page, name):
    """[(label, count or None, value, checked)] of one facet's checkboxes, and
    the (name, value) pairs its form sends besides them (the rest of the search)."""
    block = re.search(rf'<section class="facet facet-{name}">(.*?)</section>', page.text, re.S)
    assert block, f"no {name} facet"
    hidden = [(html.unescape(k), html.unescape(v)) for k, v in re.findall(
        r'<input type="hidden" name="([^"]+)" value="([^"]*)">', block.group(1))]
    boxes = []
    for value, checked, label, count in re.findall(
            rf'<input type="checkbox" name="{name}" value="([^"]*)"( checked)?>'
            r'<span class="v">(.*?)</span>(?:<span class="n">([\d.,]+)</span>)?',
            block.group(1)):
        boxes.append((html.unescape(label), int(count.replace(".", "")) if count else None,
                      html.unescape(value), bool(checked)))
    return boxes, hidden


def facet_links(page, name):
    """{label: (count, address)} of one facet of a search page: the address is
    what its form asks for when that value's box is ticked (or unticked) and
    the form is sent, as a browser does."""
    boxes, hidden = facet_boxes(page, name)
    found = {}
    for label, count, value, checked in boxes:
        chosen = [v for _l, _c, v, on in boxes if on != (v == value)]
        query = urlencode(hidden + [(name, v) for v in chosen])
        found[label] = (count, "/search?" + query)
    return found


def params(url):
    return parse_qsl(urlsplit(url).query)


def test_with_or_without_diacritics_the_same_records_exact_first(testapp, catalogue):
    plain = testapp.get("/search", {"q": "dak lak"})
    exact = testapp.get("/search", {"q": "Đắk Lắk"})
    shouting = testapp.get("/search", {"q": "ĐẮK LẮK"})
    assert set(hit_ids(plain)) == set(hit_ids(exact)) == set(hit_ids(shouting))
    assert {"dl-exact", "dl-plain", "dl-variant", "dia-chi-so"} <= set(hit_ids(plain))
    # typed with the diacritics: the records that have exactly them come first
    assert set(hit_ids(exact)[:3]) == {"dl-exact", "dia-chi-so", "lstn"}
    assert hit_ids(exact).index("dl-plain") > 2
    assert "<mark>Đắk</mark> <mark>Lắk</mark>" in exact.text


def test_syllables_without_diacritics_find_the_title(testapp, catalogue):
    page = testapp.get("/search", {"q": "lich su tay nguyen"})
    assert hit_ids(page)[0] == "lstn"
    assert "<mark>Lịch</mark> <mark>sử</mark> <mark>Tây</mark> <mark>Nguyên</mark>" in page.text


@pytest.mark.parametrize("isbn", ["978-604-0-00001-9", "9786040000019", "978-6040-000019"])
def test_an_isbn_with_or_without_hyphens(testapp, catalogue, isbn):
    assert hit_ids(testapp.get("/search", {"q": isbn})) == ["lstn"]


def test_an_isbn_10_finds_its_isbn_13(testapp, catalogue):
    assert hit_ids(testapp.get("/search", {"q": "604-1-00004-3"})) == ["de-cricket"]


@pytest.mark.parametrize("surname, record", [("Hoài", "de-cricket"), ("hoai", "de-cricket"),
                                             ("Giàu", "lstn"), ("smith", "dl-plain")])
def test_an_author_surname(testapp, catalogue, surname, record):
    assert record in hit_ids(testapp.get("/search", {"q": surname}))


def test_the_query_lives_in_the_address(testapp, catalogue):
    page = testapp.get("/search?q=c%C3%A0+ph%C3%AA&sort=title")
    form = page.forms[0]
    assert form.method.lower() == "get" and form.action == "http://localhost/search"
    assert form["q"].value == "cà phê"
    assert form["sort"].value == "title"          # a new search keeps the chosen order
    assert hit_ids(page) == ["coffee"]
    # every facet link carries the query, so a filtered page can be shared as it is
    for _label, (_count, href) in facet_links(page, "library").items():
        assert ("q", "cà phê") in params(href) and ("sort", "title") in params(href)
    again = form.submit()
    assert again.request.path_qs.startswith("/search?")
    assert hit_ids(again) == ["coffee"]


def test_facets_count_and_their_links_add_and_remove_filters(testapp, catalogue):
    page = testapp.get("/search", {"q": "dak lak"})
    library = facet_links(page, "library")
    assert library["Cơ sở Buôn Ma Thuột"][0] == 3     # lstn, dl-exact, dl-plain
    formats = facet_links(page, "format")
    assert formats["Tài liệu số"][0] == 1 and formats["Sách"][0] == 4
    assert facet_links(page, "language")["Tiếng Anh"][0] == 1
    assert EA_KAO in library

    count, href = library["Cơ sở Tuy Hòa"]
    filtered = testapp.get(href)
    assert ("library", "tuy-hoa") in params(href) and ("q", "dak lak") in params(href)
    assert len(hit_ids(filtered)) == count == 2
    assert set(hit_ids(filtered)) == {"dl-variant", "lstn"}
    # the chosen value is ticked, and unticking it takes the filter away again
    chosen = facet_links(filtered, "library")["Cơ sở Tuy Hòa"]
    assert ("Cơ sở Tuy Hòa", 2, "tuy-hoa", True) in facet_boxes(filtered, "library")[0]
    assert ("library", "tuy-hoa") not in params(chosen[1])
    assert set(hit_ids(testapp.get(chosen[1]))) == set(hit_ids(page))
    # so does the chip above the results
    assert "Thư viện:</span> Cơ sở Tuy Hòa" in filtered.text

    # filters of two fields both apply
    year = facet_links(filtered, "year")["1986–1999"]
    both = testapp.get(year[1])
    assert hit_ids(both) == ["dl-variant"] and year[0] == 1


def test_several_values_of_one_facet_and_counts_without_its_own_filter(testapp, catalogue):
    page = testapp.get("/search", {"q": "dak lak"})
    everywhere = facet_links(page, "library")
    tuy_hoa = testapp.get(everywhere["Cơ sở Tuy Hòa"][1])
    # ticking Tuy Hòa leaves the other libraries' counts as they were (what ticking
    # them too would add), while the hits and the other facets follow the filter
    assert {k: c for k, (c, _h) in facet_links(tuy_hoa, "library").items()} == {
        k: c for k, (c, _h) in everywhere.items()}
    assert {k: c for k, (c, _h) in facet_links(tuy_hoa, "format").items()} == {"Sách": 2}
    # a second library of the same facet: records at either
    both = testapp.get(facet_links(tuy_hoa, "library")[EA_KAO][1])
    assert ("library", "tuy-hoa") in params(both.request.url)
    assert ("library", "xa-ea-kao") in params(both.request.url)
    at_ea_kao = set(hit_ids(testapp.get(everywhere[EA_KAO][1])))
    assert set(hit_ids(both)) == set(hit_ids(tuy_hoa)) | at_ea_kao
    ticked = {label for label, _n, _v, on in facet_boxes(both, "library")[0] if on}
    assert ticked == {"Cơ sở Tuy Hòa", EA_KAO}
    # and another facet on top: all facets combined
    books = testapp.get(facet_links(both, "format")["Sách"][1])
    assert set(hit_ids(books)) == set(hit_ids(both)) == {"dl-variant", "lstn"}
    assert sorted(v for k, v in params(books.request.url) if k != "q") == [
        "book", "tuy-hoa", "xa-ea-kao"]
    assert "Loại tài liệu:</span> Sách" in books.text


def test_facets_work_without_javascript_and_from_the_keyboard(testapp, catalogue):
    page = testapp.get("/search", {"q": "dak lak", "format": "book", "sort": "title"})
    form = next(f for f in page.forms.values()
                if any(name == "library" for name in f.fields))
    # real checkboxes with labels, and a button that sends them with the rest of the search
    assert [f.value for f in form.fields["q"]] == ["dak lak"]
    assert [f.value for f in form.fields["format"]] == ["book"]
    assert form.fields["sort"][0].value == "title"
    boxes = [f for f in form.fields["library"]]
    boxes[0].checked = boxes[1].checked = True
    answer = form.submit()
    chosen = [v for k, v in params(answer.request.url) if k == "library"]
    assert len(chosen) == 2 and answer.status_int == 200
    assert "facet-apply" in page.text and "catalogue.js" in page.text


def test_the_search_box_offers_suggestions_from_the_index(testapp, catalogue):
    page = testapp.get("/search")
    box = re.search(r'<input id="cq"[^>]*>', page.text).group(0)
    assert 'autocomplete="off"' in box
    assert 'data-suggest="http://localhost/search/suggest"' in box
    assert testapp.get("/search/suggest", {"q": "đắk"}).json[1][0].startswith("Đắk Lắk")
    assert testapp.get("/search/suggest", {"q": ""}).json == ["", []]
    long = testapp.get("/search/suggest", {"q": "x" * 5000})
    assert len(long.json[0]) == 100


def test_suggestions_are_rate_limited(testapp, catalogue, portal):
    from limits import parse

    from portal.ratelimit import IRateLimiter
    with portal() as p:
        p.request.find_service(IRateLimiter).rules["search"] = parse("2/minute")
    for _n in range(2):
        testapp.get("/search/suggest", {"q": "ca ph"})
    refused = testapp.get("/search/suggest", {"q": "ca ph"}, status=429)
    assert refused.json == ["ca ph", []]
    # suggestions count apart from searches: the reader can still search
    testapp.get("/search", {"q": "ca phe"})


def test_the_facets_a_reader_is_promised(testapp, catalogue):
    page = testapp.get("/search", {"q": "tay nguyen"})
    for heading in ("Thư viện", "Loại tài liệu", "Ngôn ngữ", "Năm xuất bản", "Chủ đề",
                    "Tác giả", "Bộ sưu tập", "Có sẵn ngay"):
        assert re.search(rf'<h3 id="facet-[a-z]+">{heading}', page.text)
    available = facet_links(page, "available")
    # lstn is on the shelf at BMT and Ea Kao; 13 of the 25 short-story volumes at Tuy Hòa
    assert available["Cơ sở Tuy Hòa"][0] == 13
    on_shelf = testapp.get(available[EA_KAO][1])
    assert hit_ids(on_shelf) == ["lstn"]


def test_available_now_anywhere_and_online(testapp, catalogue):
    page = testapp.get("/search", {"q": "su thi"})
    available = facet_links(page, "available")
    assert available["Trực tuyến"][0] == 1
    assert hit_ids(testapp.get(available["Trực tuyến"][1])) == ["damsan"]
    anywhere = testapp.get("/search", {"q": "dak lak", "available": "*"})
    assert "dl-plain" not in hit_ids(anywhere)        # its only copy is out
    assert "dia-chi-so" in hit_ids(anywhere)          # online counts as available


def test_year_range_from_the_form(testapp, catalogue):
    page = testapp.get("/search", {"q": "truyen ngan"})
    form = next(f for f in page.forms.values() if "year_from" in f.fields)
    form["year_from"] = "2000"
    form["year_to"] = "2003"
    narrowed = form.submit()
    assert ("q", "truyen ngan") in params(narrowed.request.url)
    assert sorted(hit_ids(narrowed)) == ["truyen-20", "truyen-21", "truyen-22", "truyen-23"]


def test_sort_by_title_in_vietnamese_order(testapp, catalogue):
    page = testapp.get("/search", {"collection": "Thử sắp xếp", "sort": "title"})
    titles = [html.unescape(t) for t in
              re.findall(r'<li class="hit">.*?<h2><a href="[^"]+">(.*?)</a>', page.text, re.S)]
    assert titles == SORTED_TITLES
    newest = testapp.get("/search", {"collection": "Thử sắp xếp", "sort": "newest"})
    assert hit_ids(newest) == [f"sort-{n}" for n in range(5, -1, -1)]
    # the sort links keep the filter
    sort_bar = re.search(r'<p class="sort">(.*?)</p>', page.text, re.S).group(1)
    assert '<strong aria-current="true">nhan đề</strong>' in sort_bar
    newest_link = html.unescape(re.search(r'href="([^"]+)"[^>]*>mới nhất', sort_bar).group(1))
    assert params(newest_link) == [("collection", "Thử sắp xếp"), ("sort", "newest")]


def test_pages_of_results(testapp, catalogue):
    first = testapp.get("/search", {"q": "truyen ngan"})
    assert "Tìm thấy 25 tài liệu cho “truyen ngan”" in first.text
    assert len(hit_ids(first)) == 20
    nav = re.search(r'<nav class="pager pages".*?</nav>', first.text, re.S).group(0)
    assert 'rel="prev"' not in nav
    next_href = html.unescape(re.search(r'rel="next" href="([^"]+)"', nav).group(1))
    assert ("page", "2") in params(next_href) and ("q", "truyen ngan") in params(next_href)
    second = testapp.get(next_href)
    assert len(hit_ids(second)) == 5
    assert not set(hit_ids(first)) & set(hit_ids(second))
    assert '<ol class="hits" start="21">' in second.text
    prev = html.unescape(re.search(r'rel="prev" href="([^"]+)"', second.text).group(1))
    assert hit_ids(testapp.get(prev)) == hit_ids(first)
    assert 'rel="next"' not in second.text


def test_repository_items_are_marked_read_online_or_listen(testapp, catalogue):
    page = testapp.get("/search", {"q": "dam san"})
    assert (["Nghe"], "http://localhost/bmt/sach-noi/dam-san") in links(page, "online")
    page = testapp.get("/search", {"q": "dia chi dak lak"})
    assert (["Đọc", "trực", "tuyến"], "/bmt/dia-chi/dia-chi-dak-lak") in links(page, "online")


def test_a_harvested_javascript_link_is_never_shown(testapp, catalogue):
    page = testapp.get("/search", {"q": "lien ket la"})
    assert hit_ids(page) == ["bad-link"]
    assert "javascript:" not in page.text
    assert "javascript:" not in testapp.get("/record/bad-link").text


def test_no_results_says_so_and_offers_a_way_out(testapp, catalogue):
    page = testapp.get("/search", {"q": "khủng long sao hỏa"})
    assert hit_ids(page) == []
    assert "Không tìm thấy tài liệu nào" in page.text
    assert "“dak lak” tìm thấy “Đắk Lắk”" in page.text
    filtered = testapp.get("/search", {"q": "dak lak", "library": "tuy-hoa", "format": "map"})
    assert "Không tìm thấy tài liệu nào" in filtered.text
    clear = html.unescape(re.search(r'href="([^"]+)"[^>]*>Tìm lại, không dùng bộ lọc',
                                    filtered.text).group(1))
    assert params(clear) == [("q", "dak lak")]


@pytest.mark.parametrize("query, vietnamese, english", [
    ({"q": "sach", "sort": "ngau-nhien"}, "Không có cách sắp xếp này", "Unknown sort order"),
    ({"q": "sach", "year_from": "năm ngoái"}, "Năm phải là một số nguyên",
     "A year must be a whole number"),
    ({"year_from": "2020", "year_to": "1990"}, "Năm bắt đầu lớn hơn năm kết thúc",
     "The first year of the range is after the last"),
    ({"q": "sach", "year": "1800-1900"}, "Không có khoảng năm này", "Unknown year range"),
    ({"q": "sach", "page": "99999"}, "Chỉ xem được 10000 kết quả đầu", "first 10000"),
])
def test_bad_parameters_get_a_bilingual_message_not_a_500(testapp, catalogue, query,
                                                          vietnamese, english):
    page = testapp.get("/search", query, status=400)
    alert = re.search(r'<div class="flash error" role="alert">(.*?)</div>', page.text, re.S)
    assert alert and vietnamese in alert.group(1) and english in alert.group(1)
    assert page.forms[0]["q"].value == query.get("q", "")     # the box is still there
    english_page = testapp.get("/search", dict(query, _LOCALE_="en"), status=400)
    strong = re.search(r"<strong>(.*?)</strong>", english_page.text.split('role="alert"')[1])
    assert english in html.unescape(strong.group(1))


@pytest.mark.parametrize("q", ['"unclosed', "title:", "((( OR NEAR(a,b) *", "a" * 5000,
                               "đ" * 3000 + " ISBN:978", "\x00\x01 ctrl", "' OR 1=1 --",
                               "[[:alpha:]]+.*{1,999999}", "%s%s%n", "<script>alert(1)</script>"])
def test_hostile_queries_are_bounded(testapp, catalogue, q):
    page = testapp.get("/search", {"q": q})
    assert "<script>alert(1)</script>" not in page.text
    box = page.forms[0]["q"].value
    assert len(box) <= 500 and "\x00" not in box


def test_an_address_that_is_not_utf8_is_no_500(testapp, catalogue):
    page = testapp.get("/search?q=%ff%fe+lak&library=%c3")
    assert page.status_int == 200
    assert "lak" in page.forms[0]["q"].value


def test_search_is_rate_limited(testapp, catalogue, portal):
    from limits import parse

    from portal.ratelimit import IRateLimiter
    with portal() as p:
        p.request.find_service(IRateLimiter).rules["search"] = parse("3/minute")
    for _n in range(3):
        testapp.get("/search", {"q": "dak lak"})
    refused = testapp.get("/search", {"q": "dak lak"}, status=429)
    assert int(refused.headers["Retry-After"]) > 0
    assert "Tìm kiếm quá nhiều lần" in refused.text
    # reading a record is not searching
    testapp.get("/record/lstn")


def test_the_header_leads_to_the_catalogue_and_browsers_find_opensearch(testapp, catalogue):
    home = testapp.get("/")
    assert (["Tra", "cứu", "mục", "lục"], "http://localhost/search") in links(home)
    assert ('<link rel="search" type="application/opensearchdescription+xml" '
            'title="Thư viện Đắk Lắk" href="http://localhost/opensearch.xml">') in home.text
    description = testapp.get("/opensearch.xml")
    assert description.content_type == "application/opensearchdescription+xml"
    from lxml import etree
    doc = etree.fromstring(description.body)
    ns = {"os": "http://a9.com/-/spec/opensearch/1.1/"}
    templates = {u.get("type"): u.get("template") for u in doc.findall("os:Url", ns)}
    assert templates["text/html"] == "http://localhost/search?q={searchTerms}"
    assert templates["application/x-suggestions+json"].startswith(
        "http://localhost/search/suggest?q=")
    assert len(doc.find("os:ShortName", ns).text) <= 16
    html_search = templates["text/html"].replace("{searchTerms}", "lich+su+tay+nguyen")
    assert hit_ids(testapp.get(html_search))[0] == "lstn"


def test_suggestions_for_the_search_box(testapp, catalogue):
    answer = testapp.get("/search/suggest", {"q": "ca ph"})
    assert answer.content_type == "application/x-suggestions+json"
    prefix, texts = answer.json
    assert prefix == "ca ph" and "Cà phê Buôn Ma Thuột" in texts


# --- the record page -----------------------------------------------------------------------

def holdings_rows(page):
    table = re.search(r'<table class="list stack holdings">(.*?)</table>', page.text, re.S)
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S)[1:]:
        cells = [" ".join(re.sub(r"<[^>]+>", " ", c).split())
                 for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        rows.append(cells)
    return rows


def test_the_record_page(testapp, catalogue):
    page = testapp.get("/record/lstn")
    text = page.text
    assert "<h1>Lịch sử Tây Nguyên</h1>" in text
    assert "Tổng quan lịch sử vùng đất Tây Nguyên" in text
    assert "Nhà xuất bản Chính trị Quốc gia" in text and "<td>2001</td>" in text
    assert "<td>Tiếng Việt</td>" in text and "978-604-0-00001-9" in text
    # authors and subjects lead to the search
    assert (["Nguyễn", "Văn", "Giàu"],
            "http://localhost/search?author=Nguy%E1%BB%85n+V%C4%83n+Gi%C3%A0u") in links(page)
    subject = dict((" ".join(t), h) for t, h in links(page))["Tây Nguyên"]
    assert "lstn" in hit_ids(testapp.get(subject))
    # holdings: the sites first, each with call number and "còn n/m bản"
    assert holdings_rows(page) == [
        ["Cơ sở Buôn Ma Thuột", "959.76 L302S", "Kho đọc tầng 2", "còn 1/2 bản"],
        ["Cơ sở Tuy Hòa", "959.76 L302S", "", "còn 0/1 bản"],
        [EA_KAO, "LS 12", "", "còn 1/1 bản"],
    ]
    # the APA-style citation, and downloads for reference managers
    citation = re.search(r'<p class="citation">(.*?)</p>', text, re.S).group(1)
    assert citation == ("Nguyễn Văn Giàu. (2001). <i>Lịch sử Tây Nguyên</i>. Nhà xuất bản "
                        "Chính trị Quốc gia. http://localhost/record/lstn")
    assert 'href="http://localhost/record/lstn/cite.ris" download' in text
    assert '<img src="http://localhost/record/lstn/qr.png"' in text


def test_a_record_with_a_digital_copy_links_to_it(testapp, catalogue):
    page = testapp.get("/record/damsan")
    assert (["Nghe"], "http://localhost/bmt/sach-noi/dam-san") in links(page, "button")
    assert "Sách nói" in page.text
    # the site that keeps the recording, without pretending it has copies to lend
    assert holdings_rows(page) == [["Cơ sở Buôn Ma Thuột", "398.2 S550T", "", "không có bản in"]]
    online_only = testapp.get("/record/dia-chi-so")
    assert "chỉ có bản trực tuyến" in online_only.text


def test_a_digital_item_is_not_said_to_be_on_loan(testapp, catalogue):
    page = testapp.get("/search", {"q": "dam san"})
    hit = page.text.split('<li class="hit">')[1]
    assert "Nghe" in hit and "đang được mượn" not in hit and "Còn trên giá" not in hit
    on_loan = testapp.get("/search", {"q": "travel guide"}).text.split('<li class="hit">')[1]
    assert "Tất cả các bản đang được mượn" in on_loan


def test_an_unknown_record_is_a_404(testapp, catalogue):
    page = testapp.get("/record/khong-co", status=404)
    assert "Không tìm thấy trang" in page.text
    testapp.get("/record/" + "x" * 300, status=404)
    testapp.get("/record/khong-co/qr.png", status=404)
    testapp.get("/record/lstn/cite.pdf", status=404)


def test_the_qr_code_is_a_png_of_the_record_address(testapp, catalogue):
    import segno
    from PIL import Image
    response = testapp.get("/record/lstn/qr.png")
    assert response.content_type == "image/png"
    image = Image.open(io.BytesIO(response.body))
    assert image.format == "PNG" and image.width == image.height >= 150
    expected = io.BytesIO()
    segno.make("http://localhost/record/lstn", error="m").save(expected, kind="png", scale=6,
                                                               border=2)
    assert response.body == expected.getvalue()
    other = testapp.get("/record/coffee/qr.png")
    assert other.body != response.body


def test_citations_download_as_ris_and_bibtex(testapp, catalogue):
    ris = testapp.get("/record/de-cricket/cite.ris")
    assert ris.content_type == "application/x-research-info-systems"
    assert ris.headers["Content-Disposition"] == 'attachment; filename="de-cricket.ris"'
    lines = ris.body.decode("utf-8").split("\r\n")
    assert lines[0] == "TY  - BOOK" and lines[-2] == "ER  - " and lines[-1] == ""
    assert "AU  - Tô Hoài" in lines                 # the heading's dates dropped
    assert "TI  - Dế mèn phiêu lưu ký" in lines and "PY  - 1941" in lines
    assert "PB  - Kim Đồng" in lines and "SN  - 6041000043" in lines
    assert "UR  - http://localhost/record/de-cricket" in lines

    bib = testapp.get("/record/de-cricket/cite.bib")
    assert bib.content_type == "application/x-bibtex"
    text = bib.body.decode("utf-8")
    assert text.startswith("@book{to1941-decricket,\n")
    assert "  title = {Dế mèn phiêu lưu ký}," in text
    assert "  author = {{Tô Hoài}}," in text           # one unit, not "Hoài, Tô"
    assert "  year = {1941}," in text and text.rstrip().endswith("}")
    assert text.count("{") == text.count("}")


def test_marc_view_is_for_staff_only(testapp, catalogue, make_user):
    for who in (None, "bandoc"):
        if who:
            make_user(who, roles=("Reader",))
            sign_in(testapp, who)
        page = testapp.get("/record/lstn")
        assert "MARC của các biểu ghi nguồn" not in page.text
        assert "=245" not in page.text
    make_user("thuthu.tuyhoa", site_roles=[("tuy-hoa", "Librarian")])
    sign_in(testapp, "thuthu.tuyhoa")
    page = testapp.get("/record/lstn")
    assert "MARC của các biểu ghi nguồn" in page.text
    if not HAS_PROVENANCE:
        pytest.skip("Record.provenance comes with the union-catalogue pipeline")
    marc = html.unescape(re.sub(r"<[^>]+>", "", re.search(
        r'<pre class="marc"[^>]*>(.*?)</pre>', page.text, re.S).group(1)))
    # MARCMaker text lines, as pymarc prints the stored record
    lines = marc.splitlines()
    assert lines[0].startswith("=LDR  ") and "=001  BMT-0001" in lines
    assert f"=245  10$a{MARC_245}" in lines and "=852  \\\\$bbmt$h959.76 L302S" in lines
    assert "bmt · BMT-0001" in page.text


def test_a_repository_record_has_no_marc_to_show(testapp, catalogue, signed_in):
    app = signed_in("thuthu", site_roles=[("bmt", "Librarian")])
    page = app.get("/record/damsan")
    assert "không lấy từ biểu ghi MARC nào" in page.text


def test_catalogue_pages_are_english_on_request(testapp, catalogue):
    testapp.get("/lang/en", {"came_from": "/search"}, status=303)
    page = testapp.get("/search", {"q": "dak lak"})
    assert "Refine the results" in page.text and "Available now" in page.text
    record = testapp.get("/record/lstn")
    assert "1 of 2 copies available" in record.text and "Where to find it" in record.text


def test_the_marc_lines_read_the_same_with_either_reader(catalogue, portal):
    """pymarc shows the stored record; the catalogue's own reader is the fallback for a
    record pymarc cannot read, and must show the same lines."""
    from ils.catalogue.models import BibRecord
    from portal.views.catalogue import marc_lines
    with portal() as p:
        bib = p.request.dbsession.query(BibRecord).filter_by(control_number="BMT-0001").one()
        by_pymarc = marc_lines(bib.pymarc())
        by_ours = marc_lines(bib.marc_record())
    assert by_pymarc == by_ours
    assert ("245", "10", [("a", MARC_245)]) in by_pymarc


@pytest.mark.parametrize("path", ["/search", "/search?q=dak+lak&library=bmt&year_from=1990",
                                  "/search?q=khong+co+gi+ca", "/search?sort=ngau-nhien",
                                  "/record/lstn", "/record/damsan"])
def test_catalogue_pages_show_no_english_message(testapp, catalogue, path):
    from tests.unit.portal.test_i18n import catalog, english_leftovers
    status = 400 if "ngau-nhien" in path else 200
    page = testapp.get(path, status=status)
    assert english_leftovers(page.text, catalog("vi")) == []


def test_the_marc_view_shows_no_english_message(catalogue, signed_in):
    from tests.unit.portal.test_i18n import catalog, english_leftovers
    app = signed_in("thuthu", site_roles=[("bmt", "Librarian")])
    assert english_leftovers(app.get("/record/lstn").text, catalog("vi")) == []


def test_the_demo_shows_a_book_of_both_sites_and_a_commune_once(demo, testapp):
    """`make run`'s demo: "Lịch sử Tây Nguyên" is in both sites' catalogue and in
    the book list of the demo commune library: one record, three holdings."""
    found = testapp.get("/search", {"q": '"lịch sử tây nguyên (tài liệu mẫu)"'})
    records = {urlsplit(href).path for _text, href in links(found) if "/record/" in href}
    assert len(records) == 1, records
    assert "3 thư viện có tài liệu này" in found.text
    page = testapp.get(records.pop())
    holdings = page.text.split("Nơi có tài liệu")[1].split("</table>")[0]
    for name in ("Cơ sở Buôn Ma Thuột", "Cơ sở Tuy Hòa", "Thư viện xã Hòa Phú (mẫu)"):
        assert name in holdings
    # a book only the commune has, under its own name
    alone = testapp.get("/search", {"q": "truyen co e de ke cho thieu nhi"})
    assert "Thư viện xã Hòa Phú (mẫu)" in alone.text

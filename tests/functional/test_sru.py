"""SRU 2.0 at /sru: explain, searchRetrieve with CQL, records in MARCXML and DC, diagnostics.

The catalogue is ``provider_support.union_catalogue`` (MARC of both sites and
of a commune library, merged and indexed; one record deleted).
"""
import re
import time
from urllib.parse import urlencode

import pytest
from lxml import etree

from tests.functional.provider_support import (  # noqa: F401 (union_catalogue: a fixture)
    COMMUNE, COMMUNE_NAME, NS, texts, union_catalogue, xml)

DIAG = "info:srw/diagnostic/1/"
UNION_ID = re.compile(r"[0-9a-f]{16,32}")


def sru(testapp, **params):
    return xml(testapp.get("/sru?" + urlencode(params)))


def search(testapp, query, **params):
    return sru(testapp, query=query, **params)


def diagnostics(root):
    return texts(root, "//diag:uri | //zd:uri")


def total(root):
    return int(root.xpath("string(//sru:numberOfRecords | //zs:numberOfRecords)",
                          namespaces=NS))


def control_numbers(root):
    return texts(root, "//sru:recordData/marc:record/marc:controlfield[@tag='001']")


def found(testapp, query, **params):
    """Control numbers of the catalogue's MARC records found (the demo's digital
    items, whose MARC is built with the union id as 001, are left out)."""
    root = search(testapp, query, maximumRecords="100", **params)
    assert diagnostics(root) == [], texts(root, "//diag:message")
    return {n for n in control_numbers(root) if not UNION_ID.fullmatch(n)}


# --- explain ----------------------------------------------------------------------------

def test_explain_describes_the_server(testapp, union_catalogue):
    for root in (sru(testapp), sru(testapp, operation="explain")):
        assert root.tag == f"{{{NS['sru']}}}explainResponse"
        assert texts(root, "sru:version") == ["2.0"]
        explain = root.xpath("//zr:explain", namespaces=NS)[0]
        names = {(n.get("set"), n.text) for n in explain.xpath("//zr:map/zr:name",
                                                               namespaces=NS)}
        assert {("dc", "title"), ("dc", "creator"), ("dc", "subject"), ("bath", "isbn"),
                ("cql", "anywhere")} <= names
        schemas = {s.get("name"): s.get("identifier")
                   for s in explain.xpath("//zr:schema", namespaces=NS)}
        assert schemas == {"marcxml": "info:srw/schema/1/marcxml-v1.1",
                           "dc": "info:srw/schema/1/dc-v1.1"}
        assert texts(explain, "//zr:setting[@type='maximumRecords']") == ["100"]
        assert texts(explain, "//zr:serverInfo/zr:host") == ["localhost"]


def test_explain_in_sru_1_2(testapp, union_catalogue):
    root = sru(testapp, operation="explain", version="1.2")
    assert root.tag == f"{{{NS['zs']}}}explainResponse"
    assert texts(root, "zs:version") == ["1.2"]
    assert texts(root, "//zs:recordPacking") == ["xml"]


# --- searchRetrieve: what a partner finds -----------------------------------------------

@pytest.mark.parametrize("query", ['title="Lịch sử Tây Nguyên"', 'title="lich su tay nguyen"',
                                   'dc.title all "LỊCH SỬ"', 'bath.title adj "tay nguyen"',
                                   'title==lich', "Khoa", 'cql.anywhere="tiền sử"'])
def test_titles_and_words_with_or_without_diacritics(testapp, union_catalogue, query):
    assert "bmt-0001" in found(testapp, query)


@pytest.mark.parametrize("query", ["isbn=9786041200012", "isbn=978-604-1-20001-2",
                                   'bath.isbn="978 604 1 20001 2"', "isbn any 9786041200012"])
def test_isbn_with_or_without_hyphens(testapp, union_catalogue, query):
    assert found(testapp, query) == {"bmt-0001"}


def test_an_isbn_10_finds_its_isbn_13(testapp, union_catalogue):
    assert found(testapp, "isbn=6040000155") == {"bmt-0002"}


@pytest.mark.parametrize("query, expected", [
    ("author=Khoa", {"bmt-0001"}),
    ('dc.creator="nguyễn văn khoa"', {"bmt-0001"}),
    ('bath.name="Huỳnh Thị Yến"', {"th-0002"}),
    ('subject="sử thi"', {"bmt-0002"}),
    ('subject="sử thi" or (subject="âm nhạc dân gian" and subject="đắk lắk")',
     {"bmt-0002", "bmt-0003"}),
])
def test_author_and_subject(testapp, union_catalogue, query, expected):
    assert found(testapp, query) == expected


def test_boolean_or_and_not_with_parentheses(testapp, union_catalogue):
    three = 'author any "Khoa Yến Khem"'
    assert found(testapp, three) == {"bmt-0001", "th-0002", "eakao-02"}
    assert found(testapp, f"({three}) not title=\"Đầm Ô Loan\"") == {"bmt-0001", "eakao-02"}
    assert found(testapp, f"{three} and date<2012") == {"eakao-02"}
    assert found(testapp, f'{three} and dc.date within "2010 2016"') == {"th-0002",
                                                                          "eakao-02"}
    assert found(testapp, f"{three} and date<>2015") == {"bmt-0001", "eakao-02"}
    # a not inside a not: take away (Yến or Khem, but not the folk tales)
    assert found(testapp, f'({three}) not (author any "Yến Khem" not title="truyện cổ")') == {
        "bmt-0001", "eakao-02"}
    assert found(testapp, f'({three}) not (title="Đầm Ô Loan" not author=Yến)') == {
        "bmt-0001", "th-0002", "eakao-02"}
    assert found(testapp, 'title="Đầm Ô Loan" OR author=Khoa') == {"th-0002", "bmt-0001"}
    root = search(testapp, 'title="Đầm Ô Loan" or author=Khoa')
    assert total(root) == 2
    assert texts(root, "//sru:resultCountPrecision") == [
        "info:srw/vocabulary/resultCountPrecision/1/exact"]


def test_language_and_library(testapp, union_catalogue):
    assert found(testapp, "language=vi and author=Khoa") == {"bmt-0001"}
    assert found(testapp, "dc.language=eng and author=Khoa") == set()
    # the merged coffee book shows Buôn Ma Thuột's MARC
    assert found(testapp, f"library={COMMUNE}") == {"bmt-0004", "eakao-02"}


def test_a_deleted_record_is_not_found(testapp, union_catalogue):
    assert found(testapp, 'title="Ghềnh Đá Đĩa"') == set()
    assert found(testapp, 'title=ghenh or title="dam o loan"') == {"th-0002"}


def test_every_record_page_by_page(testapp, union_catalogue):
    seen, start, positions = [], 1, []
    while True:
        root = search(testapp, "cql.allRecords=1", startRecord=str(start), maximumRecords="4")
        assert total(root) == len(union_catalogue.live)
        seen += [r.text for r in root.xpath("//sru:record/sru:recordData/marc:record/"
                                             "marc:controlfield[@tag='001']", namespaces=NS)]
        positions += [int(p) for p in texts(root, "//sru:recordPosition")]
        following = texts(root, "//sru:nextRecordPosition")
        if not following:
            break
        start = int(following[0])
        assert start == positions[-1] + 1
    assert positions == list(range(1, len(union_catalogue.live) + 1))
    assert len(seen) == len(set(seen)) == len(union_catalogue.live)


def test_pages_of_a_combined_query(testapp, union_catalogue):
    query = 'author any "Khoa Yến Khem"'
    first = search(testapp, query, maximumRecords="2")
    second = search(testapp, query, maximumRecords="2", startRecord="3")
    assert total(first) == total(second) == 3
    assert texts(first, "//sru:nextRecordPosition") == ["3"]
    assert texts(second, "//sru:nextRecordPosition") == []
    assert len(set(control_numbers(first) + control_numbers(second))) == 3


def test_a_start_past_the_end(testapp, union_catalogue):
    root = search(testapp, "author=Khoa", startRecord="5")
    assert total(root) == 1 and diagnostics(root) == [DIAG + "61"]
    assert not root.xpath("//sru:record", namespaces=NS)
    root = search(testapp, "cql.allRecords=1", startRecord="10001")
    assert diagnostics(root) == [DIAG + "61"]


def test_count_only(testapp, union_catalogue):
    root = search(testapp, "author=Khoa", maximumRecords="0")
    assert total(root) == 1 and not root.xpath("//sru:record", namespaces=NS)


# --- record schemas and escaping --------------------------------------------------------

def test_dublin_core_records(testapp, union_catalogue):
    root = search(testapp, "author=Khoa", recordSchema="dc")
    assert texts(root, "//sru:record/sru:recordSchema") == ["info:srw/schema/1/dc-v1.1"]
    dc = root.xpath("//sru:recordData/srw_dc:dc", namespaces=NS)[0]
    assert texts(dc, "dc:title")[0].startswith("Lịch sử Tây Nguyên")
    assert texts(dc, "dc:creator") == ["Nguyễn Văn Khoa"]
    assert "URN:ISBN:9786041200012" in texts(dc, "dc:identifier")


def test_marcxml_by_its_identifier_and_the_merged_records_marc(testapp, union_catalogue,
                                                            sql_backend):
    root = search(testapp, 'isbn=9786040000019', recordSchema="info:srw/schema/1/marcxml-v1.1")
    assert control_numbers(root) == ["bmt-0004"]
    assert texts(root, "//marc:datafield[@tag='952']/marc:subfield[@code='p']") == [
        "BMT0000005"]
    # every library holding the merged book, by name (the 952 above is Buôn Ma
    # Thuột's own copy only)
    assert texts(root, "//marc:datafield[@tag='852']/marc:subfield[@code='a']") == [
        "Thư viện tỉnh Đắk Lắk — cơ sở Buôn Ma Thuột", COMMUNE_NAME]


def test_records_escaped_as_strings(testapp, union_catalogue):
    root = search(testapp, "author=Khoa", recordXMLEscaping="string")
    data = root.xpath("//sru:recordData", namespaces=NS)[0]
    assert len(data) == 0
    marc = etree.fromstring(data.text.encode("utf-8"))
    assert texts(marc, "marc:controlfield[@tag='001']") == ["bmt-0001"]


def test_sru_1_2_answers(testapp, union_catalogue):
    root = search(testapp, "author=Khoa", version="1.2", operation="searchRetrieve",
                  recordPacking="xml")
    assert root.tag == f"{{{NS['zs']}}}searchRetrieveResponse"
    assert total(root) == 1
    assert texts(root, "//zs:recordPacking") == ["xml", "xml"]     # the record, the echo
    bad = search(testapp, "dc.foo=x", version="1.1", operation="searchRetrieve")
    assert texts(bad, "//zs:diagnostics/zd:diagnostic/zd:uri") == [DIAG + "16"]


def test_post_is_the_same_as_get(testapp, union_catalogue):
    got = testapp.get("/sru", {"query": "author=Khoa"})
    posted = testapp.post("/sru", {"query": "author=Khoa"})
    assert posted.body.split(b"</sruResponse:version>")[1] == \
        got.body.split(b"</sruResponse:version>")[1]


# --- diagnostics ------------------------------------------------------------------------

@pytest.mark.parametrize("params, number", [
    ({"operation": "scan", "scanClause": "title=a"}, 4),
    ({"query": "a", "version": "3.0"}, 5),
    ({"query": "a", "maximumRecords": "-1"}, 6),
    ({"query": "a", "maximumRecords": "ten"}, 6),
    ({"query": "a", "startRecord": "0"}, 6),
    ({"query": "a", "queryType": "solr"}, 6),
    ({"operation": "searchRetrieve"}, 7),
    ({"query": "a", "colour": "blue"}, 8),
    ({"query": "a", "recordSchema": "mods"}, 66),
    ({"query": "a", "recordXMLEscaping": "json"}, 71),
    ({"query": "a", "sortKeys": "title"}, 80),
    ({"query": "a", "stylesheet": "http://example.org/x.xsl"}, 110),
])
def test_parameter_diagnostics(testapp, union_catalogue, params, number):
    root = sru(testapp, **params)
    assert diagnostics(root) == [f"{DIAG}{number}"]
    assert total(root) == 0
    message = root.xpath("string(//diag:message)", namespaces=NS)
    assert " / " in message             # Vietnamese / English


def test_extension_parameters_are_ignored(testapp, union_catalogue):
    root = sru(testapp, query="author=Khoa", **{"x-info-5-mythings": "1"})
    assert diagnostics(root) == [] and total(root) == 1


@pytest.mark.parametrize("query, number", [
    ("title=", 10),
    ("title=a and", 10),
    ("dak lak", 10),
    ("title=a)", 13),
    ("(title=a", 13),
    ('title="abc', 14),
    ("foo.title=x", 15),
    ("dc.publisherx=x", 16),
    ("shelfmark=x", 16),
    ("title cql.fuzzy x", 19),
    ("title =/stem x", 20),
    ("isbn<978", 22),
    ('title=""', 27),
    ("title=dak*", 28),
    ("title=d?k", 28),
    ("title=^dak", 31),
    ("isbn=abc", 36),
    ("date=last-year", 36),
    ("a prox b", 37),
    ('title any "a b c d e f g h i"', 38),
    ("a sortby title", 80),
])
def test_cql_diagnostics(testapp, union_catalogue, query, number):
    root = search(testapp, query)
    assert diagnostics(root) == [f"{DIAG}{number}"], texts(root, "//diag:message")
    assert root.xpath("string(//diag:message)", namespaces=NS).strip()


@pytest.mark.parametrize("query", [
    "a" * 5000,
    "(" * 1000 + "a" + ")" * 1000,
    " or ".join(f"title=w{n}" for n in range(40)),
    " and ".join(f"title=w{n}" for n in range(40)),
    "(a or b) and (c or d) and (e or f) and (g or h) and (i or j)",
    '".*(a|b)+$"', "title=\x00", "\\", '"\\"', "=", "==", "()", ">", "> x", "title=a/b",
    "\ud800", "a not (b not (c not (d not e)))",
])
def test_hostile_queries_are_answered_quickly_never_with_an_error(testapp, union_catalogue,
                                                                  query):
    started = time.perf_counter()
    response = testapp.get("/sru?" + urlencode({"query": query}, encoding="utf-8",
                                               errors="surrogatepass"))
    assert response.status_int == 200
    root = etree.fromstring(response.body)
    assert root.tag == f"{{{NS['sru']}}}searchRetrieveResponse"
    assert time.perf_counter() - started < 5


def test_long_queries_are_refused_with_a_diagnostic(testapp, union_catalogue):
    assert diagnostics(search(testapp, "a" * 5000)) == [DIAG + "10"]
    assert diagnostics(search(testapp, "(" * 200 + "a" + ")" * 200)) == [DIAG + "13"]
    assert diagnostics(search(testapp, " or ".join(f"w{n}" for n in range(40)))) == [
        DIAG + "38"]


def test_a_combined_count_past_the_set_limit_is_an_estimate(testapp, union_catalogue,
                                                            monkeypatch):
    monkeypatch.setattr("federation.providers.sru.SET_LIMIT", 2)
    root = search(testapp, "cql.allRecords=1 not author=Khoa")
    assert total(root) == len(union_catalogue.live) - 1
    assert texts(root, "//sru:resultCountPrecision") == [
        "info:srw/vocabulary/resultCountPrecision/1/estimate"]
    root = search(testapp, 'title="Đầm Ô Loan" or author=Khoa')
    assert texts(root, "//sru:resultCountPrecision") == [
        "info:srw/vocabulary/resultCountPrecision/1/exact"]

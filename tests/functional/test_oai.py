"""OAI-PMH 2.0 at /oai: the six verbs, their errors, resumption, sets, dates, deletions.

The catalogue is ``provider_support.union_catalogue``: MARC of both sites and
of a commune library, merged, one record deleted, datestamps spread out.
Pages hold 3 records (``oai.page_size``) so every list needs several tokens.
Tests that take ``sql_backend`` run on SQLite and on PostgreSQL.
"""
from urllib.parse import urlencode

import pytest

from federation.providers.oai import TokenSigner
from tests.functional.provider_support import (  # noqa: F401 (union_catalogue: a fixture)
    BMT_DATE, COMMUNE, COMMUNE_NAME, NS, REPOSITORY_ID, TUY_HOA_DATE, texts, union_catalogue,
    union_id_of, xml)

PAGE = 3


@pytest.fixture
def settings(settings):
    return dict(settings, **{"oai.page_size": str(PAGE)})


def oai(testapp, **params):
    params = {("from" if k == "from_" else k): v for k, v in params.items()}
    return xml(testapp.get("/oai?" + urlencode(params)))


def error_code(root):
    codes = root.xpath("/o:OAI-PMH/o:error/@code", namespaces=NS)
    return codes[0] if codes else None


def walk(testapp, verb, **params):
    """Every page of a list: (headers as (id, datestamp, deleted, sets), pages)."""
    pages, headers = [], []
    root = oai(testapp, verb=verb, **params)
    while True:
        assert error_code(root) is None, root.xpath("string(//o:error)", namespaces=NS)
        pages.append(root)
        for header in root.xpath("//o:header", namespaces=NS):
            headers.append((union_id_of(header.findtext(f"{{{NS['o']}}}identifier")),
                            header.findtext(f"{{{NS['o']}}}datestamp"),
                            header.get("status") == "deleted",
                            texts(header, "o:setSpec")))
        token = root.xpath("//o:resumptionToken", namespaces=NS)
        if not token or not token[0].text:
            return headers, pages
        root = oai(testapp, verb=verb, resumptionToken=token[0].text)


# --- Identify, ListMetadataFormats, ListSets ------------------------------------------

def test_identify_tells_a_harvester_how_to_harvest(testapp, union_catalogue):
    root = oai(testapp, verb="Identify")
    identify = root.find(f"{{{NS['o']}}}Identify")
    field = {child.tag.split("}")[1]: child.text for child in identify}
    assert field["baseURL"] == "http://localhost/oai"
    assert field["protocolVersion"] == "2.0"
    assert field["deletedRecord"] == "persistent"
    assert field["granularity"] == "YYYY-MM-DDThh:mm:ssZ"
    assert field["earliestDatestamp"] == "2024-01-15T10:00:00Z"
    assert "@" in field["adminEmail"]
    assert texts(root, "//*[local-name()='repositoryIdentifier']") == [REPOSITORY_ID]
    assert root.xpath("/o:OAI-PMH/o:request/@verb", namespaces=NS) == ["Identify"]


def test_identify_takes_no_arguments(testapp, union_catalogue):
    root = oai(testapp, verb="Identify", metadataPrefix="oai_dc")
    assert error_code(root) == "badArgument"
    # a badArgument answer echoes no arguments, only the base URL
    assert root.find(f"{{{NS['o']}}}request").attrib == {}


def test_both_formats_are_offered_for_every_record(testapp, union_catalogue):
    for params in ({}, {"identifier": union_catalogue.oai_id("bmt-0001")},
                   {"identifier": f"oai:{REPOSITORY_ID}:{union_catalogue.deleted}"}):
        root = oai(testapp, verb="ListMetadataFormats", **params)
        assert texts(root, "//o:metadataPrefix") == ["oai_dc", "marc21"]
        assert "http://www.loc.gov/MARC21/slim" in texts(root, "//o:metadataNamespace")


def test_formats_of_an_unknown_identifier(testapp, union_catalogue):
    root = oai(testapp, verb="ListMetadataFormats", identifier=f"oai:{REPOSITORY_ID}:nope")
    assert error_code(root) == "idDoesNotExist"


def test_sets_per_site_and_per_library_with_names(testapp, union_catalogue):
    root = oai(testapp, verb="ListSets")
    names = dict(zip(texts(root, "//o:setSpec"), texts(root, "//o:setName")))
    assert {"site", "site:bmt", "site:tuy-hoa", "library", f"library:{COMMUNE}"} <= set(names)
    assert "Buôn Ma Thuột" in names["site:bmt"]
    assert "Tuy Hòa" in names["site:tuy-hoa"]
    assert names[f"library:{COMMUNE}"] == COMMUNE_NAME
    assert "/" in names["site"]         # Vietnamese / English
    assert oai(testapp, verb="ListSets", resumptionToken="x").xpath(
        "string(//o:error/@code)", namespaces=NS) == "badResumptionToken"


# --- Lists and resumption -------------------------------------------------------------

@pytest.mark.parametrize("verb", ["ListIdentifiers", "ListRecords"])
def test_a_whole_list_through_resumption_tokens(testapp, union_catalogue, verb, sql_backend):
    headers, pages = walk(testapp, verb, metadataPrefix="oai_dc")
    ids = [h[0] for h in headers]
    assert len(ids) == len(set(ids))
    assert set(ids) == union_catalogue.all              # deleted records too
    size = len(union_catalogue.all)
    page_size = PAGE if verb == "ListRecords" else PAGE * 5
    assert len(pages) == -(-size // page_size) > 1
    tokens = [p.xpath("//o:resumptionToken", namespaces=NS)[0] for p in pages[1:]]
    first = pages[0].xpath("//o:resumptionToken", namespaces=NS)[0]
    assert first.get("completeListSize") == str(size) and first.get("cursor") == "0"
    assert [t.get("cursor") for t in tokens] == [str(page_size * n)
                                                  for n in range(1, len(pages))]
    assert all(t.get("completeListSize") == str(size) for t in tokens)
    assert tokens[-1].text is None                     # the last page ends the list
    assert first.get("expirationDate").endswith("Z")


def test_deleted_records_are_headers_without_metadata(testapp, union_catalogue):
    _headers, pages = walk(testapp, "ListRecords", metadataPrefix="marc21")
    deleted = [r for p in pages for r in p.xpath("//o:record[o:header/@status='deleted']",
                                                   namespaces=NS)]
    assert [union_id_of(r.findtext(f".//{{{NS['o']}}}identifier")) for r in deleted] == [
        union_catalogue.deleted]
    assert deleted[0].find(f"{{{NS['o']}}}metadata") is None
    live = [r for p in pages for r in p.xpath("//o:record[not(o:header/@status)]",
                                                namespaces=NS)]
    assert all(r.find(f"{{{NS['o']}}}metadata") is not None for r in live)


def test_oai_dc_describes_the_record(testapp, union_catalogue):
    root = oai(testapp, verb="GetRecord", metadataPrefix="oai_dc",
               identifier=union_catalogue.oai_id("bmt-0001"))
    dc = root.xpath("//oai_dc:dc", namespaces=NS)[0]
    assert texts(dc, "dc:title")[0].startswith("Lịch sử Tây Nguyên")
    assert texts(dc, "dc:creator") == ["Nguyễn Văn Khoa"]
    assert texts(dc, "dc:date") == ["2019"]
    assert "URN:ISBN:9786041200012" in texts(dc, "dc:identifier")
    union_id = union_catalogue.by_control_number["bmt-0001"]
    assert f"http://localhost/record/{union_id}" in texts(dc, "dc:identifier")


def test_marc21_is_the_catalogued_marc_kept_whole(testapp, union_catalogue):
    root = oai(testapp, verb="GetRecord", metadataPrefix="marc21",
               identifier=union_catalogue.oai_id("bmt-0001"))
    marc = root.xpath("//o:metadata/marc:record", namespaces=NS)[0]
    assert texts(marc, "marc:controlfield[@tag='001']") == ["bmt-0001"]
    assert texts(marc, "marc:datafield[@tag='245']/marc:subfield[@code='b']") == [
        "từ thời tiền sử đến năm 1945 /"]
    # the copies as the old system exported them (952, Koha style)
    assert "BMT0000001" in texts(marc, "marc:datafield[@tag='952']/marc:subfield[@code='p']")


def test_marc21_of_a_merged_record_and_its_sets(testapp, union_catalogue, sql_backend):
    root = oai(testapp, verb="GetRecord", metadataPrefix="marc21",
               identifier=union_catalogue.oai_id("eakao-01"))
    assert texts(root, "//o:header/o:setSpec") == [f"library:{COMMUNE}", "site:bmt"]
    # the first member from the library's own catalogue: Buôn Ma Thuột's record
    assert texts(root, "//marc:controlfield[@tag='001']") == ["bmt-0004"]
    # followed by the union's holdings, each library by its name: the site's
    # title, the commune library's name from the directory, never a bare code
    holdings = root.xpath("//marc:datafield[@tag='852']", namespaces=NS)
    assert [(texts(h, "marc:subfield[@code='b']"), texts(h, "marc:subfield[@code='a']"))
            for h in holdings] == [
        (["bmt"], ["Thư viện tỉnh Đắk Lắk — cơ sở Buôn Ma Thuột"]),
        ([COMMUNE], [COMMUNE_NAME])]


def test_marc21_of_a_digital_item_is_built_from_its_description(testapp, union_catalogue):
    ils = set(union_catalogue.by_control_number.values())
    repository = sorted(union_catalogue.live - ils)
    assert repository, "the demo's digital items are in the union catalogue"
    root = oai(testapp, verb="GetRecord", metadataPrefix="marc21",
               identifier=f"oai:{REPOSITORY_ID}:{repository[0]}")
    assert texts(root, "//marc:controlfield[@tag='001']") == [repository[0]]
    assert texts(root, "//marc:datafield[@tag='245']/marc:subfield[@code='a']")[0]
    assert texts(root, "//marc:datafield[@tag='856']/marc:subfield[@code='u']")[0].startswith(
        "http://localhost/")


@pytest.mark.parametrize("spec", ["site:bmt", "site:tuy-hoa", f"library:{COMMUNE}", "site",
                                  "library"])
def test_sets_select_their_records(testapp, union_catalogue, spec):
    headers, _pages = walk(testapp, "ListIdentifiers", metadataPrefix="oai_dc", set=spec)
    assert {h[0] for h in headers} == union_catalogue.ids_in(spec)
    assert all(any(s == spec or s.startswith(spec + ":") for s in h[3]) for h in headers)


def test_a_set_harvester_hears_of_deletions(testapp, union_catalogue, sql_backend):
    headers, _pages = walk(testapp, "ListIdentifiers", metadataPrefix="oai_dc",
                           set="site:tuy-hoa")
    assert [h[0] for h in headers if h[2]] == [union_catalogue.deleted]


def test_from_and_until_by_day_and_by_second(testapp, union_catalogue, sql_backend):
    bmt_only = {u for u, s in union_catalogue.sets.items() if s == ["site:bmt"]}
    th_only = {u for u, s in union_catalogue.sets.items()
               if s == ["site:tuy-hoa"] and u != union_catalogue.deleted}

    def ids(**params):
        return {h[0] for h in walk(testapp, "ListIdentifiers", metadataPrefix="oai_dc",
                                   **params)[0]}
    assert ids(until="2024-12-31") == bmt_only
    assert ids(from_="2024-01-15", until="2024-01-15") == bmt_only
    assert ids(from_="2024-01-15T10:00:00Z", until="2024-01-15T10:00:00Z") == bmt_only
    assert ids(from_="2025-01-01", until="2025-12-31") == th_only
    assert ids(from_="2025-06-01T08:30:00Z") == union_catalogue.all - bmt_only
    newest = ids(from_="2025-06-01T08:30:01Z")
    assert newest == union_catalogue.all - bmt_only - th_only
    assert union_catalogue.deleted in newest
    headers, _ = walk(testapp, "ListIdentifiers", metadataPrefix="oai_dc", until="2024-12-31")
    assert {h[1] for h in headers} == {BMT_DATE.strftime("%Y-%m-%dT%H:%M:%SZ")}
    assert TUY_HOA_DATE.year == 2025


def test_a_token_carries_the_arguments_of_the_list(testapp, union_catalogue):
    headers, pages = walk(testapp, "ListRecords", metadataPrefix="marc21", set="site:bmt",
                          until="2024-12-31")
    assert len(pages) >= 2
    assert all(h[1].startswith("2024-01-15") and h[3] == ["site:bmt"] for h in headers)
    assert all(p.xpath("//marc:record", namespaces=NS) for p in pages)


def test_post_is_the_same_as_get(testapp, union_catalogue):
    got = testapp.get("/oai", {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"})
    posted = testapp.post("/oai", {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"})
    assert texts(xml(posted), "//o:identifier") == texts(xml(got), "//o:identifier")
    assert posted.content_type == "text/xml"


# --- Errors ---------------------------------------------------------------------------

@pytest.mark.parametrize("query", ["", "verb=Harvest", "verb=listrecords",
                                   "verb=Identify&verb=Identify"])
def test_bad_verb(testapp, union_catalogue, query):
    root = xml(testapp.get("/oai?" + query))
    assert error_code(root) == "badVerb"
    assert root.find(f"{{{NS['o']}}}request").attrib == {}
    message = root.findtext(f"{{{NS['o']}}}error")
    assert "ListRecords" in message and " / " in message       # Vietnamese / English


@pytest.mark.parametrize("params", [
    {"verb": "ListRecords"},
    {"verb": "ListIdentifiers", "set": "site:bmt"},
    {"verb": "GetRecord", "metadataPrefix": "oai_dc"},
    {"verb": "GetRecord", "identifier": "oai:serepok.local:x"},
    {"verb": "ListRecords", "metadataPrefix": "oai_dc", "colour": "blue"},
    {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "15/01/2024"},
    {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-02-30"},
    {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-01-15T10:00Z"},
    {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-01-15T10:00:00.5Z"},
    {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-01-01",
     "until": "2024-12-31T00:00:00Z"},
    {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2025-01-01",
     "until": "2024-01-01"},
    {"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "site bmt"},
    {"verb": "ListRecords", "metadataPrefix": "oai_dc", "resumptionToken": "abc"},
    {"verb": "ListRecords", "metadataPrefix": "oai_dc", "until": ""},
    {"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "x" * 5000},
])
def test_bad_argument(testapp, union_catalogue, params):
    root = xml(testapp.get("/oai?" + urlencode(params)))
    assert error_code(root) == "badArgument"
    assert root.find(f"{{{NS['o']}}}request").attrib == {}
    assert not root.xpath("//o:header", namespaces=NS)


def test_a_repeated_argument_is_bad(testapp, union_catalogue):
    root = xml(testapp.get("/oai?verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=marc21"))
    assert error_code(root) == "badArgument"


def first_token(testapp, verb="ListRecords"):
    root = oai(testapp, verb=verb, metadataPrefix="oai_dc")
    return root.xpath("string(//o:resumptionToken)", namespaces=NS)


def test_bad_resumption_tokens(testapp, union_catalogue):
    token = first_token(testapp)
    body, mac = token.split(".")
    tampered = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1] + "." + mac
    forged, _exp = TokenSigner("not our secret").dump(
        {"verb": "ListRecords", "prefix": "oai_dc", "after": None, "cursor": 3})
    expired, _exp = TokenSigner("test-secret-not-for-production", lifetime=-10).dump(
        {"verb": "ListRecords", "prefix": "oai_dc", "after": None, "cursor": 3})
    for bad in ("garbage", tampered, forged, expired, token + "x", "ü" * 20, "." * 3):
        root = oai(testapp, verb="ListRecords", resumptionToken=bad)
        assert error_code(root) == "badResumptionToken", bad
    # a token of one verb does not continue another
    root = oai(testapp, verb="ListIdentifiers", resumptionToken=token)
    assert error_code(root) == "badResumptionToken"
    # and the genuine one still works, any number of times (stateless)
    for _ in range(2):
        assert error_code(oai(testapp, verb="ListRecords", resumptionToken=token)) is None


def test_tokens_expire():
    clock = [1_000_000.0]
    signer = TokenSigner("s", lifetime=60, clock=lambda: clock[0])
    token, expires = signer.dump({"verb": "ListRecords", "cursor": 3})
    assert expires == 1_000_060 and signer.load(token)["cursor"] == 3
    clock[0] += 61
    assert signer.load(token) is None


@pytest.mark.parametrize("params", [
    {"verb": "ListRecords", "metadataPrefix": "mods"},
    {"verb": "ListIdentifiers", "metadataPrefix": "MARC21"},
    {"verb": "GetRecord", "metadataPrefix": "dc", "identifier": "oai:serepok.local:x"},
])
def test_cannot_disseminate_format(testapp, union_catalogue, params):
    root = xml(testapp.get("/oai?" + urlencode(params)))
    assert error_code(root) == "cannotDisseminateFormat"
    assert root.find(f"{{{NS['o']}}}request").get("verb") == params["verb"]


@pytest.mark.parametrize("identifier", ["oai:serepok.local:0000000000000000",
                                        "oai:other.example:{bmt}", "{bmt}", "",
                                        "oai:serepok.local:" + "9" * 500,
                                        "oai:serepok.local:' OR 1=1 --"])
def test_id_does_not_exist(testapp, union_catalogue, identifier):
    identifier = identifier.format(bmt=union_catalogue.by_control_number["bmt-0001"])
    root = xml(testapp.get("/oai?" + urlencode({"verb": "GetRecord", "metadataPrefix": "oai_dc",
                                                "identifier": identifier})))
    assert error_code(root) in (("badArgument",) if not identifier else ("idDoesNotExist",))


def test_get_record_of_a_deleted_record(testapp, union_catalogue):
    root = oai(testapp, verb="GetRecord", metadataPrefix="oai_dc",
               identifier=f"oai:{REPOSITORY_ID}:{union_catalogue.deleted}")
    header = root.xpath("//o:header", namespaces=NS)[0]
    assert header.get("status") == "deleted"
    assert not root.xpath("//o:metadata", namespaces=NS)


@pytest.mark.parametrize("params", [
    {"set": "library:nowhere"},
    {"from": "2030-01-01"},
    {"until": "1999-12-31"},
    {"set": "site:bmt", "from": "2025-01-01", "until": "2025-12-31"},
])
def test_no_records_match(testapp, union_catalogue, params):
    for verb in ("ListRecords", "ListIdentifiers"):
        root = xml(testapp.get("/oai?" + urlencode(dict(params, verb=verb,
                                                        metadataPrefix="oai_dc"))))
        assert error_code(root) == "noRecordsMatch"


def test_an_empty_catalogue_has_no_records_to_match(testapp):
    root = oai(testapp, verb="ListRecords", metadataPrefix="oai_dc")
    assert error_code(root) == "noRecordsMatch"
    root = oai(testapp, verb="Identify")
    assert root.xpath("string(//o:earliestDatestamp)", namespaces=NS) == "1970-01-01T00:00:00Z"
    assert error_code(oai(testapp, verb="ListSets")) == "noSetHierarchy"


def test_errors_are_well_formed_xml_with_status_200(testapp, union_catalogue):
    for query in ("verb=GetRecord&identifier=%00&metadataPrefix=oai_dc",
                  "verb=ListRecords&metadataPrefix=%3Cscript%3E",
                  "verb=ListRecords&metadataPrefix=oai_dc&from=%F0%9F%92%A9",
                  "verb=ListRecords&metadataPrefix=oai_dc&set=%FF%FE",
                  "verb=ListSets&%01=1",
                  "verb=" + "A" * 10000):
        response = testapp.get("/oai?" + query)
        assert response.status_int == 200 and response.content_type == "text/xml"
        assert error_code(xml(response)) is not None

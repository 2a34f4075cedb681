"""/api/v1/records: the union catalogue as JSON, for the apps."""
import pytest

from .api_support import ApiDocs, call
from .catalogue_support import EA_KAO, catalogue  # noqa: F401  (fixture)
from .test_api_openapi import check, response_schema


def ids(response):
    return [item["id"] for item in response.json["items"]]


def test_records_examples(testapp, catalogue):
    """The examples written to docs/api/records.md, each checked against the OpenAPI document."""
    document = testapp.get("/api/v1/openapi.json").json
    docs = ApiDocs(testapp, "records", ("Mục lục liên hợp", "Union catalogue"), (
        "Tìm trong mục lục liên hợp: sách của cả hai cơ sở và các thư viện xã, phường, tài liệu "
        "số và sách nói. Cùng tham số với trang tìm kiếm `/search`: `q`, mỗi nhóm lọc một tham "
        "số (lặp lại được), `year_from`, `year_to`, `sort`, cùng `b_start`/`b_size`.",
        "Search the union catalogue: books of both sites and the commune libraries, digitized "
        "documents and audiobooks. The parameters of the search page `/search`: `q`, one "
        "parameter per facet (repeatable), `year_from`, `year_to`, `sort`, with "
        "`b_start`/`b_size`."))
    found = docs.example(
        ("Tìm không dấu, lọc theo thư viện", "Search without diacritics, filtered by library"),
        ("`lich su tay nguyen` tìm thấy “Lịch sử Tây Nguyên”; `library=tuy-hoa` chỉ giữ tài "
         "liệu cơ sở Tuy Hòa có. Mỗi tài liệu kèm nơi có sách và số bản còn trên giá.",
         "`lich su tay nguyen` finds “Lịch sử Tây Nguyên”; `library=tuy-hoa` keeps what the "
         "Tuy Hòa site holds. Each record comes with its holdings and the copies on the shelf."),
        "GET", "/api/v1/records?q=lich%20su%20tay%20nguyen&library=tuy-hoa&b_size=2")
    check(found.json, response_schema(document, "/api/v1/records", "get", 200), document)
    assert ids(found)[0] == "lstn"
    assert found.json["filters"] == {"library": ["tuy-hoa"]}
    record = docs.example(
        ("Một tài liệu", "One record"),
        ("Địa chỉ trang cho bạn đọc, mã QR và trích dẫn đi kèm.",
         "With the reader's page, the QR code and the citations."),
        "GET", "/api/v1/records/lstn")
    check(record.json, response_schema(document, "/api/v1/records/{id}", "get", 200), document)
    wrong = docs.example(
        ("Tham số sai", "Wrong parameters"),
        ("Cách sắp xếp hay năm không hợp lệ được báo theo từng trường.",
         "An unknown sort or a year that is not a number is reported per field."),
        "GET", "/api/v1/records?q=sach&sort=random&year_from=abc", status=400)
    check(wrong.json, response_schema(document, "/api/v1/records", "get", 400), document)
    docs.write()


def test_search_with_facets_filters_and_batches(testapp, catalogue):
    plain = call(testapp, "GET", "/api/v1/records?q=dak%20lak").json
    exact = call(testapp, "GET", "/api/v1/records?q=%C4%90%E1%BA%AFk%20L%E1%BA%AFk").json
    assert {i["id"] for i in plain["items"]} == {i["id"] for i in exact["items"]}
    assert plain["@type"] == "RecordSearchResults" and plain["items_total"] == 5
    library = {f["value"]: (f["label"], f["count"]) for f in plain["facets"]["library"]}
    assert library["bmt"] == ("Cơ sở Buôn Ma Thuột", 3)
    assert library["xa-ea-kao"] == (EA_KAO, 1)
    two = call(testapp, "GET", "/api/v1/records?q=dak%20lak&format=book&language=vie"
                               "&language=eng&sort=title").json
    # D before Đ; tone marks count only where the letters are all the same
    assert [i["title"] for i in two["items"]] == [
        "Dak Lak travel guide", "Đắk Lắk: đất và người", "Đăk Lăk xưa và nay",
        "Lịch sử Tây Nguyên"]
    first = call(testapp, "GET", "/api/v1/records?q=truyen%20ngan&b_size=10").json
    assert first["items_total"] == 25 and len(first["items"]) == 10
    second = call(testapp, "GET", first["batching"]["next"]).json
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}
    assert second["batching"]["prev"] == first["batching"]["@id"]
    assert call(testapp, "GET", first["batching"]["last"]).json["items"][-1]["id"]


def test_a_record_as_json(testapp, catalogue):
    record = call(testapp, "GET", "/api/v1/records/damsan").json
    assert record["@id"] == "http://localhost/api/v1/records/damsan"
    assert record["@type"] == "Record" and record["format_title"] == "Sách nói"
    assert record["url"] == "http://localhost/bmt/sach-noi/dam-san"
    assert record["available_at"] == ["online"]
    assert record["html_url"] == "http://localhost/record/damsan"
    assert testapp.get(record["qr_url"]).content_type == "image/png"
    assert testapp.get(record["citations"]["ris"]).body.startswith(b"TY  - SOUND")
    assert record["citations"]["apa"].startswith("Y Điêng. (1988). Sử thi Đăm San.")
    assert call(testapp, "GET", "/api/v1/records/bad-link").json["url"] is None
    missing = call(testapp, "GET", "/api/v1/records/khong-co", status=404).json
    assert missing["error"]["type"] == "NotFound"


def test_the_entry_point_links_to_the_records(testapp, catalogue):
    entry = call(testapp, "GET", "/api/v1").json
    assert entry["links"]["records"] == "http://localhost/api/v1/records"


@pytest.mark.parametrize("query, fields", [
    ("sort=random", {"sort"}),
    ("year_from=abc&year_to=x", {"year_from", "year_to"}),
    ("b_size=1000&b_start=-1", {"b_size", "b_start"}),
])
def test_parameters_are_checked_field_by_field(testapp, catalogue, query, fields):
    error = call(testapp, "GET", "/api/v1/records?" + query, status=400).json["error"]
    assert error["type"] == "ValidationError" and set(error["fields"]) == fields


def test_what_the_index_refuses_is_a_400_in_the_readers_language(testapp, catalogue):
    error = call(testapp, "GET", "/api/v1/records?year_from=2020&year_to=1990",
                 status=400).json["error"]
    assert error == {"type": "BadRequest", "message": "Năm bắt đầu lớn hơn năm kết thúc."}
    error = call(testapp, "GET", "/api/v1/records?year=1800-1900",
                 headers={"Accept-Language": "en"}, status=400).json["error"]
    assert error["message"] == "Unknown year range: 1800-1900"
    error = call(testapp, "GET", "/api/v1/records?b_start=9990&b_size=50", status=400).json
    assert "10000" in error["error"]["message"]


def test_records_search_is_rate_limited(testapp, catalogue, portal):
    from limits import parse

    from portal.ratelimit import IRateLimiter
    with portal() as p:
        p.request.find_service(IRateLimiter).rules["search"] = parse("2/minute")
    call(testapp, "GET", "/api/v1/records?q=ca%20phe")
    call(testapp, "GET", "/api/v1/records?q=ca%20phe")
    refused = call(testapp, "GET", "/api/v1/records?q=ca%20phe", status=429)
    assert refused.json["error"]["type"] == "TooManyRequests"
    call(testapp, "GET", "/api/v1/records/coffee")       # reading one record is not searching

"""Errors of /api/v1: one JSON shape, the right status (written to docs/api/errors.md)."""
import json

from .api_support import ApiDocs, call, people  # noqa: F401  (fixture)

ITEM = "/api/v1/content/bmt/dia-chi/lich-su-dak-lak-qua-cac-thoi-ky-tai-lieu-mau"
DRAFT = "/api/v1/content/bmt/dia-chi/ban-thao-dinh-lang-lac-giao-dang-bien-muc"


def test_error_examples(testapp, people):
    from tests.conftest import sign_in
    docs = ApiDocs(testapp, "errors", ("Lỗi", "Errors"), (
        "Mọi lỗi có cùng dạng `{\"error\": {\"type\": …, \"message\": …}}` với mã trạng thái "
        "HTTP phù hợp; lỗi kiểm tra dữ liệu có thêm `error.fields`, mỗi trường một thông báo. "
        "Thông báo bằng tiếng Việt, hoặc tiếng Anh nếu gửi `Accept-Language: en`. Khi một lỗi "
        "xảy ra, không có thay đổi nào được lưu.",
        "Every error has the same shape `{\"error\": {\"type\": …, \"message\": …}}` with the "
        "right HTTP status; validation errors add `error.fields`, one message per field. "
        "Messages are in Vietnamese, or in English with `Accept-Language: en`. When an error "
        "happens, nothing is saved."))
    librarian = people.headers("librarian-bmt")
    docs.secret(people.tokens["librarian-bmt"], "<token của thuthu.bmt>")
    docs.secret(people.tokens["reader"], "<token của bandoc>")
    docs.secret(people.tokens["librarian-tuy-hoa"], "<token của thuthu.tuyhoa>")
    collection = "/api/v1/content/bmt/dia-chi"

    def error(heading, text, *args, status, **kw):
        response = docs.example(heading, text, *args, status=status, **kw)
        assert set(response.json) == {"error"}
        return response.json["error"]

    assert error(("400 — JSON hỏng", "400 — malformed JSON"),
                 ("Thân yêu cầu không phải JSON hợp lệ.", "The body is not valid JSON."),
                 "POST", collection, headers=librarian, body=b'{"@type": "DigitalItem",',
                 content_type="application/json", status=400)["type"] == "MalformedJSON"
    fields = error(
        ("400 — dữ liệu không hợp lệ", "400 — invalid fields"),
        ("Kiểu sai, trường không có, năm không hợp lệ: mỗi trường một thông báo.",
         "Wrong types, unknown fields, a bad year: one message per field."),
        "POST", collection, {"@type": "DigitalItem", "title": ["Không", "phải", "chữ"],
                             "year": "năm ngoái", "creators": "Nguyễn Văn A", "mau": "đỏ"},
        headers=librarian, status=400)["fields"]
    assert set(fields) == {"title", "year", "creators", "mau"}
    assert "@type" in error(
        ("400 — loại nội dung không có", "400 — unknown content type"),
        ("`@type` phải là một loại có thể thêm vào chỗ này.",
         "`@type` must be a type that can be added here."),
        "POST", collection, {"@type": "Spaceship", "title": "Tàu vũ trụ"}, headers=librarian,
        status=400)["fields"]

    sign_in(testapp, "thuthu.bmt")
    assert error(
        ("400 — thiếu mã CSRF", "400 — missing CSRF token"),
        ("Khi đăng nhập bằng cookie phiên (trình duyệt), POST, PATCH và DELETE phải gửi "
         "`X-CSRF-Token` (lấy từ `GET /api/v1/me`). Yêu cầu dùng bearer token thì không cần.",
         "Signed in with the session cookie (a browser), POST, PATCH and DELETE must send "
         "`X-CSRF-Token` (from `GET /api/v1/me`). Requests with a bearer token need not."),
        "PATCH", ITEM, {"description": "Sửa từ trình duyệt"}, status=400)["type"] == \
        "BadCSRFToken"
    testapp.reset()

    assert error(("401 — chưa đăng nhập", "401 — not signed in"),
                 ("", ""), "PATCH", ITEM, {"description": "Sửa"}, status=401)["type"] == \
        "Unauthorized"
    assert error(
        ("403 — không được phép", "403 — not allowed"),
        ("Thủ thư Tuy Hòa xem được tài liệu đã xuất bản của Buôn Ma Thuột nhưng không được sửa.",
         "A Tuy Hòa librarian can read Buôn Ma Thuột's published items but not change them."),
        "PATCH", ITEM, {"description": "Sửa"}, headers=people.headers("librarian-tuy-hoa"),
        status=403)["type"] == "Forbidden"
    assert error(
        ("404 — không có, hoặc không được xem", "404 — not there, or not yours to see"),
        ("Bạn đọc hỏi một bản thảo riêng tư nhận 404 như một địa chỉ không tồn tại, không phải "
         "403, để bản thảo không bị dò ra.",
         "A reader asking for a private draft gets the same 404 as for an address that does "
         "not exist, not a 403, so drafts cannot be discovered."),
        "GET", DRAFT, headers=people.headers("reader"), status=404)["type"] == "NotFound"
    response = docs.example(
        ("405 — phương thức không dùng được", "405 — method not allowed"),
        ("Tiêu đề `Allow` liệt kê các phương thức dùng được.",
         "The `Allow` header lists the methods that work."),
        "PUT", ITEM, headers=librarian, status=405)
    assert response.headers["Allow"]
    assert error(
        ("409 — trùng tên", "409 — name taken"),
        ("", ""), "POST", collection,
        {"@type": "Collection", "name": "su-thi", "title": "Sử thi"}, headers=librarian,
        status=409)["type"] == "Conflict"
    huge = json.dumps({"@type": "DigitalItem", "title": "x", "description": "a" * (2 << 20)})
    assert error(
        ("413 — quá lớn", "413 — too large"),
        ("Thân yêu cầu tối đa 1 MB (cài đặt `serepok.api.max_body_bytes`).",
         "Bodies are limited to 1 MB (setting `serepok.api.max_body_bytes`)."),
        "POST", collection, headers=librarian, body=huge.encode(),
        content_type="application/json", body_note="<2 MB JSON>",
        status=413)["type"] == "PayloadTooLarge"
    assert error(
        ("415 — không phải JSON", "415 — not JSON"),
        ("", ""), "POST", collection, headers=librarian, body=b"title=Bi%E1%BB%83n",
        content_type="application/x-www-form-urlencoded",
        status=415)["type"] == "UnsupportedMediaType"
    english = error(
        ("Thông báo bằng tiếng Anh", "Messages in English"),
        ("", ""), "GET", DRAFT, headers={"Accept-Language": "en"}, status=404)
    assert english["message"] == "Nothing exists at this address."
    docs.write()


def test_write_rate_limit(testapp, people, portal):
    from limits import parse

    from portal.ratelimit import IRateLimiter
    with portal() as p:
        p.request.find_service(IRateLimiter).rules["api_write"] = parse("2/minute")
    h = people.headers("librarian-bmt")
    for _n in range(2):
        call(testapp, "PATCH", ITEM, {"description": "Lần nữa"}, headers=h)
    refused = call(testapp, "PATCH", ITEM, {"description": "Quá nhiều"}, headers=h, status=429)
    assert refused.json["error"]["type"] == "TooManyRequests"
    assert refused.headers["Retry-After"]
    # the limit is per account: another librarian may still write
    call(testapp, "PATCH", ITEM, {"description": "Người khác"},
         headers=people.headers("siteadmin-bmt"))
    assert call(testapp, "GET", ITEM).json["description"] == "Người khác"

"""/api/v1/content: read, create, change, move and delete repository content over JSON."""
import json

from .api_support import ApiDocs, call, people  # noqa: F401  (fixture)

BMT_ITEM = "/api/v1/content/bmt/dia-chi/lich-su-dak-lak-qua-cac-thoi-ky-tai-lieu-mau"
BMT_DRAFT = "/api/v1/content/bmt/dia-chi/ban-thao-dinh-lang-lac-giao-dang-bien-muc"
AUDIOBOOK = "/api/v1/content/bmt/sach-noi/chuyen-ke-ben-bep-lua-nha-dai-sach-noi-mau"


def test_content_examples(testapp, people):
    """The walk-through written to docs/api/content.md."""
    docs = ApiDocs(testapp, "content", ("Nội dung", "Content"), (
        "Đọc, tạo, sửa, chuyển và xóa nội dung của kho số qua `/api/v1/content/{đường dẫn}`. "
        "Mỗi biểu diễn có `@id` (địa chỉ tuyệt đối trong API) và `@type` (loại nội dung). "
        "Nội dung mới tạo ở trạng thái riêng tư cho đến khi được xuất bản "
        "(xem [workflow.md](workflow.md)).",
        "Read, create, change, move and delete repository content at "
        "`/api/v1/content/{path}`. Every representation has `@id` (its absolute API address) "
        "and `@type` (the content type). New content is private until it is published "
        "(see [workflow.md](workflow.md))."))
    librarian = people.headers("librarian-bmt")
    docs.secret(people.tokens["librarian-bmt"], "<token của thuthu.bmt>")

    entry = docs.example(
        ("Điểm bắt đầu", "Entry point"),
        ("Các cơ sở thư viện và địa chỉ của mọi phần trong API.",
         "The library's sites and the addresses of everything in the API."),
        "GET", "/api/v1")
    assert [s["name"] for s in entry.json["sites"]] == ["bmt", "tuy-hoa"]

    site = docs.example(
        ("Đọc một cơ sở", "Read a site"),
        ("Một cơ sở liệt kê các bộ sưu tập, tin tức và trang mà người hỏi được xem.",
         "A site lists the collections, news and pages the caller may see."),
        "GET", "/api/v1/content/tuy-hoa")
    assert site.json["@type"] == "Site" and site.json["items_total"] == 4

    listing = docs.example(
        ("Đọc một bộ sưu tập, theo từng trang", "Read a collection, one page at a time"),
        ("`b_start` và `b_size` (tối đa 100) chọn trang; `batching` cho liên kết tới các "
         "trang khác. Bạn đọc không thấy bản thảo riêng tư trong danh sách.",
         "`b_start` and `b_size` (at most 100) choose the page; `batching` links to the "
         "others. Readers do not see private drafts in the list."),
        "GET", "/api/v1/content/bmt/dia-chi?b_size=2")
    assert listing.json["items_total"] == 3 and len(listing.json["items"]) == 2
    assert "next" in listing.json["batching"]

    item = docs.example(
        ("Đọc một tài liệu số", "Read a digital item"),
        ("Các trường Dublin Core, trạng thái, ngày tạo và sửa, và `parent`.",
         "Dublin Core fields, state, creation and change times, and `parent`."),
        "GET", BMT_ITEM)
    assert item.json["year"] == 2024 and item.json["parent"]["@type"] == "Collection"

    book = docs.example(
        ("Đọc một sách nói", "Read an audiobook"),
        ("Mỗi chương có thứ tự, tên, thời lượng (giây) và `stream_url` để nghe "
         "(hỗ trợ HTTP Range).",
         "Each chapter has its order, title, duration (seconds) and a `stream_url` to "
         "listen to (HTTP Range supported)."),
        "GET", AUDIOBOOK)
    assert [t["order"] for t in book.json["tracks"]] == [1, 2]

    created = docs.example(
        ("Tạo một tài liệu số", "Create a digital item"),
        ("Gửi `@type`, có thể kèm `name` (tên trong đường dẫn) và các trường. Trả về 201, "
         "địa chỉ mới ở tiêu đề `Location`.",
         "Send `@type`, optionally `name` (the URL name), and the fields. The answer is 201 "
         "with the new address in the `Location` header."),
        "POST", "/api/v1/content/bmt/dia-chi", {
            "@type": "DigitalItem", "name": "nha-rong-tay-nguyen",
            "title": "Nhà rông Tây Nguyên", "creators": ["Y Mẫu Êban"],
            "subjects": ["Kiến trúc", "Tây Nguyên"], "year": 2019, "language": "vie"},
        headers=librarian, status=201)
    new = created.location
    assert new == "http://localhost/api/v1/content/bmt/dia-chi/nha-rong-tay-nguyen"
    assert created.json["state"] == "private"

    changed = docs.example(
        ("Sửa một vài trường", "Change some fields"),
        ("PATCH chỉ đổi các trường được gửi; các trường khác giữ nguyên.",
         "PATCH changes only the fields sent; the others stay as they are."),
        "PATCH", new, {"description": "Kiến trúc nhà rông của người Ba Na và Xơ Đăng.",
                       "ddc": "728.09597"}, headers=librarian)
    assert changed.json["title"] == "Nhà rông Tây Nguyên"
    assert changed.json["ddc"] == "728.09597"

    moved = docs.example(
        ("Chuyển sang bộ sưu tập khác", "Move to another collection"),
        ("`target` là đường dẫn (hoặc `@id`) của bộ sưu tập đích trong cùng cơ sở; "
         "`name` (không bắt buộc) đặt tên mới.",
         "`target` is the path (or `@id`) of the new container in the same site; "
         "`name` (optional) gives a new name."),
        "POST", new + "/@move", {"target": "/bmt/quy-hiem"}, headers=librarian)
    assert moved.json["@id"] == "http://localhost/api/v1/content/bmt/quy-hiem/nha-rong-tay-nguyen"

    docs.example(
        ("Xóa", "Delete"),
        ("Xóa đối tượng và mọi thứ bên trong nó. Trả về 204 không có nội dung.",
         "Deletes the object and everything below it. The answer is 204 with no body."),
        "DELETE", moved.json["@id"], headers=librarian, status=204)
    call(testapp, "GET", moved.json["@id"], headers=librarian, status=404)
    docs.write()


def test_reader_and_staff_see_different_children(testapp, people):
    anonymous = call(testapp, "GET", "/api/v1/content/bmt/dia-chi").json
    staff = call(testapp, "GET", "/api/v1/content/bmt/dia-chi",
                 headers=people.headers("librarian-bmt")).json
    draft = "http://localhost" + BMT_DRAFT
    assert draft not in [i["@id"] for i in anonymous["items"]]
    assert draft in [i["@id"] for i in staff["items"]]
    assert staff["items_total"] == anonymous["items_total"] + 1


def test_batches_walk_the_whole_collection(testapp, people):
    seen, url = [], "/api/v1/content/bmt/dia-chi?b_size=1"
    while url:
        page = call(testapp, "GET", url, headers=people.headers("librarian-bmt")).json
        seen += [i["name"] for i in page["items"]]
        url = page["batching"].get("next")
    assert len(seen) == len(set(seen)) == 4
    for bad in ("b_size=0", "b_size=101", "b_start=-1", "b_size=abc"):
        error = call(testapp, "GET", "/api/v1/content/bmt/dia-chi?" + bad, status=400).json
        assert error["error"]["type"] == "ValidationError"
        assert set(error["error"]["fields"]) <= {"b_size", "b_start"}


def test_audiobook_stream_url_plays(testapp, people):
    book = call(testapp, "GET", AUDIOBOOK).json
    audio = testapp.get(book["tracks"][0]["stream_url"], headers={"Range": "bytes=0-99"},
                        status=206)
    assert audio.content_type == "audio/wav" and len(audio.body) == 100


def test_root_lists_sites_and_portal_cannot_be_deleted(testapp, people):
    root = call(testapp, "GET", "/api/v1/content").json
    assert root["@type"] == "Root" and root["parent"] is None
    assert [i["name"] for i in root["items"]] == ["bmt", "tuy-hoa"]
    manager = people.headers("manager")
    assert call(testapp, "DELETE", "/api/v1/content/bmt", headers=manager,
                status=403).json["error"]["type"] == "Forbidden"
    call(testapp, "GET", "/api/v1/content/bmt", status=200)


def test_bad_bodies_are_refused_with_the_right_status(testapp, people):
    h = people.headers("librarian-bmt")
    url = "/api/v1/content/bmt/dia-chi"

    def error(status, **kw):
        return call(testapp, "POST", url, headers=h, status=status, **kw).json["error"]

    assert error(400, body=b'{"@type": "DigitalItem", "title": ',
                 content_type="application/json")["type"] == "MalformedJSON"
    assert error(400, body=b"\xff\xfe", content_type="application/json")["type"] == "MalformedJSON"
    assert error(400, json_body=["DigitalItem"])["type"] == "MalformedJSON"
    assert error(415, body=b"title=X", content_type="application/x-www-form-urlencoded")[
        "type"] == "UnsupportedMediaType"
    huge = json.dumps({"@type": "DigitalItem", "title": "x", "description": "a" * (2 << 20)})
    assert error(413, body=huge.encode(), content_type="application/json")[
        "type"] == "PayloadTooLarge"
    wrong = error(400, json_body={"@type": "DigitalItem", "title": ["not", "text"],
                                  "creators": "Nguyễn Văn A", "year": True, "colour": "red"})
    assert wrong["type"] == "ValidationError"
    assert set(wrong["fields"]) == {"title", "creators", "year", "colour"}
    assert error(400, json_body={"@type": "Spaceship", "title": "x"})["fields"]["@type"]
    assert error(400, json_body={"@type": "Site", "title": "x", "code": "X"})["fields"]["@type"]
    assert error(400, json_body={"title": "x"})["fields"]["@type"]
    assert "title" in error(400, json_body={"@type": "DigitalItem"})["fields"]
    assert "year" in error(400, json_body={"@type": "DigitalItem", "title": "x",
                                           "year": "năm ngoái"})["fields"]
    assert "name" in error(400, json_body={"@type": "DigitalItem", "title": "x",
                                           "name": "Tên Có Dấu"})["fields"]
    # a DigitalItem holds nothing; a Site holds no DigitalItem directly
    assert call(testapp, "POST", BMT_ITEM, {"@type": "DigitalItem", "title": "x"}, headers=h,
                status=405).headers["Allow"]
    assert "@type" in call(testapp, "POST", "/api/v1/content/bmt",
                           {"@type": "DigitalItem", "title": "x"}, headers=h,
                           status=400).json["error"]["fields"]
    # nothing of the above was created
    page = call(testapp, "GET", url, headers=h).json
    assert page["items_total"] == 4


def test_name_clash_is_a_conflict(testapp, people):
    h = people.headers("librarian-bmt")
    body = {"@type": "Collection", "name": "anh-cu", "title": "Ảnh cũ"}
    call(testapp, "POST", "/api/v1/content/bmt", body, headers=h, status=201)
    clash = call(testapp, "POST", "/api/v1/content/bmt", body, headers=h, status=409).json
    assert clash["error"]["type"] == "Conflict" and "name" in clash["error"]["fields"]
    # without a name, one is made from the title and kept free
    again = call(testapp, "POST", "/api/v1/content/bmt", {"@type": "Collection",
                                                          "title": "Ảnh cũ"}, headers=h,
                 status=201)
    assert again.json["name"] == "anh-cu-2"


def test_patch_validates_only_what_is_sent(testapp, people):
    h = people.headers("librarian-bmt")
    before = call(testapp, "GET", BMT_ITEM, headers=h).json
    after = call(testapp, "PATCH", BMT_ITEM, {"subjects": ["Lịch sử", "Buôn Ma Thuột"],
                                              "@id": before["@id"], "state": "private"},
                 headers=h).json
    assert after["subjects"] == ["Lịch sử", "Buôn Ma Thuột"]
    assert after["title"] == before["title"] and after["state"] == "published"
    assert after["modified"] > before["modified"]
    error = call(testapp, "PATCH", BMT_ITEM, {"title": "", "isbn": "123"}, headers=h,
                 status=400).json["error"]
    assert set(error["fields"]) == {"title", "isbn"}
    assert call(testapp, "GET", BMT_ITEM).json["subjects"] == ["Lịch sử", "Buôn Ma Thuột"]


def test_new_content_reaches_the_catalogue(testapp, people):
    h = people.headers("librarian-bmt")
    call(testapp, "POST", "/api/v1/content/bmt/dia-chi",
         {"@type": "DigitalItem", "title": "Voi bản Đôn", "name": "voi-ban-don"},
         headers=h, status=201)
    staff = call(testapp, "GET", "/api/v1/search?site=bmt&q=voi ban don", headers=h).json
    assert [i["name"] for i in staff["items"]] == ["voi-ban-don"]
    anonymous = call(testapp, "GET", "/api/v1/search?site=bmt&q=voi ban don").json
    assert anonymous["items_total"] == 0            # still private
    call(testapp, "POST", "/api/v1/content/bmt/dia-chi/voi-ban-don/@transition",
         {"transition": "publish"}, headers=h)
    anonymous = call(testapp, "GET", "/api/v1/search?site=bmt&q=voi ban don").json
    assert anonymous["items_total"] == 1


def test_move_errors(testapp, people):
    h = people.headers("librarian-bmt")
    move = "/api/v1/content/bmt/dia-chi/@move"

    def fields(body, status=400):
        return call(testapp, "POST", move, body, headers=h, status=status).json["error"]

    assert "target" in fields({"target": "/bmt/khong-co"})["fields"]
    assert "target" in fields({"target": BMT_ITEM})["fields"]        # not a container
    assert "target" in fields({"target": "/bmt/dia-chi/su-thi"})["fields"]   # into itself
    assert "target" in fields({})["fields"]
    assert "where" in fields({"target": "/bmt/quy-hiem", "where": "x"})["fields"]
    call(testapp, "POST", "/api/v1/content/bmt/quy-hiem",
         {"@type": "Collection", "name": "dia-chi", "title": "Trùng tên"}, headers=h,
         status=201)
    assert fields({"target": "/bmt/quy-hiem"}, status=409)["type"] == "Conflict"
    # the API address of the target works too, and a new name may be given
    moved = call(testapp, "POST", move,
                 {"target": "http://localhost/api/v1/content/bmt/quy-hiem",
                  "name": "dia-chi-cu"}, headers=h).json
    assert moved["@id"] == "http://localhost/api/v1/content/bmt/quy-hiem/dia-chi-cu"
    # the children moved with it
    call(testapp, "GET", "/api/v1/content/bmt/quy-hiem/dia-chi-cu/su-thi", headers=h)


def test_failure_mid_request_leaves_nothing_behind(testapp, people, portal, monkeypatch):
    from repository.interfaces import ICatalogSearch
    from repository.services import ContentService

    added = ContentService.add

    def add_then_fail(self, *args, **kw):
        result = added(self, *args, **kw)
        assert result[0] is not None        # the object was really added, then:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(ContentService, "add", add_then_fail)
    h = people.headers("librarian-bmt")
    error = call(testapp, "POST", "/api/v1/content/bmt/dia-chi",
                 {"@type": "DigitalItem", "name": "mat-dien", "title": "Mất điện giữa chừng"},
                 headers=h, status=500).json["error"]
    assert error["type"] == "ServerError"
    monkeypatch.undo()
    call(testapp, "GET", "/api/v1/content/bmt/dia-chi/mat-dien", headers=h, status=404)
    with portal() as p:
        site = p.root["bmt"]
        assert "mat-dien" not in site["dia-chi"]
        total, _objects = p.request.find_service(ICatalogSearch).search(
            site, text="Mất điện giữa chừng")
        assert total == 0


def test_errors_speak_english_when_asked(testapp, people):
    vi = call(testapp, "GET", BMT_DRAFT, status=404).json["error"]["message"]
    en = call(testapp, "GET", BMT_DRAFT, headers={"Accept-Language": "en"},
              status=404).json["error"]["message"]
    assert en == "Nothing exists at this address."
    assert vi != en


def test_unknown_methods_and_view_names(testapp, people):
    put = call(testapp, "PUT", BMT_ITEM, status=405)
    assert put.json["error"]["type"] == "MethodNotAllowed"
    assert set(put.headers["Allow"].split(", ")) >= {"GET", "PATCH", "DELETE"}
    get_move = call(testapp, "GET", BMT_ITEM + "/@move", status=405)
    assert get_move.headers["Allow"] == "POST"
    assert call(testapp, "GET", BMT_ITEM + "/@nothing", status=404).json["error"]["type"] == \
        "NotFound"
    assert call(testapp, "GET", "/api/v1/nothing", status=404).json["error"]["type"] == \
        "NotFound"
    call(testapp, "GET", BMT_ITEM + "/@workflow/extra",
         headers=people.headers("librarian-bmt"), status=404)

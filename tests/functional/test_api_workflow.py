"""/@workflow and /@transition: publishing content over JSON."""
from .api_support import ApiDocs, call, people  # noqa: F401  (fixture)

DRAFT = "/api/v1/content/bmt/dia-chi/ban-thao-dinh-lang-lac-giao-dang-bien-muc"


def test_workflow_examples(testapp, people):
    """The walk-through written to docs/api/workflow.md."""
    docs = ApiDocs(testapp, "workflow", ("Quy trình xuất bản", "Publication workflow"), (
        "Mỗi đối tượng ở một trong ba trạng thái: `private` (riêng tư: chỉ cán bộ của cơ sở), "
        "`internal` (nội bộ: cán bộ mọi cơ sở được xem) và `published` (đã xuất bản: mọi "
        "người). Cán bộ chuyển trạng thái bằng `@transition`; `@workflow` cho biết trạng "
        "thái, các bước được phép và lịch sử.",
        "Each object is in one of three states: `private` (staff of its site only), "
        "`internal` (staff of every site may read it) and `published` (everyone). Staff "
        "change the state with `@transition`; `@workflow` tells the state, the transitions "
        "allowed and the history."))
    h = people.headers("librarian-bmt")
    docs.secret(people.tokens["librarian-bmt"], "<token của thuthu.bmt>")

    before = docs.example(
        ("Xem quy trình của một bản thảo", "The workflow of a draft"),
        ("Chỉ liệt kê các bước người hỏi được phép làm.",
         "Only the transitions the caller may run are listed."),
        "GET", DRAFT + "/@workflow", headers=h)
    assert [t["name"] for t in before.json["transitions"]] == ["publish", "share_internally"]
    call(testapp, "GET", DRAFT, status=404)

    published = docs.example(
        ("Xuất bản", "Publish"),
        ("`comment` (không bắt buộc) được ghi vào lịch sử.",
         "`comment` (optional) is kept in the history."),
        "POST", DRAFT + "/@transition",
        {"transition": "publish", "comment": "Đã biên mục xong."}, headers=h)
    assert published.json["state"] == "published"
    assert call(testapp, "GET", DRAFT).json["state"] == "published"

    after = docs.example(
        ("Lịch sử", "History"),
        ("Ai đã làm gì, lúc nào.", "Who did what, and when."),
        "GET", DRAFT + "/@workflow", headers=h)
    history = after.json["history"]
    assert [(e["from"], e["to"], e["actor_name"]) for e in history] == [
        ("private", "published", "thuthu.bmt")]

    docs.example(
        ("Bước không hợp lệ từ trạng thái hiện tại", "A transition that does not start here"),
        ("Xuất bản một tài liệu đã xuất bản là xung đột (409).",
         "Publishing something already published is a conflict (409)."),
        "POST", DRAFT + "/@transition", {"transition": "publish"}, headers=h, status=409)
    docs.write()


def test_internal_content_is_for_staff_of_every_site(testapp, people):
    h = people.headers("librarian-bmt")
    call(testapp, "POST", DRAFT + "/@transition", {"transition": "share_internally"}, headers=h)
    call(testapp, "GET", DRAFT, headers=people.headers("librarian-tuy-hoa"))
    call(testapp, "GET", DRAFT, headers=people.headers("reader"), status=404)
    call(testapp, "GET", DRAFT, status=404)
    # readable for the other site's staff, but not theirs to publish
    call(testapp, "POST", DRAFT + "/@transition", {"transition": "publish"},
         headers=people.headers("librarian-tuy-hoa"), status=403)


def test_transition_requests_are_checked(testapp, people):
    h = people.headers("librarian-bmt")
    url = DRAFT + "/@transition"
    error = call(testapp, "POST", url, {"transition": "burn"}, headers=h, status=400).json
    assert "transition" in error["error"]["fields"]
    error = call(testapp, "POST", url, {"transition": "publish", "comment": ["x"], "why": 1},
                 headers=h, status=400).json
    assert set(error["error"]["fields"]) == {"comment", "why"}
    error = call(testapp, "POST", url, {"transition": "retract"}, headers=h, status=409).json
    assert error["error"]["type"] == "Conflict"
    assert call(testapp, "GET", DRAFT, headers=h).json["state"] == "private"


def test_publishing_a_collection_shows_what_is_published_inside(testapp, people):
    """A child's visibility follows its container's state, in listings and search."""
    h = people.headers("librarian-bmt")
    call(testapp, "POST", "/api/v1/content/bmt", {"@type": "Collection", "name": "moi",
                                                  "title": "Bộ sưu tập mới"},
         headers=h, status=201)
    call(testapp, "POST", "/api/v1/content/bmt/moi", {"@type": "DigitalItem", "name": "sach",
                                                      "title": "Sách trống đồng"},
         headers=h, status=201)
    call(testapp, "POST", "/api/v1/content/bmt/moi/sach/@transition",
         {"transition": "publish"}, headers=h)
    call(testapp, "GET", "/api/v1/content/bmt/moi/sach", status=404)   # container private
    assert call(testapp, "GET", "/api/v1/search?site=bmt&q=trong dong").json["items"] == []
    call(testapp, "POST", "/api/v1/content/bmt/moi/@transition", {"transition": "publish"},
         headers=h)
    call(testapp, "GET", "/api/v1/content/bmt/moi/sach")
    found = call(testapp, "GET", "/api/v1/search?site=bmt&q=trong dong").json
    assert [i["name"] for i in found["items"]] == ["sach"]

"""The digitization pages: upload scans, follow the job, retry, review the suggestion."""

import pytest

from tests.conftest import csrf_token, sign_in
from tests.digitization_support import (BODY, TITLE_PAGE, corrupt_pdf, item_of, make_item,
                                        render_page, run_queued)


@pytest.fixture
def item(portal, make_user):
    uid, name = make_item(portal)
    make_user("thuthu-bmt", site_roles=[("bmt", "Librarian")])
    make_user("thuthu-th", site_roles=[("tuy-hoa", "Librarian")])
    make_user("bandoc", roles=["Reader"])
    return uid, f"/bmt/so-hoa/{name}/"


def upload(testapp, url, files, status=303):
    token = csrf_token(testapp, url + "digitize")
    return testapp.post(url + "digitize", {"csrf_token": token},
                        upload_files=[("files", n, d) for n, d in files], status=status)


def test_a_librarian_uploads_follows_the_job_reviews_and_accepts_the_suggestion(
        app, testapp, portal, item):
    uid, url = item
    sign_in(testapp, "thuthu-bmt")
    page = testapp.get(url)
    assert url + "digitize" in page.text                      # the staff bar links it
    page = testapp.get(url + "digitize")
    assert 'type="file"' in page.text and "multipart/form-data" in page.text
    upload(testapp, url, [("trang-1.png", render_page(TITLE_PAGE)[0]),
                          ("trang-2.png", render_page(BODY)[0])])
    page = testapp.get(url + "digitize")
    assert 'data-status="queued"' in page.text and 'type="file"' not in page.text
    status = testapp.get(url + "digitize-status.json").json
    assert status["job"]["status"] == "queued" and status["job"]["progress"] == 0
    run_queued(app)
    status = testapp.get(url + "digitize-status.json").json
    assert status["job"]["status"] == "done" and status["pages"] == 2
    assert status["job"]["progress"] == 100
    page = testapp.get(url + "digitize")
    assert "Xong: 2 trang" in page.text
    review = testapp.get(url + "review")
    assert 'value="9786047012343"' in review.text and 'value="Hà Nội"' in review.text
    assert "Nguyễn Văn An" in review.text
    form = review.forms["review-form"]
    form["title"] = "Lịch sử Đắk Lắk"
    form.submit(status=303)
    with portal() as p:
        obj = item_of(p, uid)
        assert obj.title == "Lịch sử Đắk Lắk" and obj.isbn == "9786047012343"
        assert obj.year == 2015 and obj.publisher == "Nhà xuất bản Văn hóa Dân tộc"
        assert obj.creators == ["Nguyễn Văn An"] and obj.language == "vie"
        assert obj.metadata_suggestion["accepted_by"]


def test_an_invalid_value_on_the_review_form_changes_nothing(app, testapp, portal, item):
    uid, url = item
    sign_in(testapp, "thuthu-bmt")
    form = testapp.get(url + "review").forms["review-form"]
    form["isbn"] = "978-604-70-1234-1"          # wrong check digit
    form["title"] = "Đổi tên"
    page = form.submit(status=200)
    assert "ISBN" in page.text
    with portal() as p:
        assert item_of(p, uid).title == "Bản quét thử"


def test_a_failed_job_says_why_keeps_the_upload_and_can_be_retried(app, testapp, item):
    uid, url = item
    sign_in(testapp, "thuthu-bmt")
    upload(testapp, url, [("sach.pdf", corrupt_pdf())])
    run_queued(app)
    page = testapp.get(url + "digitize")
    assert "bị hỏng" in page.text and "Thử lại" in page.text
    testapp.set_cookie("serepok_lang", "en")
    assert "is damaged" in testapp.get(url + "digitize").text
    token = csrf_token(testapp, url + "digitize")
    testapp.post(url + "digitize-retry", {"csrf_token": token}, status=303)
    assert testapp.get(url + "digitize-status.json").json["job"]["status"] == "queued"
    assert run_queued(app) and testapp.get(url + "digitize-status.json").json["job"]["status"] == "failed"
    testapp.post(url + "digitize", {}, status=400)             # no CSRF token: refused


@pytest.mark.parametrize("files, message", [
    ([("rong.pdf", b"")], "is empty"),
    ([("thu.docx", b"PK\x03\x04" + b"0" * 200)], "not a PDF, TIFF, JPEG or PNG"),
])
def test_bad_uploads_are_refused_on_the_form(app, testapp, item, files, message):
    _uid, url = item
    sign_in(testapp, "thuthu-bmt")
    testapp.set_cookie("serepok_lang", "en")
    page = upload(testapp, url, files, status=400)
    assert message in page.text
    assert testapp.get(url + "digitize-status.json").json["job"] is None


def test_an_upload_over_the_limit_is_refused(app, testapp, item, monkeypatch):
    _uid, url = item
    monkeypatch.setitem(app.registry.settings, "digitization.max_upload_bytes", str(1 << 20))
    sign_in(testapp, "thuthu-bmt")
    testapp.set_cookie("serepok_lang", "en")
    page = upload(testapp, url, [("to.tif", b"II*\x00" + b"\x00" * (3 << 20))], status=413)
    assert "larger than the limit of 1 MB" in page.text


@pytest.mark.parametrize("who, private, published", [
    ("thuthu-th", 404, 403),      # a librarian of the other site
    ("bandoc", 404, 403),         # a reader
    (None, 404, 303),             # anonymous: the draft does not exist; then sign in first
])
def test_only_staff_of_the_items_site_may_digitize(app, testapp, portal, item, who, private,
                                                   published):
    uid, url = item
    if who:
        sign_in(testapp, who)
    for state, status in (("private", private), ("published", published)):
        if state == "published":
            with portal() as p:
                obj = item_of(p, uid)
                obj.state = "published"
        for view in ("digitize", "digitize-status.json", "review"):
            testapp.get(url + view, status=status)
        token = csrf_token(testapp, "/login")
        testapp.post(url + "digitize", {"csrf_token": token}, status=status,
                     upload_files=[("files", "1.png", render_page(BODY)[0])])
        testapp.post(url + "digitize-retry", {"csrf_token": token}, status=status)
        testapp.post(url + "review", {"csrf_token": token, "title": "X"}, status=status)
    with portal() as p:
        obj = item_of(p, uid)
        assert obj.title == "Bản quét thử" and not getattr(obj, "digitization", None)
    assert testapp.app.registry and run_queued(app) == {}


def test_a_published_scan_is_found_in_the_union_catalogue_by_its_ocr_text_with_a_snippet(
        app, testapp, portal, item):
    from federation.records import SearchQuery
    uid, url = item
    sign_in(testapp, "thuthu-bmt")
    upload(testapp, url, [("1.png", render_page(BODY)[0])])
    run_queued(app)
    token = csrf_token(testapp, url)
    testapp.post(url + "transition", {"transition": "publish", "csrf_token": token}, status=303)
    index = app.registry["federation.search_index"]()
    found = index.search(SearchQuery(text="Sêrêpốk"))      # a word only the OCR text has
    assert [h.record.title for h in found.hits] == ["Bản quét thử"]
    assert "<mark>Sêrêpốk</mark>" in found.hits[0].highlights["full_text"]
    page = testapp.get("/search", {"q": "serepok"})       # without diacritics, on the portal
    assert "<mark>Sêrêpốk</mark>" in page.text

"""A librarian's day in the Buôn Ma Thuột site, through the HTML forms."""
import pytest
import webtest

from repository.interfaces import IContentService
from tests.conftest import csrf_token, sign_in


@pytest.fixture
def librarian(demo, testapp, make_user):
    make_user("thuthu.bmt", site_roles=[("bmt", "Librarian")])
    sign_in(testapp, "thuthu.bmt")
    return testapp


@pytest.fixture
def visitor(app):
    return webtest.TestApp(app, extra_environ={"HTTP_HOST": "localhost",
                                               "REMOTE_ADDR": "127.0.0.1"})


def submit(browser, url, fields, status):
    """Fill the form at ``url`` (as the page gives it, with its token) and send it."""
    data = dict(fields, csrf_token=csrf_token(browser, url))
    return browser.post(url, data, status=status)


def field_error(page, name):
    box = page.html.find(id=f"e-{name}")
    return box.get_text(" ", strip=True) if box else None


def flash(page):
    return [p.get_text(" ", strip=True) for p in page.html.select(".flash")]


def test_create_edit_move_publish(librarian, visitor):
    # a new collection: an empty title comes back with the message by the field
    page = submit(librarian, "/bmt/add?type=Collection", {"title": "  "}, status=400)
    assert "bắt buộc" in field_error(page, "title")      # "required", in Vietnamese
    assert page.html.find(id="f-title")["aria-invalid"] == "true"
    response = submit(librarian, "/bmt/add?type=Collection",
                      {"title": "Ảnh tư liệu Buôn Ma Thuột", "description": "Ảnh cũ"},
                      status=303)
    assert response.location == "http://localhost/bmt/anh-tu-lieu-buon-ma-thuot/"
    assert flash(response.follow())                     # "created, stays private" is said

    # an item in it: wrong ISBN and year are shown next to their fields, input kept
    add_item = "/bmt/anh-tu-lieu-buon-ma-thuot/add?type=DigitalItem"
    page = submit(librarian, add_item, {"title": "Chợ Buôn Ma Thuột 1960",
                                        "isbn": "978-0-306-40615-8", "year": "196",
                                        "creators": "Nguyễn Văn Ảnh"}, status=400)
    assert field_error(page, "isbn") and field_error(page, "year")
    assert field_error(page, "title") is None
    assert page.html.find(id="f-title")["value"] == "Chợ Buôn Ma Thuột 1960"
    assert page.html.find(id="f-creators").get_text() == "Nguyễn Văn Ảnh"
    response = submit(librarian, add_item, {"title": "Chợ Buôn Ma Thuột 1960",
                                            "isbn": "978-0-306-40615-7", "year": "1960",
                                            "creators": "Nguyễn Văn Ảnh"}, status=303)
    item_url = response.location
    assert item_url == "http://localhost/bmt/anh-tu-lieu-buon-ma-thuot/cho-buon-ma-thuot-1960/"
    visitor.get(item_url, status=404)                   # private until published

    # edit: the form holds the current values; a bad year re-renders, a good edit saves
    form = librarian.get(item_url + "edit")
    assert form.html.find(id="f-isbn")["value"] == "9780306406157"
    page = submit(librarian, item_url + "edit", {"title": "Chợ Buôn Ma Thuột", "year": "năm"},
                  status=400)
    assert field_error(page, "year")
    submit(librarian, item_url + "edit", {"title": "Chợ Buôn Ma Thuột năm 1960",
                                          "year": "1960", "publisher": "Sở Văn hóa"},
           status=303)
    assert librarian.get(item_url).html.h1.get_text(strip=True) == "Chợ Buôn Ma Thuột năm 1960"

    # move into another collection of the same site: only bmt places are offered
    move_form = librarian.get(item_url + "move")
    offered = [o["value"] for o in move_form.html.select("#target option")]
    assert "/bmt/quy-hiem" in offered
    assert not [p for p in offered if p.startswith("/tuy-hoa")]
    response = submit(librarian, item_url + "move", {"target": "/bmt/quy-hiem"}, status=303)
    new_url = "http://localhost/bmt/quy-hiem/cho-buon-ma-thuot-1960/"
    assert response.location == new_url
    librarian.get(item_url, status=404)

    # publish: a reader now sees it, in the listing and in search without diacritics
    token = csrf_token(librarian, new_url)
    librarian.post(new_url + "transition", {"transition": "publish", "csrf_token": token},
                   status=303)
    page = visitor.get(new_url)
    assert page.html.h1.get_text(strip=True) == "Chợ Buôn Ma Thuột năm 1960"
    assert "Sở Văn hóa" in page.text
    listing = visitor.get("/bmt/quy-hiem/").text
    assert "Chợ Buôn Ma Thuột năm 1960" in listing
    found = visitor.get("/bmt/search", {"q": "cho buon ma thuot 1960"}).text
    assert "Chợ Buôn Ma Thuột năm 1960" in found


def test_a_wrong_transition_is_explained_not_applied(librarian, portal):
    url = "/bmt/dia-chi/lich-su-dak-lak-qua-cac-thoi-ky-tai-lieu-mau/"
    token = csrf_token(librarian, url)
    page = librarian.post(url + "transition", {"transition": "publish", "csrf_token": token},
                          status=303).follow()
    assert [m for m in flash(page) if m]               # told why nothing happened
    librarian.post(url + "transition", {"transition": "khong-co", "csrf_token": token},
                   status=400)
    with portal() as p:
        item = p.root["bmt"]["dia-chi"]["lich-su-dak-lak-qua-cac-thoi-ky-tai-lieu-mau"]
        assert item.state == "published" and len(item.workflow_history) == 1


def test_add_refuses_a_type_that_does_not_belong(librarian):
    librarian.get("/bmt/add?type=DigitalItem", status=400)   # items live in collections
    librarian.get("/bmt/dia-chi/add?type=Khong", status=400)


def test_delete_asks_then_removes(librarian, visitor):
    url = "/bmt/dia-chi/su-thi/"
    page = librarian.get(url + "delete")                 # asking changes nothing
    assert page.html.find("form", action="http://localhost" + url + "delete")
    visitor.get(url, status=200)
    response = submit(librarian, url + "delete", {}, status=303)
    assert response.location == "http://localhost/bmt/dia-chi/"
    visitor.get(url, status=404)
    visitor.get(url + "luat-tuc-e-de-ban-suu-tam-tai-lieu-mau/", status=404)
    assert "Luật tục" not in visitor.get("/bmt/search", {"q": "luat tuc"}).text


def test_the_librarian_cannot_touch_the_other_site(librarian, portal):
    with portal() as p:
        service = p.request.find_service(IContentService)
        service.add(p.root["tuy-hoa"]["dia-chi"], "DigitalItem",
                    {"title": "Bản nháp Tuy Hòa"}, name="ban-nhap")
    published = "/tuy-hoa/dia-chi/hat-bai-choi-phu-yen-tai-lieu-mau/"
    own = "/bmt/dia-chi/ca-phe-buon-ma-thuot-tu-don-dien-den-thuong-hieu-tai-lieu-mau/"
    assert librarian.get(own).html.find(class_="staffbar") is not None
    page = librarian.get(published, status=200)                # a reader like any other
    assert page.html.find(class_="staffbar") is None
    librarian.get(published + "edit", status=403)
    librarian.get(published + "move", status=403)
    librarian.get("/tuy-hoa/dia-chi/add?type=DigitalItem", status=403)
    librarian.get("/tuy-hoa/dia-chi/ban-nhap/", status=404)     # their draft is not seen
    librarian.get("/tuy-hoa/dia-chi/ban-nhap/edit", status=404)
    token = csrf_token(librarian, "/workspace")
    librarian.post(published + "edit", {"title": "Đổi tên", "csrf_token": token}, status=403)
    librarian.post(published + "transition", {"transition": "retract", "csrf_token": token},
                   status=403)
    # nor move their own item over there
    page = librarian.post(own + "move", {"target": "/tuy-hoa/dia-chi", "csrf_token": token},
                          status=400)
    assert page.html.find(attrs={"role": "alert"})
    with portal() as p:
        assert "ca-phe-buon-ma-thuot-tu-don-dien-den-thuong-hieu-tai-lieu-mau" in \
            p.root["bmt"]["dia-chi"]
        assert p.root["tuy-hoa"]["dia-chi"]["hat-bai-choi-phu-yen-tai-lieu-mau"].state == \
            "published"


def test_workspace_shows_the_drafts_of_ones_own_site(librarian, portal):
    with portal() as p:
        p.request.find_service(IContentService).add(
            p.root["tuy-hoa"]["dia-chi"], "DigitalItem", {"title": "Bản nháp Tuy Hòa"})
    page = librarian.get("/workspace")
    assert "Bản thảo: Đình làng Lạc Giao (đang biên mục)" in page.text
    assert "Bản nháp Tuy Hòa" not in page.text
    assert "cơ sở Tuy Hòa" not in " ".join(h.get_text() for h in page.html.select("h2"))


def test_a_site_admin_grants_and_revokes_local_roles(demo, testapp, make_user, visitor):
    make_user("quantri.bmt", site_roles=[("bmt", "SiteAdmin")])
    make_user("nhanvien.moi")
    sign_in(testapp, "quantri.bmt")
    submit(testapp, "/bmt/staff", {"login": "nhanvien.moi", "role": "Librarian",
                                   "action": "grant"}, status=303)
    assert "nhanvien.moi" in testapp.get("/bmt/staff").text
    page = submit(testapp, "/bmt/staff", {"login": "khong-ai", "role": "Librarian"},
                  status=400)
    assert page.html.find(attrs={"role": "alert"})
    submit(testapp, "/bmt/staff", {"login": "nhanvien.moi", "role": "Manager"}, status=400)
    sign_in(visitor, "nhanvien.moi")
    visitor.get("/bmt/dia-chi/add?type=DigitalItem", status=200)
    submit(testapp, "/bmt/staff", {"login": "nhanvien.moi", "role": "Librarian",
                                   "action": "revoke"}, status=303)
    visitor.get("/bmt/dia-chi/add?type=DigitalItem", status=403)
    visitor.get("/workspace", status=403)

"""The reader's viewer page: who may read what, and what Mirador is given.

The demo's scanned items are used as a reader meets them: an open item with
three pages and a PDF anyone may download, a restricted one (rare material)
with two pages, and items with no pages yet.
"""
import json
import time

import pytest

from tests.conftest import sign_in

OPEN = "/bmt/dia-chi/lich-su-dak-lak-qua-cac-thoi-ky-tai-lieu-mau/"
RESTRICTED = "/bmt/dia-chi/su-thi/luat-tuc-e-de-ban-suu-tam-tai-lieu-mau/"
NO_PAGES = "/bmt/dia-chi/ca-phe-buon-ma-thuot-tu-don-dien-den-thuong-hieu-tai-lieu-mau/"
DRAFT = "/bmt/dia-chi/ban-thao-dinh-lang-lac-giao-dang-bien-muc/"
TUY_HOA = "/tuy-hoa/dia-chi/ganh-da-dia-va-bo-bien-tuy-hoa-tai-lieu-mau/"


def item(portal, path):
    from pyramid.traversal import find_resource
    with portal() as p:
        obj = find_resource(p.root, path)
        return obj.uid


def token_for(portal, path, seconds=600):
    from repository.access import IAccessTokens
    with portal() as p:
        from pyramid.traversal import find_resource
        uid = find_resource(p.root, path).uid
        return p.request.registry.getUtility(IAccessTokens).issue(
            uid, "reader-1", time.time() + seconds)


def viewer_config(page):
    script = page.html.find("script", id="viewer-config")
    return json.loads(script.string) if script else None


def pdf_link(page):
    link = page.html.find("a", attrs={"download": True})
    return link["href"] if link else None


def test_the_item_page_offers_reading_online_only_with_pages(demo, testapp):
    page = testapp.get(OPEN)
    link = page.html.find("a", string="Đọc trực tuyến")
    assert link["href"] == "http://localhost" + OPEN + "read"
    assert "3 trang" in page.html.find("p", class_="actions").get_text()
    assert testapp.get(NO_PAGES).html.find("a", string="Đọc trực tuyến") is None


def test_the_viewer_loads_our_mirador_with_the_items_manifest(demo, testapp, portal):
    uid = item(portal, OPEN)
    page = testapp.get(OPEN + "read")
    assert page.html.find("h1").get_text(strip=True).startswith("Lịch sử Đắk Lắk")
    # Mirador and our start script come from our own static files, nothing from outside.
    scripts = [s["src"] for s in page.html.find_all("script", src=True)]
    assert any("/static/build/mirador/mirador.min.js" in s for s in scripts)
    assert all(s.startswith("http://localhost/static/") for s in scripts)
    bundle = testapp.get([s for s in scripts if "mirador.min.js" in s][0].replace(
        "http://localhost", ""))
    assert bundle.content_type in ("application/javascript", "text/javascript")
    assert b"Mirador" in bundle.body[:2000]
    config = viewer_config(page)
    assert config["language"] == "vi"
    window = config["windows"][0]
    assert window["manifestId"] == f"http://localhost/iiif/manifest/{uid}"
    assert window["thumbnailNavigationPosition"] == "far-bottom"
    assert "defaultSearchQuery" not in window
    # The manifest it names is served, and lists the search service Mirador uses.
    manifest = testapp.get(window["manifestId"].replace("http://localhost", "")).json
    assert manifest["type"] == "Manifest" and len(manifest["items"]) == 3
    assert any(s.get("profile") == "http://iiif.io/api/search/1/search"
               for s in manifest["service"])
    # The PDF may be downloaded by anyone: the link works.
    assert pdf_link(page) == f"http://localhost/iiif/pdf/{uid}"
    pdf = testapp.get(f"/iiif/pdf/{uid}")
    assert pdf.content_type == "application/pdf" and pdf.body.startswith(b"%PDF")


def test_a_search_from_elsewhere_opens_the_viewer_with_it(demo, testapp):
    config = viewer_config(testapp.get(OPEN + "read", {"q": " chiêng "}))
    assert config["windows"][0]["defaultSearchQuery"] == "chiêng"
    config = viewer_config(testapp.get(OPEN + "read", {"q": "x" * 5000}))
    assert len(config["windows"][0]["defaultSearchQuery"]) == 200


def test_english_readers_get_miradors_english_interface(demo, testapp):
    testapp.get("/lang/en", {"came_from": OPEN + "read"})
    page = testapp.get(OPEN + "read")
    assert viewer_config(page)["language"] == "en"
    assert "Back to the item" in page.text and "Download PDF" in page.text


def test_no_download_link_when_the_rights_forbid_it(demo, testapp, portal):
    from pyramid.traversal import find_resource
    with portal() as p:
        find_resource(p.root, OPEN).allow_download = False
    page = testapp.get(OPEN + "read")
    assert viewer_config(page) is not None
    assert pdf_link(page) is None and "Tải PDF" not in page.text


def test_an_item_without_pages_says_so(demo, testapp):
    page = testapp.get(NO_PAGES + "read")
    assert "chưa được số hóa" in page.text
    assert viewer_config(page) is None and page.html.find(id="mirador") is None


def test_a_server_without_the_built_viewer_says_how_to_build_it(demo, testapp, monkeypatch):
    from portal.views import viewer
    monkeypatch.setattr(viewer, "BUNDLE", "/nonexistent/mirador.min.js")
    page = testapp.get(OPEN + "read")
    assert "make assets" in page.text and page.html.find(id="mirador") is None


@pytest.mark.parametrize("who", [None, "bandoc", "thuthu.tuyhoa"])
def test_restricted_items_are_not_shown_without_a_loan(demo, testapp, make_user, who):
    if who == "bandoc":
        make_user(who, roles=["Reader"], site_roles=[])
        sign_in(testapp, who)
    elif who:
        make_user(who, site_roles=[("tuy-hoa", "Librarian")])
        sign_in(testapp, who)
    page = testapp.get(RESTRICTED + "read", status=403)
    assert "Tài liệu hạn chế" in page.text
    assert viewer_config(page) is None and "/iiif/" not in page.text
    testapp.get(RESTRICTED, status=200)          # its record page stays public


def test_a_reader_with_a_loan_token_reads_a_restricted_item(demo, testapp, portal):
    uid = item(portal, RESTRICTED)
    token = token_for(portal, RESTRICTED)
    page = testapp.get(RESTRICTED + "read", {"access": token})
    manifest_id = viewer_config(page)["windows"][0]["manifestId"]
    assert manifest_id == f"http://localhost/iiif/manifest/{uid}~{token}"
    # The token travels inside the addresses, so Mirador needs nothing more.
    manifest = testapp.get(manifest_id.replace("http://localhost", "")).json
    assert len(manifest["items"]) == 2
    assert pdf_link(page) == f"http://localhost/iiif/pdf/{uid}~{token}"
    # Without the token the same manifest is refused.
    testapp.get(f"/iiif/manifest/{uid}", status=403)


def test_expired_forged_or_other_items_tokens_do_not_open_it(demo, testapp, portal):
    expired = token_for(portal, RESTRICTED, seconds=-5)
    other = token_for(portal, OPEN)
    good = token_for(portal, RESTRICTED)
    forged = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    for token in (expired, other, forged, "nonsense"):
        page = testapp.get(RESTRICTED + "read", {"access": token}, status=403)
        assert viewer_config(page) is None and "/iiif/" not in page.text


def test_librarians_of_the_site_read_restricted_items(demo, testapp, portal, make_user):
    uid = item(portal, RESTRICTED)
    make_user("thuthu.bmt", site_roles=[("bmt", "Librarian")])
    sign_in(testapp, "thuthu.bmt")
    page = testapp.get(RESTRICTED + "read")
    assert viewer_config(page)["windows"][0]["manifestId"] == (
        f"http://localhost/iiif/manifest/{uid}")
    assert pdf_link(page) == f"http://localhost/iiif/pdf/{uid}"


def test_drafts_have_no_viewer_for_readers(demo, testapp):
    page = testapp.get(DRAFT + "read", expect_errors=True)
    assert page.status_int in (302, 303, 403, 404)
    assert "viewer-config" not in page.text


def test_the_demo_scans_are_whole_and_made_once(demo, portal):
    from pyramid.traversal import find_resource

    from portal.demo import create_demo
    from repository.pages import pages_of

    def summary():
        with portal() as p:
            out = {}
            for path in (OPEN, RESTRICTED, TUY_HOA):
                obj = find_resource(p.root, path)
                out[path] = (len(pages_of(obj)), obj.access, obj.allow_download, obj.pdf_size)
            return out

    first = summary()
    assert first[OPEN][:3] == (3, "open", True)
    assert first[RESTRICTED][:3] == (2, "restricted", False)
    assert first[TUY_HOA][:3] == (2, "open", True)
    with portal() as p:
        canvas = pages_of(find_resource(p.root, OPEN))[0]
        assert canvas.derivative_path() and canvas.width == 1240 and canvas.height == 1754
        assert "chiêng" in canvas.text
        word = [w for w in canvas.words if w[0] == "chiêng"][0]
        assert 0 < word[1] < canvas.width and 0 < word[2] < canvas.height
    with portal() as p:
        create_demo(p.request)          # the second `make run`
    assert summary() == first

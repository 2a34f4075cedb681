"""The staff screen of SIP2 self-check terminals: who may set them up, what is stored,
and that a terminal set up here can log in to the SIP2 server at once."""
import pytest
import webtest
from argon2 import PasswordHasher
from sqlalchemy import select

from ils.sip2.models import Terminal
from tests.conftest import sign_in
from tests.unit.portal.test_i18n import catalog, english_leftovers

PAGES = ["/staff/sip2", "/staff/sip2/add"]
SECRET = "mat-khau-may-tu-muon"


@pytest.fixture
def sites(app, portal):
    """The two sites of the library, without the demo content (only their sites matter)."""
    from portal.demo import SITES
    from repository.resources import Site
    with portal() as p:
        for name, fields in SITES:
            site = Site(**fields)
            site.state = "published"
            p.root.add(name, site)
    return app


def add_terminal(app, **values):
    page = app.get("/staff/sip2/add")
    form = page.forms[1]
    for name, value in dict({"login": "bmt-sanh-1", "password": SECRET, "name": "Sảnh tầng 1",
                             "location_code": "BMT-SANH"}, **values).items():
        form[name] = value
    return form.submit(status="*")


def terminals(portal):
    with portal() as p:
        return {t.login: (t.site, t.password_hash, t.enabled)
                for t in p.request.dbsession.scalars(select(Terminal))}


@pytest.mark.parametrize("who, status", [
    (None, 303), ("reader", 403), ("thuthu", 403), ("quantri-bmt", 200), ("quanly", 200)])
def test_only_site_administrators_and_managers_see_the_screen(sites, testapp, signed_in,
                                                              who, status):
    roles = {"reader": dict(roles=["Reader"]),
             "thuthu": dict(site_roles=[("bmt", "Librarian")]),
             "quantri-bmt": dict(site_roles=[("bmt", "SiteAdmin")]),
             "quanly": dict(roles=["Manager"])}
    app = signed_in(who, **roles[who]) if who else testapp
    for path in PAGES:
        response = app.get(path, status=status)
        if status == 303:
            assert "/login" in response.location


def test_a_site_administrator_adds_a_terminal_of_their_site_only(sites, signed_in, portal):
    app = signed_in("quantri-bmt", site_roles=[("bmt", "SiteAdmin")])
    form = app.get("/staff/sip2/add").forms[1]
    assert [v for v, *_ in form["site"].options] == ["bmt"]        # only their own site
    response = add_terminal(app)
    assert response.status_int == 303
    page = response.follow()
    assert "bmt-sanh-1" in page.text and "Sảnh tầng 1" in page.text
    assert "Đã thêm máy bmt-sanh-1" in page.text
    site, digest, enabled = terminals(portal)["bmt-sanh-1"]
    assert site == "bmt" and enabled and SECRET not in digest
    assert PasswordHasher().verify(digest, SECRET)                 # argon2, the accounts' hasher
    # the same login again, a short password, a site that is not theirs: refused, nothing saved
    assert add_terminal(app).status_int == 400
    short = add_terminal(app, login="bmt-2", password="ngan")
    assert short.status_int == 400 and "ít nhất 10 ký tự" in short.text
    form = app.get("/staff/sip2/add").forms[1]
    form["login"], form["password"] = "th-1", SECRET
    form["site"].force_value("tuy-hoa")
    assert form.submit(status="*").status_int == 400
    assert set(terminals(portal)) == {"bmt-sanh-1"}


def test_a_manager_edits_any_terminal_and_other_site_admins_cannot(sites, signed_in,
                                                                    make_user, portal):
    manager = signed_in("quanly", roles=["Manager"])
    assert add_terminal(manager, login="th-sanh", site="tuy-hoa").status_int == 303
    with portal() as p:
        terminal_id = p.request.dbsession.scalar(select(Terminal.id))
    edit = f"/staff/sip2/{terminal_id}/edit"
    form = manager.get(edit).forms[1]
    form["enabled"] = False
    form["language"] = "en"
    assert form.submit(status="*").status_int == 303
    site, digest, enabled = terminals(portal)["th-sanh"]
    assert not enabled and PasswordHasher().verify(digest, SECRET)   # empty: password kept
    make_user("quantri-bmt", site_roles=[("bmt", "SiteAdmin")])
    other = webtest.TestApp(sites, extra_environ={"HTTP_HOST": "localhost",
                                                  "REMOTE_ADDR": "127.0.0.1"})
    sign_in(other, "quantri-bmt")
    other.get(edit, status=403)                                  # a terminal of tuy-hoa
    assert "th-sanh" not in other.get("/staff/sip2").text


def test_a_form_without_the_csrf_token_changes_nothing(sites, signed_in, portal):
    app = signed_in("quanly", roles=["Manager"])
    app.post("/staff/sip2/add", {"login": "x-1", "password": SECRET, "site": "bmt",
                                 "language": "vi", "enabled": "on"}, status=400)
    assert terminals(portal) == {}


def test_the_screens_speak_vietnamese(sites, signed_in):
    app = signed_in("quanly", roles=["Manager"])
    add_terminal(app)
    vi = catalog("vi")
    for path in PAGES + ["/staff/sip2/1/edit"]:
        assert english_leftovers(app.get(path).text, vi) == [], path


def test_a_terminal_set_up_on_the_screen_logs_in_to_the_running_server(sites, signed_in):
    from tests.unit.ils.test_sip2_server import Terminal_, running_server
    app = signed_in("quantri-bmt", site_roles=[("bmt", "SiteAdmin")])
    assert add_terminal(app).status_int == 303
    with running_server(sites.registry["dbengine"]) as server:
        machine = Terminal_(server.port)
        try:
            assert machine.login("bmt-sanh-1", "not-it").startswith("940")
            assert machine.login("bmt-sanh-1", SECRET).startswith("941")
        finally:
            machine.close()
    page = app.get("/staff/sip2")
    assert "127.0.0.1" in page.text                    # last seen, from where

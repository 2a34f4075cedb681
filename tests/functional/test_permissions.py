"""Who may do what in the Buôn Ma Thuột site: one table, every cell a request.

Each case runs on fresh objects made for it inside ``/bmt`` (a published
collection holding a published item ``sach``, a private draft ``ban-thao``
and a published collection ``dich`` to move into), so the cases cannot
disturb each other and the app is built once for the module.

Legend: 200/303 the action is allowed (303 = done, redirected to the result);
``login`` = 303 to the sign-in page; 403 = signed in but not allowed; 404 =
the content is not theirs to see, answered exactly like a path that does
not exist.  For every POST the test also checks that the change happened
exactly when the status says it was allowed.
"""
import itertools
from urllib.parse import parse_qs, urlsplit

import pytest
import webtest

from ils.accounts.services import IAccountService
from repository.interfaces import IContentService
from tests.conftest import PASSWORD, Portal, csrf_token, sign_in

ROLES = ("anonymous", "reader", "lib_bmt", "lib_tuyhoa", "admin_bmt", "manager")

# role columns: anonymous | Reader | Librarian@bmt | Librarian@tuy-hoa | SiteAdmin@bmt | Manager
EXPECTED = """
view_item      200    200  200  200  200  200
view_draft     404    404  200  404  200  200
add_form       login  403  200  403  200  200
add_post       login  403  303  403  303  303
edit_item      login  403  303  403  303  303
edit_draft     404    404  303  404  303  303
move_item      login  403  303  403  303  303
delete_item    login  403  303  403  303  303
publish_draft  404    404  303  404  303  303
site_staff     login  403  403  403  200  200
workspace      login  403  200  200  200  200
"""
TABLE = {line.split()[0]: dict(zip(ROLES, line.split()[1:]))
         for line in EXPECTED.strip().splitlines()}

# view: (method, path under the case collection or absolute, form data, effect check)
VIEWS = {
    "view_item": ("GET", "sach/", None, None),
    "view_draft": ("GET", "ban-thao/", None, None),
    "add_form": ("GET", "add?type=DigitalItem", None, None),
    "add_post": ("POST", "add?type=DigitalItem", {"title": "Sách mới thêm"},
                 lambda c: "sach-moi-them" in c),
    "edit_item": ("POST", "sach/edit", {"title": "Tên đã sửa"},
                  lambda c: c["sach"].title == "Tên đã sửa"),
    "edit_draft": ("POST", "ban-thao/edit", {"title": "Bản thảo đã sửa"},
                   lambda c: c["ban-thao"].title == "Bản thảo đã sửa"),
    "move_item": ("POST", "sach/move", {"target": "{case}dich"},
                  lambda c: "sach" in c["dich"] and "sach" not in c),
    "delete_item": ("POST", "sach/delete", {}, lambda c: "sach" not in c),
    "publish_draft": ("POST", "ban-thao/transition", {"transition": "publish"},
                      lambda c: c["ban-thao"].state == "published"),
    "site_staff": ("GET", "/bmt/staff", None, None),
    "workspace": ("GET", "/workspace", None, None),
}

ACCOUNTS = {
    "reader": (["Reader"], []),
    "lib_bmt": ([], [("bmt", "Librarian")]),
    "lib_tuyhoa": ([], [("tuy-hoa", "Librarian")]),
    "admin_bmt": ([], [("bmt", "SiteAdmin")]),
    "manager": (["Manager"], []),
}


class World:
    """One app with the demo sites, and a signed-in browser per role."""

    def __init__(self, app):
        self.app = app
        self.browsers = {}
        self.tokens = {}
        self.cases = itertools.count(1)

    def browser(self, role):
        return self.browsers[role]

    def new_case(self):
        """A fresh published collection with an item, a draft and a move target."""
        name = f"case-{next(self.cases)}"
        with Portal(self.app) as p:
            service = p.request.find_service(IContentService)
            coll, _e = service.add(p.root["bmt"], "Collection", {"title": "Ca kiểm thử"},
                                   name=name)
            service.transition(coll, "publish")
            item, _e = service.add(coll, "DigitalItem", {"title": "Sách"}, name="sach")
            service.transition(item, "publish")
            service.add(coll, "DigitalItem", {"title": "Bản thảo"}, name="ban-thao")
            target, _e = service.add(coll, "Collection", {"title": "Đích"}, name="dich")
            service.transition(target, "publish")
        return f"/bmt/{name}/"

    def collection(self, path, check):
        with Portal(self.app) as p:
            return check(p.root["bmt"][path.strip("/").split("/")[-1]])


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from portal import demo as demo_module
    from portal import main
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(demo_module, "speech", lambda text: (demo_module.tone(0.1), "audio/wav"))
        var = tmp_path_factory.mktemp("permissions") / "var"
        var.mkdir()
        app = main({}, **{
            "zodbconn.uri": f"file://{var}/Data.fs?blobstorage_dir={var}/blobs",
            "sqlalchemy.url": f"sqlite:///{var}/serepok.sqlite",
            "serepok.var": str(var),
            "serepok.secret": "test-secret-not-for-production",
            "argon2.time_cost": "1", "argon2.memory_cost": "1024", "argon2.parallelism": "1",
        })
        world = World(app)
        with Portal(app) as p:
            demo_module.create_demo(p.request)
            accounts = p.request.find_service(IAccountService)
            for login, (roles, site_roles) in ACCOUNTS.items():
                user = accounts.create(login.replace("_", "."), PASSWORD, roles=roles)
                for site, role in site_roles:
                    p.root[site].grant(user.id, role)
        env = {"HTTP_HOST": "localhost", "REMOTE_ADDR": "127.0.0.1"}
        for role in ROLES:
            browser = world.browsers[role] = webtest.TestApp(app, extra_environ=env)
            if role != "anonymous":
                sign_in(browser, role.replace("_", "."))
            world.tokens[role] = csrf_token(browser)
        yield world
        for db in app.registry._zodb_databases.values():
            db.close()
        app.registry["dbengine"].dispose()


def outcome(response):
    if response.status_int == 303 and urlsplit(response.location).path == "/login":
        return "login"
    return str(response.status_int)


@pytest.mark.parametrize("view, role", [(v, r) for v in TABLE for r in ROLES])
def test_permission_matrix(world, view, role):
    expected = TABLE[view][role]
    method, path, data, effect = VIEWS[view]
    case = world.new_case()
    url = path if path.startswith("/") else case + path
    browser = world.browser(role)
    if method == "GET":
        response = browser.get(url, expect_errors=True)
    else:
        form = {k: v.format(case=case) for k, v in data.items()}
        form["csrf_token"] = world.tokens[role]
        response = browser.post(url, form, expect_errors=True)
    assert outcome(response) == expected, f"{role} {method} {url}"
    if expected == "404":
        assert "Không tìm thấy trang" in response.text      # the ordinary not-found page
    if expected == "login":
        assert parse_qs(urlsplit(response.location).query)["came_from"] == [url]
    if effect is not None:
        done = world.collection(case, effect)
        assert done is (expected == "303"), f"{role} {view}: changed={done}"


def test_the_table_covers_every_role_and_view():
    assert set(TABLE) == set(VIEWS)
    assert all(set(row) == set(ROLES) for row in TABLE.values())

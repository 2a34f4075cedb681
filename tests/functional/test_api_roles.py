"""Who may do what through the API, on both sites.

Each role runs the same list of actions against content of Buôn Ma Thuột and
of Tuy Hòa; the statuses must match the table below.  A librarian of one site
is an *outsider* in the other: published content there is readable but not
changeable (403), private content there does not exist for them (404).
"""
import pytest

from .api_support import PEOPLE, call, people  # noqa: F401  (fixture)

SITES = {"bmt": ("dia-chi", "quy-hiem"), "tuy-hoa": ("dia-chi", "thieu-nhi")}

#: action -> relation of the person to the site -> expected status
EXPECTED = {
    "read published": dict(anonymous=200, reader=200, outsider=200, librarian=200,
                           siteadmin=200, manager=200),
    "read private": dict(anonymous=404, reader=404, outsider=404, librarian=200,
                         siteadmin=200, manager=200),
    "read workflow": dict(anonymous=401, reader=403, outsider=403, librarian=200,
                          siteadmin=200, manager=200),
    "create": dict(anonymous=401, reader=403, outsider=403, librarian=201, siteadmin=201,
                   manager=201),
    "edit": dict(anonymous=401, reader=403, outsider=403, librarian=200, siteadmin=200,
                 manager=200),
    "edit private": dict(anonymous=404, reader=404, outsider=404, librarian=200,
                         siteadmin=200, manager=200),
    "edit site settings": dict(anonymous=401, reader=403, outsider=403, librarian=403,
                               siteadmin=200, manager=200),
    "publish draft": dict(anonymous=404, reader=404, outsider=404, librarian=200,
                          siteadmin=200, manager=200),
    "retract published": dict(anonymous=401, reader=403, outsider=403, librarian=200,
                              siteadmin=200, manager=200),
    "move": dict(anonymous=401, reader=403, outsider=403, librarian=200, siteadmin=200,
                 manager=200),
    "delete": dict(anonymous=401, reader=403, outsider=403, librarian=204, siteadmin=204,
                   manager=204),
    "delete private": dict(anonymous=404, reader=404, outsider=404, librarian=204,
                           siteadmin=204, manager=204),
}


def relation(role, site):
    if role in ("anonymous", "reader", "manager"):
        return role
    kind, _sep, home = role.partition("-")
    return kind if home == site else "outsider"


@pytest.fixture
def objects(people, portal):
    """Per site: objects in the first collection, one per action that changes something."""
    from repository.interfaces import IContentService
    with portal() as p:
        service = p.request.find_service(IContentService)
        for site, (first, _second) in SITES.items():
            container = p.root[site][first]
            for name, publish in (("cong-khai", True), ("ban-nhap", False),
                                  ("de-sua-nhap", False), ("de-xuat-ban", False),
                                  ("de-rut", True), ("de-chuyen", True), ("de-xoa", True),
                                  ("nhap-de-xoa", False)):
                obj, errors = service.add(container, "DigitalItem",
                                          {"title": f"Mẫu {name} ({site})"}, name=name)
                assert not errors
                if publish:
                    service.transition(obj, "publish")
    return people


def run_actions(testapp, headers, site):
    first, second = SITES[site]
    base = f"/api/v1/content/{site}/{first}"
    h = headers

    def status(method, path, body=None):
        return call(testapp, method, path, body, headers=h, status="*").status_int

    return {
        "read published": status("GET", f"{base}/cong-khai"),
        "read private": status("GET", f"{base}/ban-nhap"),
        "read workflow": status("GET", f"{base}/cong-khai/@workflow"),
        "create": status("POST", base, {"@type": "DigitalItem", "title": "Mới"}),
        "edit": status("PATCH", f"{base}/cong-khai", {"description": "Đã sửa"}),
        "edit private": status("PATCH", f"{base}/de-sua-nhap", {"description": "Đã sửa"}),
        "edit site settings": status("PATCH", f"/api/v1/content/{site}",
                                     {"opening_hours": "Cả tuần: 7:00 – 21:00"}),
        "publish draft": status("POST", f"{base}/de-xuat-ban/@transition",
                                {"transition": "publish"}),
        "retract published": status("POST", f"{base}/de-rut/@transition",
                                    {"transition": "retract"}),
        "move": status("POST", f"{base}/de-chuyen/@move", {"target": f"/{site}/{second}"}),
        "delete": status("DELETE", f"{base}/de-xoa"),
        "delete private": status("DELETE", f"{base}/nhap-de-xoa"),
    }


@pytest.mark.parametrize("role", list(PEOPLE))
def test_each_role_on_both_sites(testapp, objects, role):
    actual, expected = {}, {}
    for site in SITES:
        for action, code in run_actions(testapp, objects.headers(role), site).items():
            actual[(site, action)] = code
            expected[(site, action)] = EXPECTED[action][relation(role, site)]
    wrong = {k: f"got {actual[k]}, expected {expected[k]}" for k in actual
             if actual[k] != expected[k]}
    assert not wrong


@pytest.mark.parametrize("role", ["librarian-bmt", "manager"])
def test_changes_of_allowed_roles_take_effect(testapp, objects, role):
    h = objects.headers(role)
    run_actions(testapp, h, "bmt")
    base = "/api/v1/content/bmt"
    call(testapp, "GET", f"{base}/dia-chi/de-xoa", headers=h, status=404)
    call(testapp, "GET", f"{base}/dia-chi/de-chuyen", headers=h, status=404)
    call(testapp, "GET", f"{base}/quy-hiem/de-chuyen", headers=h)
    assert call(testapp, "GET", f"{base}/dia-chi/de-xuat-ban").json["state"] == "published"
    call(testapp, "GET", f"{base}/dia-chi/de-rut", status=404)     # private again
    assert call(testapp, "GET", f"{base}/dia-chi/cong-khai").json["description"] == "Đã sửa"


def test_refused_changes_leave_content_alone(testapp, objects):
    h = objects.headers("librarian-tuy-hoa")
    run_actions(testapp, h, "bmt")
    base = "/api/v1/content/bmt/dia-chi"
    manager = objects.headers("manager")
    for name in ("de-xoa", "de-chuyen", "nhap-de-xoa"):
        call(testapp, "GET", f"{base}/{name}", headers=manager)
    assert call(testapp, "GET", f"{base}/de-xuat-ban", headers=manager).json["state"] == \
        "private"
    assert call(testapp, "GET", f"{base}/cong-khai").json["description"] == ""
    items = call(testapp, "GET", base, headers=manager).json["items"]
    assert "Mới" not in [i["title"] for i in items]


@pytest.mark.parametrize("role", ["manager", "librarian-bmt", "siteadmin-bmt"])
def test_content_never_moves_to_another_site(testapp, objects, role):
    h = objects.headers(role)
    item = "/api/v1/content/bmt/dia-chi/de-chuyen"
    error = call(testapp, "POST", item + "/@move", {"target": "/tuy-hoa/dia-chi"}, headers=h,
                 status=403).json["error"]
    assert error["type"] == "Forbidden"
    assert call(testapp, "GET", item, headers=h).json["title"] == "Mẫu de-chuyen (bmt)"
    there = call(testapp, "GET", "/api/v1/content/tuy-hoa/dia-chi/de-chuyen", headers=h)
    assert there.json["title"] == "Mẫu de-chuyen (tuy-hoa)"      # its own, untouched


def test_outsider_cannot_learn_private_targets(testapp, objects):
    """Moving to a private collection of another site reads as 'no such collection'."""
    from repository.interfaces import IContentService
    h = objects.headers("librarian-bmt")
    with objects.portal() as p:
        p.request.find_service(IContentService).add(
            p.root["tuy-hoa"], "Collection", {"title": "Kho riêng"}, name="kho-rieng")
    error = call(testapp, "POST", "/api/v1/content/bmt/dia-chi/de-chuyen/@move",
                 {"target": "/tuy-hoa/kho-rieng"}, headers=h, status=400).json["error"]
    assert "target" in error["fields"]


def test_session_requests_need_the_csrf_header(demo, testapp, signed_in):
    """A browser signed in by cookie must send X-CSRF-Token; a bearer token need not."""
    signed_in("thuthu", site_roles=[("bmt", "Librarian")])
    url = "/api/v1/content/bmt/dia-chi"
    body = {"@type": "DigitalItem", "title": "Gửi từ trình duyệt", "name": "tu-trinh-duyet"}
    error = call(testapp, "POST", url, body, status=400).json["error"]
    assert error["type"] == "BadCSRFToken"
    call(testapp, "POST", url, body, headers={"X-CSRF-Token": "doan-bua"}, status=400)
    call(testapp, "GET", url + "/tu-trinh-duyet", status=404)
    me = call(testapp, "GET", "/api/v1/me").json
    created = call(testapp, "POST", url, body, headers={"X-CSRF-Token": me["csrf_token"]},
                   status=201)
    assert created.json["name"] == "tu-trinh-duyet"
    call(testapp, "DELETE", created.location, status=400)
    call(testapp, "DELETE", created.location, headers={"X-CSRF-Token": me["csrf_token"]},
         status=204)


def test_bearer_requests_need_no_csrf_header(testapp, objects):
    testapp.reset()
    call(testapp, "PATCH", "/api/v1/content/bmt/dia-chi/cong-khai", {"description": "x"},
         headers=objects.headers("librarian-bmt"))

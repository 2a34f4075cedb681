"""Signing in and out, changing the password: what a reader or librarian meets."""
import os
from urllib.parse import urlsplit

import pytest
import webtest
from pyramid.i18n import TranslationString, make_localizer

from tests.conftest import PASSWORD, csrf_token, sign_in
from ils.accounts.services import IAccountService

import portal

LOCALE_DIR = os.path.join(os.path.dirname(portal.__file__), "locale")


def vi(msgid, **mapping):
    """The Vietnamese a reader sees for ``msgid`` (and there must be some)."""
    localizer = make_localizer("vi", [LOCALE_DIR])
    text = localizer.translate(TranslationString(msgid, domain="serepok", mapping=mapping))
    assert text != msgid, f"no Vietnamese translation of {msgid!r}"
    return text


def visible_text(page):
    return " ".join(page.html.get_text(" ").split())


def is_signed_in(app):
    """True when the app's cookies still open the password page."""
    return app.get("/password", expect_errors=True).status_int == 200


@pytest.fixture
def reader(app, make_user):
    make_user("bandoc", roles=["Reader"])
    return "bandoc"


def login(testapp, login, password, came_from="/", token=None, **kw):
    token = csrf_token(testapp) if token is None else token
    return testapp.post("/login", {"login": login, "password": password, "csrf_token": token,
                                   "came_from": came_from}, **kw)


def test_sign_in_and_out(reader, testapp):
    assert not is_signed_in(testapp)
    response = login(testapp, "BanDoc", PASSWORD, came_from="/password?x=1", status=303)
    assert response.location == "http://localhost/password?x=1"
    page = response.follow()
    assert "bandoc" in visible_text(page)                     # the display name in the header
    assert is_signed_in(testapp)
    logout = page.html.find("form", action="http://localhost/logout")
    token = logout.find("input", attrs={"name": "csrf_token"})["value"]
    response = testapp.post("/logout", {"csrf_token": token}, status=303)
    assert response.location == "http://localhost/"
    assert not is_signed_in(testapp)


def test_sign_out_needs_post_with_a_token(reader, testapp):
    sign_in(testapp, "bandoc")
    testapp.get("/logout", expect_errors=True)                # a link or an <img> cannot do it
    assert is_signed_in(testapp)
    testapp.post("/logout", {}, status=400)                   # nor a forged form
    assert is_signed_in(testapp)


def test_sign_in_without_or_with_a_bad_csrf_token_is_refused(reader, testapp):
    testapp.get("/login")
    page = testapp.post("/login", {"login": "bandoc", "password": PASSWORD}, status=400)
    assert vi("The form has expired. Reload the page and try again.") in visible_text(page)
    login(testapp, "bandoc", PASSWORD, token="forged", status=400)
    assert not is_signed_in(testapp)


def test_wrong_password_says_so_without_telling_which_part(reader, testapp):
    wrong = login(testapp, "bandoc", "sai-mat-khau-roi", status=400)
    unknown = login(testapp, "khong-ai", PASSWORD, status=400)
    message = vi("The login name or password is not correct.")
    assert message in visible_text(wrong) and message in visible_text(unknown)
    assert wrong.html.find("input", attrs={"name": "login"})["value"] == "bandoc"
    assert not is_signed_in(testapp)


def test_inactive_account_cannot_sign_in_and_its_sessions_end(reader, testapp, portal):
    sign_in(testapp, "bandoc")
    other = webtest.TestApp(testapp.app, extra_environ=testapp.extra_environ)
    with portal() as p:
        p.request.find_service(IAccountService).by_login("bandoc").active = False
    assert not is_signed_in(testapp)
    login(other, "bandoc", PASSWORD, status=400)


def test_five_failures_lock_the_login_for_a_while(reader, testapp, app):
    for _ in range(5):
        login(testapp, "bandoc", "sai-mat-khau-roi", status=400)
    page = login(testapp, "bandoc", PASSWORD, status=429)      # even the right password
    assert int(page.headers["Retry-After"]) > 0
    assert vi("Too many failed sign-ins. Please wait a few minutes and try again.") in \
        visible_text(page)
    assert not is_signed_in(testapp)
    # the real owner elsewhere is not locked out by someone guessing
    elsewhere = webtest.TestApp(app, extra_environ={"HTTP_HOST": "localhost",
                                                    "REMOTE_ADDR": "203.0.113.9"})
    login(elsewhere, "bandoc", PASSWORD, status=303)


def test_a_success_clears_earlier_failures(reader, testapp):
    for _ in range(4):
        login(testapp, "bandoc", "sai-mat-khau-roi", status=400)
    login(testapp, "bandoc", PASSWORD, status=303)
    for _ in range(4):
        login(testapp, "bandoc", "sai-mat-khau-roi", status=400)
    login(testapp, "bandoc", PASSWORD, status=303)


@pytest.mark.parametrize("came_from", [
    "//evil.example/", "https://evil.example/", "http://evil.example", "evil.example",
    "javascript:alert(1)", "/\\evil.example", "", "\r\nSet-Cookie: x=1",
])
def test_came_from_never_leaves_the_site(reader, testapp, came_from):
    response = login(testapp, "bandoc", PASSWORD, came_from=came_from, status=303)
    target = urlsplit(response.location)
    assert (target.scheme, target.netloc) == ("http", "localhost")
    assert not target.path.startswith("//")
    assert "x=1" not in response.headers.get("Set-Cookie", "")


def test_sign_in_page_keeps_came_from(testapp):
    page = testapp.get("/login", {"came_from": "/bmt/sach-noi/"})
    assert page.html.find("input", attrs={"name": "came_from"})["value"] == "/bmt/sach-noi/"


@pytest.fixture
def password_form(reader, testapp):
    sign_in(testapp, "bandoc")

    def submit(current, new, confirm=None, status=200):
        token = csrf_token(testapp, "/password")
        return testapp.post("/password", {"current": current, "new": new,
                                          "confirm": new if confirm is None else confirm,
                                          "csrf_token": token}, status=status)
    return submit


def field_error(page, name):
    box = page.html.find(id=f"{name}-error")
    return box.get_text(" ", strip=True) if box else None


def test_password_change_refuses_a_wrong_current_password(password_form):
    page = password_form("sai-mat-khau-roi", "mat-khau-moi-dai-1", status=400)
    assert field_error(page, "current") == vi("The current password is not correct.")


def test_password_change_refuses_two_different_new_passwords(password_form):
    page = password_form(PASSWORD, "mat-khau-moi-dai-1", "mat-khau-moi-dai-2", status=400)
    assert field_error(page, "confirm") == vi("The two new passwords differ.")


def test_password_change_applies_the_policy(password_form, testapp):
    page = password_form(PASSWORD, "ngan", status=400)
    assert field_error(page, "new") == vi("The password must have at least ${n} characters.", n=10)
    testapp.post("/logout", {"csrf_token": csrf_token(testapp, "/password")})
    login(testapp, "bandoc", PASSWORD, status=303)            # nothing changed


def test_password_change_ends_other_sessions(password_form, testapp, app):
    phone = webtest.TestApp(app, extra_environ=testapp.extra_environ)
    sign_in(phone, "bandoc")
    assert is_signed_in(phone)
    page = password_form(PASSWORD, "mat-khau-moi-dai-1")
    assert vi("Your password has been changed. Other browsers have been signed out.") in \
        visible_text(page)
    assert is_signed_in(testapp)                  # this browser stays signed in
    assert not is_signed_in(phone)                # the other one is out
    fresh = webtest.TestApp(app, extra_environ=testapp.extra_environ)
    login(fresh, "bandoc", PASSWORD, status=400)
    login(fresh, "bandoc", "mat-khau-moi-dai-1", status=303)


def test_sign_out_everywhere(reader, testapp, app):
    phone = webtest.TestApp(app, extra_environ=testapp.extra_environ)
    sign_in(phone, "bandoc")
    sign_in(testapp, "bandoc")
    testapp.post("/logout", {"csrf_token": csrf_token(testapp, "/password"), "everywhere": "1"},
                 status=303)
    assert not is_signed_in(testapp) and not is_signed_in(phone)


def test_password_page_needs_a_signed_in_user(testapp):
    response = testapp.get("/password", status=303)
    assert urlsplit(response.location).path == "/login"

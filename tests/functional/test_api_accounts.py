"""/api/v1/tokens and /api/v1/me: signing in from an app, and who am I."""
from .api_support import ApiDocs, call, people  # noqa: F401  (fixture)

SECRET = "mat-khau-cua-ung-dung-1"


def sign_in(testapp, login, password=SECRET, status=201, **kw):
    return call(testapp, "POST", "/api/v1/tokens", {"login": login, "password": password, **kw},
                status=status)


def test_accounts_examples(testapp, people):
    """The walk-through written to docs/api/accounts.md."""
    people.add("app-user", "bandoc.app", roles=("Reader",), site_roles=())
    from ils.accounts.services import IAccountService
    with people.portal() as p:
        accounts = p.request.find_service(IAccountService)
        accounts.set_password(accounts.by_login("bandoc.app"), SECRET)
    docs = ApiDocs(testapp, "accounts", ("Tài khoản và mã truy cập", "Accounts and tokens"), (
        "Ứng dụng (di động, kiosk) đăng nhập bằng tên đăng nhập và mật khẩu để nhận một mã "
        "truy cập (bearer token), rồi gửi mã trong tiêu đề `Authorization: Bearer …`. "
        "Mã chỉ hiện một lần. Yêu cầu có mã không cần mã CSRF. Số lần đăng nhập sai bị giới "
        "hạn như ở trang đăng nhập.",
        "Apps (mobile, kiosk) sign in with a login and password to get a bearer token, then "
        "send it in the `Authorization: Bearer …` header. The token is shown only once. "
        "Requests with a token need no CSRF token. Failed sign-ins are limited as on the "
        "sign-in page."))

    created = docs.example(
        ("Đăng nhập, nhận mã truy cập", "Sign in, get a token"),
        ("`name` (không bắt buộc) giúp nhận ra mã sau này, ví dụ tên điện thoại.",
         "`name` (optional) helps to recognise the token later, e.g. the phone's name."),
        "POST", "/api/v1/tokens",
        {"login": "bandoc.app", "password": SECRET, "name": "Điện thoại của Hòa"},
        status=201, body_note=pretty_login("bandoc.app", "Điện thoại của Hòa"))
    token = created.json["token"]
    docs.secret(token, "<token>")
    docs.secret(people.tokens["app-user"], "<token cũ / older token>")
    auth = {"Authorization": f"Bearer {token}"}

    me = docs.example(
        ("Tôi là ai", "Who am I"),
        ("Vai trò của tài khoản và vai trò ở từng cơ sở.",
         "The account's roles and its roles on each site."),
        "GET", "/api/v1/me", headers=auth)
    assert me.json["login"] == "bandoc.app" and me.json["roles"] == ["Reader"]
    assert "csrf_token" not in me.json

    listed = docs.example(
        ("Các mã đang dùng", "Tokens in use"),
        ("Giá trị của mã không bao giờ được hiện lại.", "Token values are never shown again."),
        "GET", "/api/v1/tokens", headers=auth)
    assert len(listed.json["items"]) == 2 and "token" not in listed.json["items"][0]

    docs.example(
        ("Thu hồi một mã", "Revoke a token"),
        ("Ví dụ khi mất điện thoại. Mã bị thu hồi không dùng được nữa.",
         "For example when a phone is lost. A revoked token stops working at once."),
        "DELETE", created.location, headers=auth, status=204)
    call(testapp, "GET", "/api/v1/me", headers=auth, status=401)

    docs.example(
        ("Sai mật khẩu", "Wrong password"),
        ("Không nói tên đăng nhập hay mật khẩu sai.", "Does not say which of the two is wrong."),
        "POST", "/api/v1/tokens", {"login": "bandoc.app", "password": "doan-thu"},
        status=401, body_note=pretty_login("bandoc.app"))
    for _n in range(4):
        sign_in(testapp, "bandoc.app", "doan-thu", status=401)
    docs.example(
        ("Quá nhiều lần sai", "Too many failures"),
        ("Sau 5 lần sai trong 15 phút, kể cả mật khẩu đúng cũng bị từ chối cho đến khi hết "
         "thời gian trong `Retry-After` (giây).",
         "After 5 failures in 15 minutes even the right password is refused until the "
         "`Retry-After` time (seconds) has passed."),
        "POST", "/api/v1/tokens", {"login": "bandoc.app", "password": SECRET},
        status=429, body_note=pretty_login("bandoc.app"))
    docs.write()


def pretty_login(login, name=None):
    """The request body as shown in the docs: the password is never written down."""
    from .api_support import pretty
    body = {"login": login, "password": "<mật khẩu / password>"}
    if name:
        body["name"] = name
    return pretty(body)


def test_token_works_until_revoked(sql_backend, testapp, people):
    people.add("x", "docgia", roles=("Reader",))
    from ils.accounts.services import IAccountService
    with people.portal() as p:
        accounts = p.request.find_service(IAccountService)
        accounts.set_password(accounts.by_login("docgia"), SECRET)
    first = sign_in(testapp, "DocGia ").json          # login is case- and space-insensitive
    second = sign_in(testapp, "docgia").json
    h1 = {"Authorization": "Bearer " + first["token"]}
    h2 = {"Authorization": "Bearer " + second["token"]}
    assert call(testapp, "GET", "/api/v1/me", headers=h1).json["login"] == "docgia"
    call(testapp, "DELETE", "/api/v1/tokens/" + str(first["id"]), headers=h2, status=204)
    assert call(testapp, "GET", "/api/v1/me", headers=h1, status=401).json["error"]["type"] == \
        "Unauthorized"
    call(testapp, "GET", "/api/v1/me", headers=h2)
    ids = [t["id"] for t in call(testapp, "GET", "/api/v1/tokens", headers=h2).json["items"]]
    assert first["id"] not in ids and second["id"] in ids


def test_nobody_revokes_someone_elses_token(sql_backend, testapp, people):
    mine = people.headers("reader")
    other = call(testapp, "GET", "/api/v1/tokens", headers=people.headers("manager")).json
    other_id = other["items"][0]["id"]
    for token_id in (str(other_id), "999999", "abc", "99999999999999999999"):
        call(testapp, "DELETE", f"/api/v1/tokens/{token_id}", headers=mine, status=404)
    call(testapp, "GET", "/api/v1/me", headers=people.headers("manager"))
    call(testapp, "DELETE", f"/api/v1/tokens/{other_id}", status=401)


def test_me_shows_roles_per_site(testapp, people):
    me = call(testapp, "GET", "/api/v1/me", headers=people.headers("siteadmin-bmt")).json
    assert [(s["name"], s["roles"]) for s in me["sites"]] == [("bmt", ["SiteAdmin"])]
    manager = call(testapp, "GET", "/api/v1/me", headers=people.headers("manager")).json
    assert manager["roles"] == ["Manager"] and manager["sites"] == []
    anonymous = call(testapp, "GET", "/api/v1/me", status=401)
    assert anonymous.json["error"]["type"] == "Unauthorized"
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    call(testapp, "GET", "/api/v1/me", headers={"Authorization": "Bearer sai-ma"}, status=401)


def test_token_requests_are_checked(testapp, people):
    assert set(call(testapp, "POST", "/api/v1/tokens", {"login": 5, "extra": 1},
                    status=400).json["error"]["fields"]) == {"login", "password", "extra"}
    call(testapp, "POST", "/api/v1/tokens", body=b"login=a&password=b",
         content_type="application/x-www-form-urlencoded", status=415)


def test_deactivated_account_loses_its_tokens(testapp, people):
    from ils.accounts.services import IAccountService
    h = people.headers("reader")
    call(testapp, "GET", "/api/v1/me", headers=h)
    with people.portal() as p:
        p.request.find_service(IAccountService).get(people.ids["reader"]).active = False
    call(testapp, "GET", "/api/v1/me", headers=h, status=401)


def test_api_and_sign_in_page_share_the_failure_limit(testapp, people):
    """Five wrong passwords through the API also lock the HTML sign-in form."""
    from tests.conftest import PASSWORD, csrf_token
    for _n in range(5):
        sign_in(testapp, "bandoc", "sai-mat-khau", status=401)
    refused = sign_in(testapp, "bandoc", PASSWORD, status=429)
    assert refused.json["error"]["type"] == "TooManyRequests"
    assert int(refused.headers["Retry-After"]) > 0
    page = testapp.post("/login", {"login": "bandoc", "password": PASSWORD,
                                   "csrf_token": csrf_token(testapp), "came_from": "/"},
                        status=429)
    assert "<html" in page.text
    # another login from the same address is not locked by these failures
    sign_in(testapp, "quantri", PASSWORD)


def test_token_sign_in_needs_no_csrf_even_with_a_session(testapp, people):
    from tests.conftest import PASSWORD, sign_in as html_sign_in
    html_sign_in(testapp, "thuthu.bmt")
    me = call(testapp, "GET", "/api/v1/me").json
    assert me["login"] == "thuthu.bmt" and me["csrf_token"]
    token = sign_in(testapp, "thuthu.bmt", PASSWORD).json["token"]
    assert token

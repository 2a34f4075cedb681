"""Accounts over JSON: bearer tokens for the apps, and who am I.

``POST /api/v1/tokens`` trades a login and password for a bearer token.  It is
rate limited by the same ``login`` rule as the HTML sign-in form, keyed by the
client address and the login, so guessing passwords through the API is no
faster than through the form.  It needs no CSRF token: it sets no cookie, and
the token it returns is only readable by the caller.
"""
from pyramid.csrf import get_csrf_token
from pyramid.httpexceptions import HTTPNoContent, HTTPNotFound
from pyramid.i18n import TranslationStringFactory
from pyramid.view import view_config
from sqlalchemy import select

from ils.accounts.models import ApiToken, utcnow
from ils.accounts.services import IAccountService, token_digest
from repository.security import Permission

from ..ratelimit import IRateLimiter
from ..security import bearer_token
from .http import ApiError, content_url, invalid, isoformat, json_body, limit, too_many

_ = TranslationStringFactory("serepok")

MAX_LOGIN = 100
MAX_PASSWORD = 1000
MAX_TOKEN_NAME = 100


def token_json(request, row, secret=None):
    data = {
        "@id": request.route_url("api_token", id=row.id),
        "@type": "ApiToken",
        "id": row.id,
        "name": row.name or "",
        "created": isoformat(row.created),
        "expires": isoformat(row.expires),
        "last_used": isoformat(row.last_used),
    }
    if secret is not None:
        data["token"] = secret
    return data


def active(row):
    expires = row.expires
    if expires is not None and expires.tzinfo is None:     # SQLite drops the zone
        expires = expires.replace(tzinfo=utcnow().tzinfo)
    return not row.revoked and (expires is None or expires > utcnow())


@view_config(route_name="api_tokens", request_method="POST", renderer="json",
             require_csrf=False)
def create_token(request):
    """A new bearer token for a login and password: 201 with the token, shown once."""
    data = json_body(request)
    login, password, name = data.get("login"), data.get("password"), data.get("name", "")
    errors = {}
    if not isinstance(login, str) or not login.strip() or len(login) > MAX_LOGIN:
        errors["login"] = _("Enter your login name.")
    if not isinstance(password, str) or not password or len(password) > MAX_PASSWORD:
        errors["password"] = _("Enter your password.")
    if not isinstance(name, str) or len(name) > MAX_TOKEN_NAME:
        errors["name"] = _("At most ${n} characters.", mapping={"n": MAX_TOKEN_NAME})
    for key in data:
        if key not in ("login", "password", "name"):
            errors[key] = _("Unknown field.")
    if errors:
        raise invalid(errors)
    login = login.strip().lower()
    limiter = request.find_service(IRateLimiter)
    ip = request.client_addr or "unknown"
    if not limiter.test("login", ip, login) or not limiter.test("login_ip", ip):
        raise too_many(limiter.retry_after("login", ip, login))
    accounts = request.find_service(IAccountService)
    user = accounts.authenticate(login, password)
    if user is None:
        limiter.hit("login", ip, login)
        limiter.hit("login_ip", ip)
        raise ApiError(401, "InvalidCredentials",
                       _("The login name or password is not correct."),
                       headers={"WWW-Authenticate": 'Bearer realm="serepok"'})
    limiter.clear("login", ip, login)
    secret = accounts.issue_token(user, name=name.strip())
    row = request.dbsession.scalar(
        select(ApiToken).where(ApiToken.token_hash == token_digest(secret)))
    request.response.status = 201
    request.response.location = request.route_url("api_token", id=row.id)
    return token_json(request, row, secret)


@view_config(route_name="api_tokens", request_method="GET", renderer="json",
             permission=Permission.OWN_ACCOUNT)
def list_tokens(request):
    """The signed-in user's tokens that still work (without their secret values)."""
    rows = sorted((r for r in request.identity.tokens if active(r)), key=lambda r: r.id)
    return {"@id": request.route_url("api_tokens"), "@type": "ApiTokens",
            "items": [token_json(request, r) for r in rows], "items_total": len(rows)}


@view_config(route_name="api_token", request_method="DELETE",
             permission=Permission.OWN_ACCOUNT)
def revoke_token(request):
    """Revoke one of one's own tokens: 204; a token of someone else is a 404."""
    token_id = request.matchdict["id"]
    limit(request, "api_write")
    if not (token_id.isdigit() and len(token_id) <= 9):
        raise HTTPNotFound()
    if not request.find_service(IAccountService).revoke_token(request.identity, token_id):
        raise HTTPNotFound()
    return HTTPNoContent()


@view_config(route_name="api_me", request_method="GET", renderer="json",
             permission=Permission.OWN_ACCOUNT)
def me(request):
    """The signed-in user: roles on the account and on each site."""
    user = request.identity
    sites = []
    for site in request.root.sites():
        roles = sorted(site.roles_of(user.id))
        if roles:
            sites.append({"@id": content_url(request, site), "name": site.__name__,
                          "title": site.title, "roles": roles})
    data = {
        "@id": request.route_url("api_me"),
        "@type": "User",
        "id": user.id,
        "login": user.login,
        "display_name": user.display_name,
        "email": user.email or "",
        "home_site": user.home_site or "",
        "roles": sorted(user.role_set),
        "sites": sites,
        "tokens": request.route_url("api_tokens"),
    }
    if bearer_token(request) is None:
        # A browser client signed in with the session cookie sends this back
        # in the X-CSRF-Token header on POST, PATCH and DELETE.
        data["csrf_token"] = get_csrf_token(request)
    return data

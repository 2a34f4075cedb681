"""Who is asking, and what may they do here.

Identity comes from a bearer token (the apps) or the signed session cookie
(the browser).  Principals are the user, their global roles, ``group:staff``
if they hold a staff role anywhere, and the *local roles* granted on the site
that contains the context: computed per context, so a librarian of Buôn Ma
Thuột is an ordinary visitor in Tuy Hòa.
"""
import os
import secrets

from pyramid.authorization import ACLHelper, Authenticated, Everyone
from pyramid.csrf import SessionCSRFStoragePolicy
from pyramid.session import SignedCookieSessionFactory
from pyramid.settings import asbool
from zope.interface import implementer
from pyramid.interfaces import ISecurityPolicy

from ils.accounts.services import IAccountService
from repository.resources import Site, find_site
from repository.security import LOCAL_ROLES, STAFF_GROUP, Role

SESSION_USER = "auth.user"
SESSION_VERSION = "auth.version"


def bearer_token(request):
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return None


def staff_site_codes(root, user_id):
    """Names of the sites where the user holds a local role."""
    return [s.__name__ for s in root.sites() if s.roles_of(user_id)] if root is not None else []


@implementer(ISecurityPolicy)
class SecurityPolicy:
    helper = ACLHelper()

    def identity(self, request):
        """The signed-in :class:`ils.accounts.models.User`, or None (cached per request)."""
        cache = request.environ.setdefault("serepok.identity", {})
        if "user" in cache:
            return cache["user"]
        # the accounts service (and its SQL session) only when there is someone to look up:
        # anonymous requests (tiles, public pages) never touch the database for this
        user = None
        token = bearer_token(request)
        if token:
            user = request.find_service(IAccountService).user_for_token(token)
        elif SESSION_USER in request.session:
            candidate = request.find_service(IAccountService).get(request.session[SESSION_USER])
            if (candidate is not None and candidate.active
                    and request.session.get(SESSION_VERSION) == candidate.session_version):
                user = candidate
        cache["user"] = user
        return user

    def authenticated_userid(self, request):
        user = self.identity(request)
        return str(user.id) if user is not None else None

    def principals(self, request, context):
        principals = [Everyone]
        user = self.identity(request)
        if user is None:
            return principals
        principals += [Authenticated, f"user:{user.id}"]
        principals += [f"role:{r}" for r in user.role_set]
        if Role.MANAGER.value in user.role_set or any(
                s.roles_of(user.id) for s in _sites(request)):
            principals.append(STAFF_GROUP)
        site = find_site(context) if context is not None else None
        if isinstance(site, Site):
            local = site.roles_of(user.id)
            principals += [f"role:{r}" for r in local
                           if r in {x.value for x in LOCAL_ROLES}]
        return principals

    def permits(self, request, context, permission):
        return self.helper.permits(context, self.principals(request, context), str(permission))

    def remember(self, request, userid, **kw):
        user = request.find_service(IAccountService).get(userid)
        request.session.invalidate()           # no session fixation
        request.session[SESSION_USER] = int(userid)
        request.session[SESSION_VERSION] = user.session_version
        request.environ.pop("serepok.identity", None)
        return []

    def forget(self, request, **kw):
        request.session.invalidate()
        request.environ.pop("serepok.identity", None)
        return []


def _sites(request):
    root = getattr(request, "root", None)
    return root.sites() if root is not None and hasattr(root, "sites") else []


def session_secret(settings):
    """The session signing secret: a setting, the environment, or a file under var/."""
    secret = settings.get("serepok.secret") or os.environ.get("SEREPOK_SECRET")
    if secret:
        return secret
    path = settings.get("serepok.secret_file") or os.path.join(
        settings.get("serepok.var", "var"), "secret")
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    if not os.path.exists(path):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
    with open(path) as f:
        return f.read().strip()


def render_as_anonymous(request):
    """Answer the rest of this request as if nobody were signed in.

    For the error page after a failure: looking the user up again could fail
    the same way.
    """
    request.environ["serepok.identity"] = {"user": None}


def needs_csrf(request):
    """Bearer-token requests carry no cookie, so they cannot be forged cross-site."""
    return bearer_token(request) is None


def principals_for(request, context):
    """The principals of the current request at ``context`` (for catalogue queries)."""
    return request.registry.getUtility(ISecurityPolicy).principals(request, context)


def includeme(config):
    from repository.access import AccessTokens, IAccessTokens
    settings = config.get_settings()
    secret = session_secret(settings)
    # digital loans: signed, expiring tokens checked by the IIIF, PDF and audio endpoints
    config.registry.registerUtility(AccessTokens(secret), IAccessTokens)
    config.set_session_factory(SignedCookieSessionFactory(
        secret, cookie_name="serepok_session", httponly=True,
        samesite="Lax", secure=asbool(settings.get("serepok.secure_cookies", False)),
        max_age=None, timeout=int(settings.get("serepok.session_timeout", 8 * 3600)),
        reissue_time=600))
    config.set_security_policy(SecurityPolicy())
    config.set_csrf_storage_policy(SessionCSRFStoragePolicy())
    config.set_default_csrf_options(require_csrf=True, callback=needs_csrf)

"""Sign in, sign out, change password (HTML)."""
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.i18n import TranslationStringFactory
from pyramid.security import forget, remember
from pyramid.view import view_config

from ils.accounts.services import IAccountService, PasswordPolicyError
from repository.security import Permission

from ..ratelimit import IRateLimiter

_ = TranslationStringFactory("serepok")


def safe_target(request, target):
    if not target or not target.startswith("/") or target.startswith("//"):
        return request.application_url + "/"
    return request.application_url + target


def client_address(request):
    return request.client_addr or "unknown"


@view_config(route_name="login", renderer="login.jinja2", request_method="GET")
def login_form(request):
    return {"login": "", "came_from": request.params.get("came_from", "/"), "error": None}


@view_config(route_name="login", renderer="login.jinja2", request_method="POST")
def login_submit(request):
    login = request.POST.get("login", "").strip()[:100]
    password = request.POST.get("password", "")[:1000]
    came_from = request.POST.get("came_from", "/")
    limiter = request.find_service(IRateLimiter)
    ip = client_address(request)
    if not limiter.test("login", ip, login.lower()) or not limiter.test("login_ip", ip):
        request.response.status = 429
        request.response.headers["Retry-After"] = str(limiter.retry_after("login", ip, login.lower()))
        return {"login": login, "came_from": came_from,
                "error": _("Too many failed sign-ins. Please wait a few minutes and try again.")}
    user = request.find_service(IAccountService).authenticate(login, password)
    if user is None:
        limiter.hit("login", ip, login.lower())
        limiter.hit("login_ip", ip)
        request.response.status = 400
        return {"login": login, "came_from": came_from,
                "error": _("The login name or password is not correct.")}
    limiter.clear("login", ip, login.lower())
    headers = remember(request, str(user.id))
    return HTTPSeeOther(location=safe_target(request, came_from), headers=headers)


@view_config(route_name="logout", request_method="POST")
def logout(request):
    user = request.identity
    if user is not None and request.POST.get("everywhere"):
        request.find_service(IAccountService).end_all_sessions(user)
    headers = forget(request)
    return HTTPSeeOther(location=request.application_url + "/", headers=headers)


@view_config(route_name="password", renderer="password.jinja2", request_method="GET",
             permission=Permission.OWN_ACCOUNT)
def password_form(request):
    return {"errors": {}, "done": False}


@view_config(route_name="password", renderer="password.jinja2", request_method="POST",
             permission=Permission.OWN_ACCOUNT)
def password_submit(request):
    accounts = request.find_service(IAccountService)
    user = request.identity
    errors = {}
    current = request.POST.get("current", "")[:1000]
    new = request.POST.get("new", "")[:1000]
    limiter = request.find_service(IRateLimiter)
    key = ("password", str(user.id))
    if not limiter.test("login", *key):
        request.response.status = 429
        request.response.headers["Retry-After"] = str(limiter.retry_after("login", *key))
        return {"errors": {"current": _("Too many failed attempts. Please wait a few minutes "
                                        "and try again.")}, "done": False}
    if accounts.authenticate(user.login, current) is None:
        limiter.hit("login", *key)
        errors["current"] = _("The current password is not correct.")
    elif new != request.POST.get("confirm", ""):
        errors["confirm"] = _("The two new passwords differ.")
    else:
        try:
            accounts.set_password(user, new)
        except PasswordPolicyError as exc:
            errors["new"] = exc.message
    if errors:
        request.response.status = 400
        return {"errors": errors, "done": False}
    remember(request, str(user.id))      # keep this browser signed in, end the others
    return {"errors": {}, "done": True}

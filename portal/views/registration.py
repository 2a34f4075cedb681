"""Online card registration (public): the form, the CCCD QR fill, the notice, what happens next.

The form works without JavaScript: the "fill from QR" button posts the pasted
QR text and the server parses it into the fields.  A little script does the
same in the page as soon as text is pasted or scanned into the box.
Submitting checks everything before it writes anything (the reader fields,
the account fields, the consents); a refusal shows the form again with the
message next to the field and stores nothing.  Rate limited per address.
"""
import datetime

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.i18n import TranslationStringFactory
from pyramid.security import remember
from pyramid.view import view_config

from ils.accounts.services import (IAccountService, LoginTakenError, PasswordPolicyError,
                                   check_password_policy)
from ils.readers import cccd
from ils.readers.services import NOTICE_VERSIONS, IReaderService, ReaderError
from repository.resources import Site
from repository.security import Role

from ..ratelimit import IRateLimiter

_ = TranslationStringFactory("serepok")

FIELDS = ("full_name", "id_number", "old_id_number", "birth_date", "sex", "address", "phone",
          "email", "home_site", "category", "language", "login")
PUBLIC_CATEGORIES = ("adult", "student", "child")
NOTICE_TEMPLATE = "readers/notice-{version}.jinja2"


def site_choices(request):
    from .reader_account import short_title
    return ([(s.__name__, short_title(s.title)) for s in request.root.sites()]
            or [("bmt", "Buôn Ma Thuột")])


def form_values(request):
    values = {name: request.POST.get(name, "")[:500].strip() for name in FIELDS}
    values["cccd_qr"] = request.POST.get("cccd_qr", "")[:2000]
    values["accept_rules"] = bool(request.POST.get("accept_rules"))
    values["accept_personal_data"] = bool(request.POST.get("accept_personal_data"))
    return values


def page(request, values=None, errors=None, status=200, filled=False):
    request.response.status = status
    return {"values": values or {"language": request.locale_name, "home_site": "bmt",
                                 "category": "adult"},
            "errors": errors or {}, "sites": site_choices(request), "filled": filled,
            "categories": PUBLIC_CATEGORIES, "versions": NOTICE_VERSIONS,
            "today": datetime.date.today().isoformat()}


@view_config(route_name="register", renderer="readers/register.jinja2", request_method="GET")
def register_form(request):
    if request.identity is not None and request.find_service(IReaderService).for_user(
            request.identity.id) is not None:
        return HTTPSeeOther(request.route_url("account"))
    return page(request)


def fill_from_qr(values):
    """Put what the QR says into the form; returns an error message or None."""
    try:
        data = cccd.parse(values["cccd_qr"])
    except cccd.CccdError as exc:
        return exc.message
    values.update(data.as_form())
    return None


@view_config(route_name="register", renderer="readers/register.jinja2", request_method="POST")
def register_submit(request):
    values = form_values(request)
    if request.POST.get("action") == "fill":
        error = fill_from_qr(values)
        if error:
            return page(request, values, {"cccd_qr": error}, status=400)
        return page(request, values, filled=True)
    limiter = request.find_service(IRateLimiter)
    ip = request.client_addr or "unknown"
    if not limiter.hit("register", ip):
        request.response.headers["Retry-After"] = str(limiter.retry_after("register", ip))
        return page(request, values, {"form": _("Too many applications from this address. "
                                                "Please try again later.")}, status=429)
    errors = {}
    if values["cccd_qr"].strip() and not values["id_number"]:
        error = fill_from_qr(values)
        if error:
            errors["cccd_qr"] = error
    readers = request.find_service(IReaderService)
    accounts = request.find_service(IAccountService)
    if values["category"] not in PUBLIC_CATEGORIES:
        values["category"] = "adult"
    if values["home_site"] not in dict(site_choices(request)):
        errors["home_site"] = _("Choose the site where you will collect your card.")
    try:
        readers.validate(values)
    except ReaderError as exc:
        errors[exc.field or "form"] = exc.message
    login = values["login"].lower()
    password = request.POST.get("password", "")[:1000]
    if not login or len(login) < 3 or not login.replace(".", "").replace("-", "").replace(
            "_", "").isalnum() or not login.isascii():
        errors["login"] = _("Choose a login name of at least 3 letters or digits "
                            "(no spaces or diacritics).")
    elif accounts.by_login(login) is not None:
        errors["login"] = _("This login name is already taken.")
    try:
        check_password_policy(password, login)
    except PasswordPolicyError as exc:
        errors["password"] = exc.message
    if password != request.POST.get("confirm", ""):
        errors.setdefault("confirm", _("The two passwords differ."))
    if not (values["accept_rules"] and values["accept_personal_data"]):
        errors["consent"] = _("Please accept the library rules and the personal-data notice.")
    if errors:
        return page(request, values, errors, status=400)
    # everything checked: now write, in this request's one transaction
    try:
        user = accounts.create(login, password, display_name=values["full_name"],
                               roles=[Role.READER.value], email=values["email"],
                               home_site=values["home_site"])
        reader = readers.register(values, [("rules", NOTICE_VERSIONS["rules"]),
                                           ("personal_data", NOTICE_VERSIONS["personal_data"])],
                                  user=user)
    except (ReaderError, LoginTakenError, PasswordPolicyError) as exc:
        request.tm.doom()        # a race with another application: keep nothing of this one
        return page(request, values, {getattr(exc, "field", None) or "form": exc.message},
                    status=409)
    headers = remember(request, str(user.id))
    request.session["readers.applied"] = reader.id
    return HTTPSeeOther(request.route_url("register_done"), headers=headers)


@view_config(route_name="register_done", renderer="readers/register_done.jinja2",
             request_method="GET")
def register_done(request):
    reader = None
    if request.identity is not None:
        reader = request.find_service(IReaderService).for_user(request.identity.id)
    site = request.root.get(reader.home_site) if reader is not None else None
    from .reader_account import short_title
    site = site if isinstance(site, Site) else None
    return {"reader": reader, "site": site, "site_title": short_title(site.title) if site else ""}


@view_config(route_name="register_notice", renderer="readers/notice.jinja2", request_method="GET")
def notice(request):
    """The personal-data notice and the library rules, in the version readers accept now
    (or an older version by ``?version=``, so what someone accepted stays readable)."""
    version = request.params.get("version", NOTICE_VERSIONS["personal_data"])
    if version not in KNOWN_NOTICE_VERSIONS:
        version = NOTICE_VERSIONS["personal_data"]
    return {"version": version, "notice": NOTICE_TEMPLATE.format(version=version)}


KNOWN_NOTICE_VERSIONS = ("2026-11",)


def includeme(config):
    config.include("ils.readers")
    config.add_route("register", "/register")
    config.add_route("register_done", "/register/done")
    config.add_route("register_notice", "/register/notice")
    config.include(".readers_staff")
    config.include(".reader_account")

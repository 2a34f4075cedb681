"""Staff screen for the SIP2 self-check terminals: ``/staff/sip2``.

A site administrator sees and sets up the terminals of the sites they
administer; a manager those of every site. Librarians and readers are
refused. Forms carry the session's CSRF token (checked by the security
policy for every POST). The terminal password is typed here once and stored
only as its argon2 hash; the running SIP2 server (``serepok sip2``) reads the
terminals at each login, so no server access is needed to add a machine.
"""
from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound, HTTPSeeOther
from pyramid.i18n import TranslationStringFactory
from pyramid.view import view_config

from ils.accounts.services import hasher_from_settings
from ils.sip2.services import LANGUAGES, MIN_PASSWORD, TerminalService
from repository.security import Permission

from ..i18n import translate

_ = TranslationStringFactory("serepok")

LANGUAGE_TITLES = {"vi": _("Vietnamese"), "en": _("English")}
FIELDS = ("login", "name", "site", "institution_id", "location_code", "language")


def administered_sites(request):
    """{code: title} of the sites whose terminals this user may set up."""
    if request.identity is None:
        return {}
    permission = str(Permission.MANAGE_SITE)
    return {site.__name__: site.title for site in request.root.sites()
            if request.has_permission(permission, site)}


def _service(request):
    return TerminalService(request.dbsession, hasher_from_settings(request.registry.settings))


def _sites_or_forbidden(request):
    sites = administered_sites(request)
    if not sites:
        raise HTTPForbidden()
    return sites


def _flash(request, message):
    request.session.flash({"kind": "info", "text": translate(request, message)})


def _form(terminal, values, errors, sites):
    return {"terminal": terminal, "values": values, "errors": errors, "sites": sites,
            "languages": {code: LANGUAGE_TITLES[code] for code in LANGUAGES},
            "min_password": MIN_PASSWORD}


@view_config(route_name="sip2_terminals", renderer="sip2_terminals.jinja2")
def terminals(request):
    sites = _sites_or_forbidden(request)
    port = request.registry.settings.get("sip2.port", "6001")
    return {"terminals": _service(request).all(sites), "sites": sites, "port": port,
            "languages": LANGUAGE_TITLES}


@view_config(route_name="sip2_terminal_add", renderer="sip2_terminal_form.jinja2")
def terminal_add(request):
    sites = _sites_or_forbidden(request)
    values = {"site": next(iter(sites)), "language": "vi", "enabled": "on",
              "institution_id": "DLL"}
    errors = {}
    if request.method == "POST":
        values = {k: v for k, v in request.POST.items() if k != "csrf_token"}
        terminal, errors = _service(request).add(values, sites, request.identity.login)
        if not errors:
            _flash(request, _("Terminal ${login} added. Enter the same login and password "
                              "on the machine.", mapping={"login": terminal.login}))
            return HTTPSeeOther(location=request.route_url("sip2_terminals"))
        values.pop("password", None)
        request.response.status = 400
    return _form(None, values, errors, sites)


@view_config(route_name="sip2_terminal_edit", renderer="sip2_terminal_form.jinja2")
def terminal_edit(request):
    sites = _sites_or_forbidden(request)
    service = _service(request)
    terminal = service.get(request.matchdict["id"])
    if terminal is None:
        raise HTTPNotFound()
    if terminal.site not in sites:
        raise HTTPForbidden()
    values = {name: getattr(terminal, name) for name in FIELDS}
    values["enabled"] = "on" if terminal.enabled else ""
    values["patron_password_required"] = "on" if terminal.patron_password_required else ""
    errors = {}
    if request.method == "POST":
        if request.POST.get("delete"):
            service.delete(terminal)
            _flash(request, _("Terminal ${login} removed.", mapping={"login": terminal.login}))
            return HTTPSeeOther(location=request.route_url("sip2_terminals"))
        values = {k: v for k, v in request.POST.items() if k != "csrf_token"}
        errors = service.edit(terminal, values, sites, request.identity.login)
        if not errors:
            _flash(request, _("Saved."))
            return HTTPSeeOther(location=request.route_url("sip2_terminals"))
        values.pop("password", None)
        values["login"] = terminal.login
        request.response.status = 400
    return _form(terminal, values, errors, sites)


def includeme(config):
    config.add_route("sip2_terminals", "/staff/sip2")
    config.add_route("sip2_terminal_add", "/staff/sip2/add")
    config.add_route("sip2_terminal_edit", "/staff/sip2/{id}/edit")

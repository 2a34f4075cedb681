"""Error pages: Vietnamese first, the right status, nothing leaked.

A reader who may not view something gets the same 404 as for a path that
does not exist, so private drafts cannot be discovered by guessing URLs.
An anonymous visitor who needs to sign in for an action is sent to the
sign-in page; a signed-in user who lacks a permission gets a plain 403.
"""
import logging

from pyramid.exceptions import BadCSRFToken
from pyramid.httpexceptions import HTTPBadRequest, HTTPSeeOther
from pyramid.i18n import TranslationStringFactory
from pyramid.view import exception_view_config, forbidden_view_config, notfound_view_config

from repository.resources import Content
from repository.security import Permission

from ..i18n import translate

from ..security import render_as_anonymous

_ = TranslationStringFactory("serepok")
log = logging.getLogger(__name__)


def wants_json(request):
    return request.path.startswith("/api/")


def api_error(request, status, type_, message):
    request.response.status = status
    return {"error": {"type": type_, "message": translate(request, message)}}


def api_response(request, status, type_, message):
    """An API error as a rendered JSON response (for views without a renderer)."""
    from pyramid.renderers import render_to_response
    body = api_error(request, status, type_, message)
    if status == 401:
        request.response.headers["WWW-Authenticate"] = 'Bearer realm="serepok"'
    return render_to_response("json", body, request=request, response=request.response)


def render_error(request, status, title, message):
    from pyramid.renderers import render_to_response
    response = render_to_response("error.jinja2", {"status": status, "title": title,
                                                   "message": message}, request=request)
    response.status = status
    return response


@notfound_view_config(renderer="json", path_info=r"^/api/")
def api_not_found(request):
    return api_error(request, 404, "NotFound", _("Nothing exists at this address."))


@notfound_view_config()
def not_found(request):
    return render_error(request, 404, _("Page not found"),
                        _("The page you asked for does not exist or has been moved."))


@forbidden_view_config()
def forbidden(exc, request):
    context = request.context
    hidden = isinstance(context, Content) and not request.has_permission(
        str(Permission.VIEW), context)
    if wants_json(request):
        if hidden:
            return api_response(request, 404, "NotFound", _("Nothing exists at this address."))
        if request.identity is None:
            return api_response(request, 401, "Unauthorized", _("Sign in first."))
        return api_response(request, 403, "Forbidden", _("You are not allowed to do this."))
    if hidden:
        # The same answer as for a path that does not exist, with or without a view
        # name and whoever asks: a draft's URL cannot be confirmed by guessing.
        return not_found(request)
    if request.identity is None:
        return HTTPSeeOther(location=request.route_url("login",
                                                       _query={"came_from": request.path_qs}))
    return render_error(request, 403, _("Not allowed"),
                        _("Your account is not allowed to do this here."))


@exception_view_config(BadCSRFToken)
def bad_csrf(exc, request):
    if wants_json(request):
        return api_response(request, 400, "BadCSRFToken",
                            _("Send the CSRF token of your session in the X-CSRF-Token "
                              "header (GET /api/v1/me gives it), or use a bearer token."))
    return render_error(request, 400, _("The form has expired"),
                        _("The form has expired. Reload the page and try again."))


@exception_view_config(HTTPBadRequest)
def bad_request(exc, request):
    message = exc.detail or _("The request could not be understood.")
    if wants_json(request):
        return api_response(request, 400, "BadRequest", message)
    return render_error(request, 400, _("Bad request"), message)


@exception_view_config(Exception)
def server_error(exc, request):
    """Anything unexpected: the transaction is aborted (pyramid_tm), the reader told."""
    log.exception("error while serving %s", request.path)
    # The SQL session may be unusable now (a failed flush): the page is drawn
    # without asking it who is signed in.
    render_as_anonymous(request)
    if wants_json(request):
        return api_response(request, 500, "ServerError",
                            _("Something went wrong on our side. Nothing was saved."))
    return render_error(request, 500, _("Something went wrong"),
                        _("Something went wrong on our side. Nothing was saved; please try again."))

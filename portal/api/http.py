"""What every API view shares: errors, JSON bodies, batching, addresses, write limits.

An API view raises :class:`ApiError` for anything the client should fix; the
exception view below turns it into ``{"error": {"type", "message", "fields"}}``
with the right status.  Because it is an exception view, ``pyramid_tm`` aborts
the request's transaction: a refused request never leaves half a change.
"""
import datetime
import json
from urllib.parse import urlencode

from pyramid.exceptions import PredicateMismatch
from pyramid.i18n import TranslationStringFactory
from pyramid.traversal import resource_path
from pyramid.view import exception_view_config

from ..i18n import translate
from ..ratelimit import IRateLimiter

_ = TranslationStringFactory("serepok")

#: Media types accepted for request bodies.
JSON_TYPES = ("application/json", "application/merge-patch+json")
DEFAULT_MAX_BODY = 1 << 20
DEFAULT_BATCH = 25
MAX_BATCH = 100
CONTENT_ROUTE = "api_content"


class ApiError(Exception):
    """An error answered as JSON: ``status``, a ``type`` name, a translatable message.

    ``fields`` maps field names to messages (validation errors); ``headers``
    are added to the response (``Retry-After``, ``Allow``).
    """

    def __init__(self, status, type_, message, fields=None, headers=None):
        super().__init__(str(message))
        self.status = status
        self.type = type_
        self.message = message
        self.fields = dict(fields or {})
        self.headers = dict(headers or {})


def invalid(fields, message=None):
    """A 400 ValidationError naming each field that is wrong."""
    return ApiError(400, "ValidationError",
                    message or _("Some fields are not valid; see error.fields."), fields)


@exception_view_config(ApiError, renderer="json")
def api_error_view(exc, request):
    request.response.status = exc.status
    for name, value in exc.headers.items():
        request.response.headers[name] = value
    body = {"type": exc.type, "message": translate(request, exc.message)}
    if exc.fields:
        body["fields"] = {name: translate(request, msg) for name, msg in exc.fields.items()}
    return {"error": body}


def allowed_methods(request):
    """The methods some API view answers at this route and view name (for ``Allow``)."""
    route = request.matched_route.name if request.matched_route else None
    methods = set()
    for item in request.registry.introspector.get_category("views"):
        view = item["introspectable"]
        if view["route_name"] == route and (view["name"] or "") == (request.view_name or ""):
            wanted = view["request_methods"] or ()
            methods.update([wanted] if isinstance(wanted, str) else wanted)
    return sorted(methods)


@exception_view_config(PredicateMismatch, renderer="json", path_info=r"^/api/")
def method_not_allowed(exc, request):
    methods = allowed_methods(request)
    if not methods or request.method in methods:
        # The address exists for no method, or the mismatch was not the method.
        return api_error_view(ApiError(404, "NotFound", _("Nothing exists at this address.")),
                              request)
    return api_error_view(ApiError(
        405, "MethodNotAllowed",
        _("This address does not accept ${method}. Allowed: ${allowed}.",
          mapping={"method": request.method, "allowed": ", ".join(methods)}),
        headers={"Allow": ", ".join(methods)}), request)


def json_body(request):
    """The request body as a JSON object, within the size limit, or an ApiError."""
    limit = int(request.registry.settings.get("serepok.api.max_body_bytes", DEFAULT_MAX_BODY))
    too_large = ApiError(413, "PayloadTooLarge",
                         _("The request body is larger than the limit of ${kb} KB.",
                           mapping={"kb": limit // 1024}))
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    if request.content_type not in JSON_TYPES:
        raise ApiError(415, "UnsupportedMediaType",
                       _("Send the body as JSON with the header "
                         "Content-Type: application/json."))
    raw = request.body
    if len(raw) > limit:
        raise too_large
    try:
        data = json.loads(raw.decode("utf-8"))
    except ValueError:          # also UnicodeDecodeError
        raise ApiError(400, "MalformedJSON", _("The request body is not valid JSON."))
    if not isinstance(data, dict):
        raise ApiError(400, "MalformedJSON", _("The request body must be a JSON object."))
    return data


def content_url(request, obj, *elements):
    """The absolute API address (``@id``) of a repository object."""
    path = resource_path(obj)
    return request.route_url(CONTENT_ROUTE, *elements, traverse="" if path == "/" else path)


def batch_params(request):
    """``(b_start, b_size)`` from the query string; raises a ValidationError if wrong."""
    values, errors = {}, {}
    for name, default, low, high in (("b_start", 0, 0, 10 ** 9),
                                     ("b_size", DEFAULT_BATCH, 1, MAX_BATCH)):
        raw = request.GET.get(name, "").strip()
        if not raw:
            values[name] = default
        elif not raw.isdigit() or not low <= int(raw) <= high:
            errors[name] = _("Must be a whole number from ${low} to ${high}.",
                             mapping={"low": low, "high": high})
        else:
            values[name] = int(raw)
    if errors:
        raise invalid(errors)
    return values["b_start"], values["b_size"]


def query_url(request, **changes):
    """This request's address with some query parameters replaced (in a stable order)."""
    params = [(k, v) for k, v in request.GET.items() if k not in changes]
    params += [(k, str(v)) for k, v in changes.items()]
    return request.path_url + ("?" + urlencode(params) if params else "")


def batching(request, total, start, size, base=None):
    """Links to the pages of a long list: this one, first, last, previous, next.

    ``base`` is the list's own address (a container's ``@id``); without it the
    links keep this request's other query parameters (search).
    """
    def page(s):
        if base is not None:
            return base + "?" + urlencode([("b_start", s), ("b_size", size)])
        return query_url(request, b_start=s, b_size=size)

    last = max(0, (total - 1) // size * size)
    links = {"@id": page(start), "first": page(0), "last": page(last)}
    if start > 0:
        links["prev"] = page(max(0, start - size))
    if start + size < total:
        links["next"] = page(start + size)
    return links


def client_key(request):
    user = request.identity
    return f"user:{user.id}" if user is not None else f"ip:{request.client_addr or 'unknown'}"


def limit(request, rule, key=None):
    """Count one hit against ``rule``; a 429 ApiError when the limit is reached."""
    limiter = request.find_service(IRateLimiter)
    key = key or client_key(request)
    if not limiter.hit(rule, key):
        raise too_many(limiter.retry_after(rule, key))


def too_many(seconds):
    return ApiError(429, "TooManyRequests",
                    _("Too many requests. Please wait ${n} seconds and try again.",
                      mapping={"n": seconds}),
                    headers={"Retry-After": str(seconds)})


def isoformat(value):
    """ISO 8601 with the zone; SQLite hands back UTC times without one."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    return value.isoformat()

"""The union catalogue's protocol providers: OAI-PMH 2.0 at ``/oai`` and
SRU 2.0 (with CQL) at ``/sru``, for partner libraries.

``config.include("federation.providers")`` registers both routes and their
views (GET and POST, no CSRF token: they only read). Both answer XML
with HTTP 200 even for protocol errors (the protocols' own error elements
say what was wrong).

Settings: ``oai.repository_identifier`` (default: the host of
``serepok.base_url`` when it is a domain name), ``oai.repository_name``,
``oai.admin_email``, ``oai.page_size`` (records per ListRecords page,
default 100), ``oai.token_lifetime`` (seconds a resumption token lives,
default 86400); the tokens are signed with the application secret
(``serepok.secret``, ``SEREPOK_SECRET`` or ``<serepok.var>/secret``).
"""
from pyramid.i18n import make_localizer
from pyramid.interfaces import ITranslationDirectories
from pyramid.response import Response

__all__ = ["includeme", "bilingual", "xml_response"]


def bilingual(request, message):
    """``message`` (a TranslationString) as "Vietnamese / English": protocol
    answers go to programs and to partner librarians of either language."""
    if not hasattr(message, "interpolate"):
        return str(message)
    english = message.interpolate()
    registry = request.registry
    localizer = getattr(registry, "_serepok_vi_localizer", None)
    if localizer is None:
        directories = registry.queryUtility(ITranslationDirectories) or []
        localizer = make_localizer("vi", directories)
        registry._serepok_vi_localizer = localizer
    vietnamese = localizer.translate(message)
    return english if vietnamese == english else f"{vietnamese} / {english}"


def xml_response(body, content_type="text/xml"):
    """An XML answer (bytes, UTF-8) that no proxy caches for long."""
    response = Response(body=body, content_type=content_type, charset="utf-8")
    response.cache_control.max_age = 0
    return response


def includeme(config):
    from .oai import oai_view
    from .sru import sru_view
    config.add_route("oai", "/oai")
    config.add_route("sru", "/sru")
    config.add_view(oai_view, route_name="oai", request_method=("GET", "POST"),
                    require_csrf=False)
    config.add_view(sru_view, route_name="sru", request_method=("GET", "POST"),
                    require_csrf=False)

"""The JSON API ``/api/v1``: the entry point, content, search, the union catalogue
(records), tokens, the OpenAPI document.

JSON only.  Each representation carries ``@id`` (its absolute address) and
``@type``; each error is ``{"error": {"type", "message"}}`` with the right
status (see :mod:`portal.api.http` and :mod:`portal.views.errors`).  Apps sign
in with a bearer token and need no CSRF token; a browser signed in with the
session cookie sends ``X-CSRF-Token`` on POST, PATCH and DELETE.
"""
from pyramid.view import view_config

from repository.security import Permission

from .http import CONTENT_ROUTE, content_url
from .openapi import document

PREFIX = "/api/v1"


@view_config(route_name="api", request_method="GET", renderer="json")
def entry_point(request):
    """Where a client starts: the sites and the addresses of everything else."""
    root = request.root
    sites = [s for s in root.sites() if request.has_permission(str(Permission.VIEW), s)]
    return {
        "@id": request.route_url("api"),
        "@type": "EntryPoint",
        "title": root.title,
        "sites": [{"@id": content_url(request, s), "@type": s.type_name, "name": s.__name__,
                   "title": s.title, "code": s.code} for s in sites],
        "links": {
            "content": content_url(request, root),
            "search": request.route_url("api_search"),
            "records": request.route_url("api_records"),
            "tokens": request.route_url("api_tokens"),
            "me": request.route_url("api_me"),
            "openapi": request.route_url("api_openapi"),
        },
    }


@view_config(route_name="api_openapi", request_method="GET", renderer="json")
def openapi(request):
    """The OpenAPI 3.1 description of this API."""
    return document(request.application_url)


def includeme(config):
    config.add_route("api", PREFIX)
    config.add_route("api_openapi", PREFIX + "/openapi.json")
    config.add_route("api_search", PREFIX + "/search")
    config.add_route("api_records", PREFIX + "/records")
    config.add_route("api_record", PREFIX + "/records/{id}")
    config.add_route("api_tokens", PREFIX + "/tokens")
    config.add_route("api_token", PREFIX + "/tokens/{id}")
    config.add_route("api_me", PREFIX + "/me")
    config.add_route(CONTENT_ROUTE, PREFIX + "/content*traverse")
    config.include(".readers")           # /me/reader, /readers (readers' card data)
    config.include(".circulation")       # /loans, /holds, /digital-loans

"""Search one site's catalogue over JSON, or, without a site, the union catalogue.

With ``site`` the site's catalogue answers, only with objects the asking
principals may view (its ``allowed`` index), so a reader never sees a draft
in search results. Without ``site`` the union catalogue answers (both sites,
the commune libraries, published digital items and audiobooks: what every
reader may see), as ``/api/v1/records`` does, with its facets and filters;
``type`` then chooses digital items or audiobooks.
"""
from pyramid.i18n import TranslationStringFactory
from pyramid.view import view_config

from repository.interfaces import ICatalogSearch
from repository.resources import CONTENT_TYPES, Site
from repository.security import Permission
from repository.services import MAX_QUERY_LENGTH

from ..security import principals_for
from .http import ApiError, batch_params, batching, content_url, invalid, limit, query_url
from .representations import summary

_ = TranslationStringFactory("serepok")

SORTS = ("relevance", "title", "modified")
# ``type`` of the site search → ``format`` of the union catalogue
UNION_FORMATS = {"DigitalItem": "digital", "Audiobook": "audiobook"}


@view_config(route_name="api_search", request_method="GET", renderer="json")
def search(request):
    """``?site=bmt&q=...&type=DigitalItem&sort=relevance&b_start=0&b_size=25``."""
    limit(request, "search", key=f"ip:{request.client_addr or 'unknown'}")
    errors = {}
    site_name = request.GET.get("site", "").strip()
    site = request.root.get(site_name) if site_name else None
    if not site_name:
        return _union(request)
    if not isinstance(site, Site) or not request.has_permission(str(Permission.VIEW), site):
        errors["site"] = _("No site has this name.")
    q = request.GET.get("q", "").strip()
    if len(q) > MAX_QUERY_LENGTH:
        errors["q"] = _("At most ${n} characters.", mapping={"n": MAX_QUERY_LENGTH})
    type_name = request.GET.get("type", "").strip()
    if type_name and type_name not in CONTENT_TYPES:
        errors["type"] = _("Unknown content type: ${type}.", mapping={"type": type_name})
    sort = request.GET.get("sort", "").strip() or ("relevance" if q else "title")
    if sort not in SORTS:
        errors["sort"] = _("Sort by one of: ${names}.", mapping={"names": ", ".join(SORTS)})
    try:
        b_start, b_size = batch_params(request)
    except ApiError as exc:      # reported together with the other fields
        errors.update(exc.fields)
    if errors:
        raise invalid(errors)
    total, objects = request.find_service(ICatalogSearch).search(
        site, text=q or None, type_name=type_name or None,
        principals=principals_for(request, site), sort=sort, start=b_start, limit=b_size)
    return {
        "@id": query_url(request),
        "@type": "SearchResults",
        "site": content_url(request, site),
        "q": q,
        "sort": sort,
        "items_total": total,
        "items": [summary(request, o) for o in objects],
        "batching": batching(request, total, b_start, b_size),
    }


def _union(request):
    """No site: the union catalogue (see the module docstring)."""
    from webob.multidict import MultiDict

    from .records import union_search

    params, errors = MultiDict(request.GET), {}
    types = [t.strip() for t in params.getall("type") if t.strip()]
    if "type" in params:
        del params["type"]
    for type_name in types:
        if type_name in UNION_FORMATS:
            params.add("format", UNION_FORMATS[type_name])
        else:
            errors["type"] = _("Without a site, the type is DigitalItem or Audiobook (or "
                               "give a site).")
    return union_search(request, params, errors)

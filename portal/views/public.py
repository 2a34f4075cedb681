"""Public pages: the portal home, site homes, collections, items, audiobooks, news."""
import math

from pyramid.authorization import ACLHelper, Everyone
from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound
from pyramid.response import FileResponse
from pyramid.view import view_config

from repository.access import IAccessTokens, token_from_request
from repository.interfaces import ICatalogSearch
from repository.resources import (Audiobook, Collection, DigitalItem, NewsItem, Page, Root,
                                  Site, find_site)
from repository.security import Permission

from ..security import principals_for

PAGE_SIZE = 24
SORTS = ("title", "modified")


def listing(request, site, **query):
    """A page of catalogue results visible to this request, with paging info."""
    try:
        page = max(1, int(request.params.get("page", 1)))
    except ValueError:
        page = 1
    sort = request.params.get("sort", query.pop("sort", "title"))
    if sort not in SORTS + ("relevance",):
        sort = "title"
    search = request.find_service(ICatalogSearch)
    total, objects = search.search(site, principals=principals_for(request, site),
                                   sort=sort, start=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE,
                                   **query)
    return {"objects": objects, "total": total, "page": page, "sort": sort,
            "pages": max(1, math.ceil(total / PAGE_SIZE))}


@view_config(context=Root, renderer="home.jinja2", permission=Permission.VIEW)
def portal_home(context, request):
    sites = []
    for site in context.sites():
        news = listing(request, site, type_name="NewsItem", sort="modified")["objects"][:3]
        sites.append({"site": site, "news": news})
    return {"sites": sites}


@view_config(context=Site, renderer="site.jinja2", permission=Permission.VIEW)
def site_home(context, request):
    return {
        "collections": listing(request, context, type_name="Collection",
                               parent=context.path)["objects"],
        "news": listing(request, context, type_name="NewsItem", sort="modified")["objects"][:5],
        "pages": listing(request, context, type_name="Page", parent=context.path)["objects"],
    }


@view_config(context=Collection, renderer="collection.jinja2", permission=Permission.VIEW)
def collection_view(context, request):
    return listing(request, find_site(context), parent=context.path)


@view_config(context=Site, name="search", renderer="search.jinja2", permission=Permission.VIEW)
def site_search(context, request):
    q = request.params.get("q", "").strip()[:200]
    if not q:
        return {"q": q, "objects": [], "total": 0, "page": 1, "pages": 1, "sort": "relevance"}
    result = listing(request, context, text=q, sort="relevance")
    result["q"] = q
    return result


@view_config(context=DigitalItem, renderer="item.jinja2", permission=Permission.VIEW)
def item_view(context, request):
    return {"fields": [(f, getattr(context, f.name, None)) for f in context.schema
                       if f.name not in ("title", "description")]}


@view_config(context=Audiobook, renderer="audiobook.jinja2", permission=Permission.VIEW)
def audiobook_view(context, request):
    return item_view(context, request)


@view_config(context=NewsItem, renderer="page.jinja2", permission=Permission.VIEW)
@view_config(context=Page, renderer="page.jinja2", permission=Permission.VIEW)
def page_view(context, request):
    paragraphs = [p.strip() for p in (context.body or "").split("\n\n") if p.strip()]
    return {"paragraphs": paragraphs}


def may_open(item, request):
    """Open items to whoever may view them; restricted ones to staff or a token holder."""
    if getattr(item, "access", "open") != "restricted":
        return True
    tokens = request.registry.queryUtility(IAccessTokens)
    token = token_from_request(request)
    if token and tokens is not None and tokens.verify(
            token, item.uid, epoch=getattr(item, "access_epoch", 0)) is not None:
        return True
    return bool(request.has_permission(str(Permission.STAFF), item))


@view_config(context=Audiobook, name="track", permission=Permission.VIEW)
def track_stream(context, request):
    """One chapter's audio, with HTTP Range support (seek in the player).

    A restricted audiobook plays for staff of its site and for a reader holding
    a valid access token of a digital loan (``?access=`` or ``X-Serepok-Access``)."""
    if not request.subpath:
        raise HTTPNotFound()
    if not may_open(context, request):
        raise HTTPForbidden()
    track = context.track(request.subpath[0])
    if track is None:
        raise HTTPNotFound()
    response = FileResponse(track.blob.committed(), request=request,
                            content_type=track.mimetype)
    response.accept_ranges = "bytes"          # players (Safari above all) seek only when told
    response.cache_control.private = True
    response.cache_control.max_age = 3600
    return response


@view_config(context=DigitalItem, name="cover", permission=Permission.VIEW)
@view_config(context=Audiobook, name="cover", permission=Permission.VIEW)
def cover_image(context, request):
    if getattr(context, "cover", None) is None:
        raise HTTPNotFound()
    response = FileResponse(context.cover.committed(), request=request,
                            content_type=context.cover_type)
    # a shared cache (a proxy in front of the portal) may keep only what anyone may see
    if ACLHelper().permits(context, [Everyone], str(Permission.VIEW)):
        response.cache_control.public = True
    else:
        response.cache_control.private = True
    response.cache_control.max_age = 3600
    return response


@view_config(route_name="healthz", renderer="json")
def healthz(request):
    return {"status": "ok"}

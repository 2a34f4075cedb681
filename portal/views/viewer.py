"""The reader's viewer: a digitized item read in Mirador 4, served from our own files.

``{item}/read`` embeds Mirador (built into ``portal/static/build/`` by
``make assets``) with the item's IIIF manifest, in the reader's language:
thumbnails, zoom, paging, and the search panel on the item's Content Search
service (``?q=`` opens the viewer with a search already run, e.g. from a
full-text hit). The PDF link shows when the item allows download.

Restricted items (``access == "restricted"``) open for staff of the item's site
and for a reader whose digital loan gave an access token (``?access=``): the
IIIF server's own rule decides (``iiif.access.item_access``), and the token is
carried on inside the IIIF addresses
(``/iiif/manifest/{uid}~{token}``), whose answers carry it on to every image,
search and PDF address, so the viewer needs no header tricks. Without either,
the page says why, in the reader's language (403), and shows no viewer.
"""
import os

from pyramid.httpexceptions import HTTPForbidden
from pyramid.view import view_config

from iiif.access import item_access
from repository.pages import RESTRICTED, pages_of
from repository.resources import DigitalItem
from repository.security import Permission

BUNDLE = os.path.join(os.path.dirname(__file__), "..", "static", "build", "mirador",
                      "mirador.min.js")
QUERY_MAX = 200


def reader_grant(request, item):
    """The IIIF server's own answer to "may this request open the item's pages?"
    (``iiif.access``: open items for all who may view them; restricted ones for
    staff of the item's site and holders of a valid access token), or None."""
    try:
        return item_access(request, item.uid)
    except HTTPForbidden:
        return None


def iiif_urls(request, item, token):
    key = item.uid + ("~" + token if token else "")
    base = request.application_url + "/iiif"
    return {"manifest": f"{base}/manifest/{key}", "pdf": f"{base}/pdf/{key}"}


@view_config(context=DigitalItem, name="read", renderer="viewer.jinja2",
             permission=Permission.VIEW)
def read(context, request):
    pages = pages_of(context)
    grant = reader_grant(request, context)
    may_read, token = grant is not None, grant.token if grant is not None else ""
    urls = iiif_urls(request, context, token)
    # the same rule as the PDF address itself (iiif.views.pdf)
    can_download = bool(getattr(context, "pdf", None) is not None and may_read and (
        getattr(context, "allow_download", False) or token
        or request.has_permission(str(Permission.STAFF), context)))
    if not may_read:
        request.response.status = 403
    lang = "vi" if request.locale_name == "vi" else "en"
    query = request.params.get("q", "").strip()[:QUERY_MAX]
    window = {"manifestId": urls["manifest"], "thumbnailNavigationPosition": "far-bottom"}
    if query:
        window["defaultSearchQuery"] = query
    return {
        "pages": pages,
        "may_read": may_read,
        "restricted": getattr(context, "access", "open") == RESTRICTED,
        "bundle_ready": os.path.exists(BUNDLE),
        "manifest_url": urls["manifest"],
        "pdf_url": urls["pdf"] if can_download else None,
        "pdf_size": getattr(context, "pdf_size", 0),
        "viewer_config": {"language": lang, "windows": [window]},
    }

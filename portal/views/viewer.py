"""The reader's viewer: a digitized item read in Mirador 4, served from our own files.

``{item}/read`` embeds Mirador (built into ``portal/static/build/`` by
``make assets``) with the item's IIIF manifest, in the reader's language:
thumbnails, zoom, paging, and the search panel on the item's Content Search
service (``?q=`` opens the viewer with a search already run, e.g. from a
full-text hit). The PDF link shows when the item allows download.

Restricted items (``access == "restricted"``) open for staff of the item's site
and for a reader whose digital loan gave an access token (``?access=``): the
token is verified here and carried on inside the IIIF addresses
(``/iiif/manifest/{uid}~{token}``), whose answers carry it on to every image,
search and PDF address, so the viewer needs no header tricks. Without either,
the page says why in Vietnamese and English (403) and shows no viewer.
"""
import os

from pyramid.i18n import TranslationStringFactory
from pyramid.view import view_config

from repository.access import IAccessTokens, token_from_request
from repository.pages import RESTRICTED, pages_of
from repository.resources import DigitalItem
from repository.security import Permission

_ = TranslationStringFactory("serepok")

BUNDLE = os.path.join(os.path.dirname(__file__), "..", "static", "build", "mirador",
                      "mirador.min.js")
QUERY_MAX = 200


def valid_token(request, item):
    """The request's access token when it opens this item now, else ""."""
    token = token_from_request(request)
    if not token:
        return ""
    tokens = request.registry.queryUtility(IAccessTokens)
    if tokens is None or tokens.verify(token, item.uid,
                                       epoch=getattr(item, "access_epoch", 0)) is None:
        return ""
    return token


def reader_access(request, item):
    """(may read, token to carry): open items for all who may view them; restricted
    ones for staff of the item's site and holders of a valid access token."""
    if getattr(item, "access", "open") != RESTRICTED:
        return True, ""
    token = valid_token(request, item)
    if token:
        return True, token
    return bool(request.has_permission(str(Permission.STAFF), item)), ""


def iiif_urls(request, item, token):
    key = item.uid + ("~" + token if token else "")
    base = request.application_url + "/iiif"
    return {"manifest": f"{base}/manifest/{key}", "pdf": f"{base}/pdf/{key}"}


@view_config(context=DigitalItem, name="read", renderer="viewer.jinja2",
             permission=Permission.VIEW)
def read(context, request):
    pages = pages_of(context)
    may_read, token = reader_access(request, context)
    urls = iiif_urls(request, context, token)
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

"""IIIF Image API 3.0 views, the PDF download, and what every IIIF answer shares.

Every answer under ``/iiif/`` carries ``Access-Control-Allow-Origin: *`` (any
viewer anywhere may read it); preflight ``OPTIONS`` requests are answered.
Errors are short plain-text messages, Vietnamese first, with the status the
Image API names (400 malformed, 404 unknown, 501 not implemented).
"""
import hashlib
import json
import logging

import pyvips

from pyramid.events import NewResponse
from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound, HTTPSeeOther
from pyramid.response import FileResponse, Response
from pyramid.view import forbidden_view_config, notfound_view_config, view_config

from repository.pages import canvas_of
from repository.security import Permission

from .access import item_access
from .imageapi import CONTEXT as IMAGE_CONTEXT, ImageRequestError, PROFILE
from .interfaces import IImageServer

log = logging.getLogger(__name__)

PUBLIC_MAX_AGE = 24 * 3600
PRIVATE_MAX_AGE = 600

_STATUS_TEXT = {
    400: "Yêu cầu không hợp lệ / Bad request",
    403: "Tài liệu này bị hạn chế: cần quyền của cán bộ hoặc mã truy cập còn hạn / "
         "This item is restricted: staff rights or a valid access token are needed",
    404: "Không tìm thấy / Not found",
    416: "Khoảng byte không hợp lệ / Range not satisfiable",
    500: "Không đọc được ảnh của trang này; cán bộ cần tạo lại ảnh phái sinh / "
         "This page's image cannot be read; staff must rebuild its derivative",
    501: "Máy chủ chưa hỗ trợ yêu cầu này / Not implemented by this server",
}


def add_cors(event):
    request = event.request
    if request.path_info.startswith("/iiif/"):
        headers = event.response.headers
        headers["Access-Control-Allow-Origin"] = "*"
        headers["Access-Control-Expose-Headers"] = "ETag, Content-Range, Content-Length, Link"


def error(status, detail=""):
    text = _STATUS_TEXT.get(status, str(status))
    body = text + (f"\n{detail}" if detail else "") + "\n"
    response = Response(body, status=status, content_type="text/plain", charset="utf-8")
    response.cache_control.no_store = True
    return response


@notfound_view_config(path_info=r"^/iiif/")
def iiif_not_found(request):
    return error(404)


@forbidden_view_config(path_info=r"^/iiif/")
def iiif_forbidden(exc, request):
    return error(403)


@view_config(route_name="iiif.options", request_method="OPTIONS")
def preflight(request):
    response = Response(status=204)
    response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = (
        "X-Serepok-Access, Range, If-None-Match, Accept")
    response.headers["Access-Control-Max-Age"] = "86400"
    return response


def set_caching(request, response, grant, etag):
    """ETag and Cache-Control; a 304 when the client already holds this version."""
    response.etag = etag
    if grant.public:
        response.cache_control.public = True
        response.cache_control.max_age = PUBLIC_MAX_AGE
    else:
        response.cache_control.private = True
        response.cache_control.max_age = PRIVATE_MAX_AGE
        response.vary = ("Cookie", "Authorization", "X-Serepok-Access")
    if etag in request.if_none_match:
        response.status = 304
        response.body = b""
        response.headers.pop("Content-Type", None)
        return True
    return False


class _Private:
    public = False


def json_response(request, doc, grant, context):
    """A JSON(-LD) document; ``application/ld+json`` with its profile when asked for."""
    body = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if "application/ld+json" in request.headers.get("Accept", ""):
        content_type = f'application/ld+json;profile="{context}"'
    else:
        content_type = "application/json"
    response = Response(content_type=content_type)
    if grant.public and request.authenticated_userid is not None:
        # what a signed-in librarian sees (drafts listed, the PDF link) is not for shared caches
        grant = _Private()
    if not set_caching(request, response, grant, hashlib.sha256(body).hexdigest()[:32]):
        response.body = body
        response.headers["Content-Type"] = content_type    # keep the profile's quotes intact
    return response


def image_target(request, identifier):
    """(grant, canvas, derivative path) for ``{uid}~{canvas}[~{token}]``."""
    parts = identifier.split("~")
    if len(parts) not in (2, 3):
        raise HTTPNotFound()
    key = parts[0] + ("~" + parts[2] if len(parts) == 3 else "")
    grant = item_access(request, key)
    canvas = canvas_of(grant.item, parts[1])
    path = canvas.derivative_path() if canvas is not None else None
    if path is None:
        raise HTTPNotFound()
    return grant, canvas, path


def service_url(request, identifier):
    return request.route_url("iiif.image.base", identifier=identifier)


@view_config(route_name="iiif.image.base", request_method=("GET", "HEAD"))
def image_base(request):
    image_target(request, request.matchdict["identifier"])
    return HTTPSeeOther(location=request.route_url(
        "iiif.image.info", identifier=request.matchdict["identifier"]))


@view_config(route_name="iiif.image.info", request_method=("GET", "HEAD"))
def image_info(request):
    identifier = request.matchdict["identifier"]
    grant, _canvas, path = image_target(request, identifier)
    server = request.registry.getUtility(IImageServer)
    try:
        doc = server.info(service_url(request, identifier), path)
    except pyvips.Error:
        log.exception("unreadable IIIF derivative %s", path)
        return error(500)
    response = json_response(request, doc, grant, IMAGE_CONTEXT)
    response.headers["Link"] = f'<http://iiif.io/api/image/3/{PROFILE}.json>;rel="profile"'
    return response


@view_config(route_name="iiif.image", request_method=("GET", "HEAD"))
def image(request):
    md = request.matchdict
    identifier = md["identifier"]
    grant, _canvas, path = image_target(request, identifier)
    server = request.registry.getUtility(IImageServer)
    try:
        plan, etag, data = server.image(path, md["region"], md["size"], md["rotation"],
                                        md["quality_format"])
    except ImageRequestError as exc:
        return error(exc.status, exc.message)
    except pyvips.Error:
        log.exception("unreadable IIIF derivative %s", path)
        return error(500)
    response = Response(content_type=plan.media_type)
    canonical = (f"{service_url(request, identifier)}/{plan.x},{plan.y},{plan.w},{plan.h}/"
                 f"{plan.width},{plan.height}/{'!' if plan.mirror else ''}{plan.rotation}/"
                 f"{plan.quality}.{plan.format}")
    response.headers["Link"] = (f'<{canonical}>;rel="canonical", '
                                f'<http://iiif.io/api/image/3/{PROFILE}.json>;rel="profile"')
    if not set_caching(request, response, grant, etag):
        try:
            response.body = data()
        except pyvips.Error:
            log.exception("unreadable IIIF derivative %s", path)
            return error(500)
    return response


@view_config(route_name="iiif.pdf", request_method=("GET", "HEAD"))
def pdf(request):
    """The item's searchable PDF, with Range requests (readers seek in it)."""
    grant = item_access(request, request.matchdict["key"])
    item = grant.item
    if getattr(item, "pdf", None) is None:
        raise HTTPNotFound()
    if not (getattr(item, "allow_download", False) or grant.token
            or request.has_permission(str(Permission.STAFF), item)):
        raise HTTPForbidden()
    response = FileResponse(item.pdf.committed(), request=request,
                            content_type="application/pdf")
    response.accept_ranges = "bytes"
    response.etag = getattr(item, "pdf_sha256", None) or None
    response.content_disposition = f'inline; filename="{item.__name__}.pdf"'
    if grant.public:
        response.cache_control.public = True
        response.cache_control.max_age = 3600
    else:
        response.cache_control.private = True
        response.cache_control.max_age = 600
    return response


def includeme(config):
    config.add_route("iiif.options", "/iiif/*rest", request_method="OPTIONS")
    config.add_route("iiif.image.base", "/iiif/3/{identifier}")
    config.add_route("iiif.image.info", "/iiif/3/{identifier}/info.json")
    config.add_route("iiif.image", "/iiif/3/{identifier}/{region}/{size}/{rotation}/"
                                   "{quality_format}")
    config.add_route("iiif.pdf", "/iiif/pdf/{key}")
    config.add_subscriber(add_cors, NewResponse)

"""IIIF Presentation API 3.0: a manifest per digital item, collections per
Collection and per Site, built and validated with iiif-prezi3.

Every document is assembled as plain data and passed through the iiif-prezi3
models (``Manifest``, ``Collection``), which validate it against the
Presentation 3.0 schema before it is served: a document the library would
reject never leaves the server.

Labels and field names are given in Vietnamese and English; values written
by librarians (titles, names) are given as they were written.  A manifest
opened with an access token (restricted items) carries the token on into the
image service, search and PDF addresses, because viewers cannot add headers.
"""
import re

from iiif_prezi3 import Collection as PreziCollection, Manifest as PreziManifest
from pyramid.httpexceptions import HTTPNotFound
from pyramid.i18n import TranslationStringFactory, make_localizer
from pyramid.interfaces import ITranslationDirectories
from pyramid.view import view_config

from repository.pages import RESTRICTED, pages_of
from repository.resources import Collection, DigitalItem, Site
from repository.security import Permission

from .access import find_object, item_access
from .imageapi import PROFILE
from .views import json_response

_ = TranslationStringFactory("serepok")

CONTEXT = "http://iiif.io/api/presentation/3/context.json"
SEARCH_CONTEXT = "http://iiif.io/api/search/2/context.json"
LANGUAGES = ("vi", "en")
THUMBNAIL_WIDTH = 200
#: The only URIs the Presentation API allows in ``rights``.
_RIGHTS_URI = re.compile(r"^https?://(rightsstatements\.org|creativecommons\.org)/\S+$")
METADATA_FIELDS = ("creators", "publisher", "place", "year", "language", "subjects", "isbn",
                   "ddc", "call_number", "extent", "series", "coverage")

_LIBRARY = {"vi": "Thư viện tỉnh Đắk Lắk", "en": "Đắk Lắk Provincial Library"}


def localizers(registry):
    cached = getattr(registry, "_iiif_localizers", None)
    if cached is None:
        directories = registry.queryUtility(ITranslationDirectories, default=[])
        cached = {lang: make_localizer(lang, directories) for lang in LANGUAGES}
        registry._iiif_localizers = cached
    return cached


def both(request, message):
    """A IIIF language map of a translation string in Vietnamese and English."""
    return {lang: [loc.translate(message)] for lang, loc in localizers(request.registry).items()}


def text_map(value):
    """A value written by a librarian: the same text for both languages."""
    return {lang: [str(value)] for lang in LANGUAGES}


def image_service(service_id):
    return {"id": service_id, "type": "ImageService3", "profile": PROFILE}


def thumbnail(service_id, width, height):
    w = min(THUMBNAIL_WIDTH, width)
    return {"id": f"{service_id}/full/{w},/0/default.jpg", "type": "Image",
            "format": "image/jpeg", "width": w, "height": max(1, round(height * w / width)),
            "service": [image_service(service_id)]}


def see_also(request, item):
    """The item's record in the union catalogue: the page, Dublin Core and MARC 21."""
    try:
        from federation.services import IUnionCatalogue
        from federation.sources import repository_key
        from federation.providers.oai import repository_identifier
        union_id = request.find_service(IUnionCatalogue).union_id_of(repository_key(item.uid))
    except Exception:         # no union catalogue in this deployment, or not indexed yet
        return []
    if not union_id:
        return []
    oai_id = f"oai:{repository_identifier(request.registry.settings)}:{union_id}"
    oai = request.route_url("oai", _query={"verb": "GetRecord", "identifier": oai_id,
                                           "metadataPrefix": "oai_dc"})
    marc = request.route_url("oai", _query={"verb": "GetRecord", "identifier": oai_id,
                                            "metadataPrefix": "marc21"})
    return [
        {"id": request.route_url("catalogue_record", id=union_id), "type": "Text",
         "format": "text/html", "label": both(request, _("Catalogue record"))},
        {"id": oai, "type": "Dataset", "format": "application/xml",
         "profile": "http://www.openarchives.org/OAI/2.0/oai_dc/",
         "label": both(request, _("Dublin Core record"))},
        {"id": marc, "type": "Dataset", "format": "application/xml",
         "profile": "http://www.loc.gov/MARC21/slim",
         "label": both(request, _("MARC 21 record"))},
    ]


def _metadata(request, item):
    out = []
    for field in item.schema:
        if field.name not in METADATA_FIELDS:
            continue
        value = getattr(item, field.name, None)
        values = [str(v) for v in value] if isinstance(value, (list, tuple)) else (
            [str(value)] if value not in (None, "") else [])
        if values:
            out.append({"label": both(request, field.title),
                        "value": {lang: values for lang in LANGUAGES}})
    return out


def manifest_document(request, grant):
    """The Presentation 3.0 manifest (dict) of ``grant.item``, validated by iiif-prezi3."""
    item = grant.item
    key = item.uid + (f"~{grant.token}" if grant.token else "")
    manifest_id = request.route_url("iiif.manifest", key=key)
    canvases = []
    for canvas in pages_of(item):
        if canvas.derivative is None:
            continue          # not yet servable: the digitization job is still running
        service_id = request.route_url("iiif.image.base", identifier=(
            f"{item.uid}~{canvas.id}" + (f"~{grant.token}" if grant.token else "")))
        canvas_id = request.route_url("iiif.canvas", key=item.uid, canvas=canvas.id)
        label = canvas.label or str(len(canvases) + 1)
        canvases.append({
            "id": canvas_id, "type": "Canvas",
            "label": {"vi": [f"Trang {label}"], "en": [f"Page {label}"]},
            "width": canvas.width, "height": canvas.height,
            "thumbnail": [thumbnail(service_id, canvas.width, canvas.height)],
            "items": [{
                "id": f"{canvas_id}/page", "type": "AnnotationPage",
                "items": [{
                    "id": f"{canvas_id}/image", "type": "Annotation",
                    "motivation": "painting", "target": canvas_id,
                    "body": {"id": f"{service_id}/full/max/0/default.jpg", "type": "Image",
                             "format": "image/jpeg", "width": canvas.width,
                             "height": canvas.height, "service": [image_service(service_id)]},
                }],
            }],
        })
    doc = {
        "id": manifest_id, "type": "Manifest",
        "label": text_map(item.title or item.__name__),
        "metadata": _metadata(request, item),
        "homepage": [{"id": request.resource_url(item), "type": "Text", "format": "text/html",
                      "label": text_map(item.title or item.__name__)}],
        "requiredStatement": {"label": both(request, _("Provided by")),
                              "value": {lang: [_LIBRARY[lang]] for lang in LANGUAGES}},
        "service": [{
            "id": request.route_url("iiif.search", key=key), "type": "SearchService2",
            "service": [{"id": request.route_url("iiif.autocomplete", key=key),
                         "type": "AutoCompleteService2"}],
        }, {
            # the same search in Content Search 1.0: what Mirador 4 understands
            "id": request.route_url("iiif.search1", key=key), "type": "SearchService1",
            "profile": "http://iiif.io/api/search/1/search",
            "service": [{"id": request.route_url("iiif.autocomplete1", key=key),
                         "type": "AutoCompleteService1",
                         "profile": "http://iiif.io/api/search/1/autocomplete"}],
        }],
        "items": canvases,
    }
    if item.description:
        doc["summary"] = text_map(item.description)
    rights = (getattr(item, "rights", "") or "").strip()
    if _RIGHTS_URI.match(rights):
        doc["rights"] = rights
    elif rights:
        doc["metadata"].append({"label": both(request, _("Rights")), "value": text_map(rights)})
    if canvases:
        doc["thumbnail"] = canvases[0]["thumbnail"]
    if getattr(item, "pdf", None) is not None and (
            getattr(item, "allow_download", False) or grant.token
            or request.has_permission(str(Permission.STAFF), item)):
        doc["rendering"] = [{"id": request.route_url("iiif.pdf", key=key), "type": "Text",
                             "format": "application/pdf",
                             "label": both(request, _("Download the PDF"))}]
    links = see_also(request, item)
    if links:
        doc["seeAlso"] = links
    return json_roundtrip(PreziManifest, doc)


def json_roundtrip(model, doc):
    """Validate ``doc`` with an iiif-prezi3 model and return what that model writes."""
    import json
    return json.loads(model(**doc).jsonld())


def _listing(request, container):
    """Manifest and collection references of what this request may see in ``container``."""
    refs = []
    for child in container.values():
        if not request.has_permission(str(Permission.VIEW), child):
            continue
        label = text_map(child.title or child.__name__)
        if isinstance(child, Collection):
            refs.append({"id": request.route_url("iiif.collection", uid=child.uid),
                         "type": "Collection", "label": label})
        elif isinstance(child, DigitalItem) and any(
                c.derivative is not None for c in pages_of(child)) and (
                getattr(child, "access", "open") != RESTRICTED
                or request.has_permission(str(Permission.STAFF), child)):
            # a restricted item opens with a loan's token: not listed for everyone
            refs.append({"id": request.route_url("iiif.manifest", key=child.uid),
                         "type": "Manifest", "label": label})
    return refs


def collection_document(request, container, collection_id):
    doc = {
        "id": collection_id, "type": "Collection",
        "label": text_map(container.title or container.__name__),
        "homepage": [{"id": request.resource_url(container), "type": "Text",
                      "format": "text/html", "label": text_map(container.title or "")}],
        "requiredStatement": {"label": both(request, _("Provided by")),
                              "value": {lang: [_LIBRARY[lang]] for lang in LANGUAGES}},
        "items": _listing(request, container),
    }
    if getattr(container, "description", ""):
        doc["summary"] = text_map(container.description)
    return json_roundtrip(PreziCollection, doc)


@view_config(route_name="iiif.manifest", request_method=("GET", "HEAD"))
def manifest_view(request):
    grant = item_access(request, request.matchdict["key"])
    return json_response(request, manifest_document(request, grant), grant, CONTEXT)


class _Open:
    """Grant-like for collections: public when everyone may view them."""

    def __init__(self, public):
        self.public = public


def _collection_response(request, container, collection_id):
    from .access import is_viewable_by_everyone
    doc = collection_document(request, container, collection_id)
    return json_response(request, doc, _Open(is_viewable_by_everyone(container)), CONTEXT)


@view_config(route_name="iiif.collection", request_method=("GET", "HEAD"))
def collection_view(request):
    collection = find_object(request.root, request.matchdict["uid"])
    if not isinstance(collection, Collection) or not request.has_permission(
            str(Permission.VIEW), collection):
        raise HTTPNotFound()
    return _collection_response(request, collection, request.url.split("?")[0])


@view_config(route_name="iiif.site_collection", request_method=("GET", "HEAD"))
def site_collection_view(request):
    site = request.root.get(request.matchdict["name"])
    if not isinstance(site, Site) or not request.has_permission(str(Permission.VIEW), site):
        raise HTTPNotFound()
    return _collection_response(request, site, request.url.split("?")[0])


@view_config(route_name="iiif.canvas", request_method=("GET", "HEAD"))
def canvas_view(request):
    """A canvas id dereferences to its manifest (viewers then find the canvas in it)."""
    from pyramid.httpexceptions import HTTPSeeOther
    grant = item_access(request, request.matchdict["key"])
    return HTTPSeeOther(location=request.route_url("iiif.manifest", key=grant.item.uid))


def includeme(config):
    config.add_route("iiif.manifest", "/iiif/manifest/{key}")
    config.add_route("iiif.canvas", "/iiif/manifest/{key}/canvas/{canvas}")
    config.add_route("iiif.site_collection", "/iiif/collection/site/{name}")
    config.add_route("iiif.collection", "/iiif/collection/{uid}")

"""Staff screens of the union catalogue.

- ``/catalogue/import``: a librarian uploads a MARC 21 file (ISO 2709 or
  MARCXML) for a site they work at; it is imported in the request's
  transaction and the import report is shown. The union catalogue and its
  index follow after the commit (``federation.subscribers``).
- ``/record/{id}/split`` (POST): take one source record out of a union record
  that merged things that are not the same book. The record page lists the
  source records with a button for each, for staff only.

Staff of a site (``Permission.STAFF`` there) may import for that site;
managers hold it everywhere. Forms carry the session's CSRF token.
"""
import logging

from pyramid.events import BeforeRender
from pyramid.httpexceptions import HTTPForbidden, HTTPSeeOther
from pyramid.i18n import TranslationStringFactory
from pyramid.view import view_config

from federation.services import IUnionCatalogue, SplitError
from ils.catalogue.importer import LIBRARY_CODE
from ils.catalogue.report import NotMarcError
from ils.catalogue.services import ICatalogueService
from repository.security import Permission
from repository.uploads import UploadError, megabytes, read_limited

from ..i18n import translate
from .catalogue import is_staff
from .errors import render_error

_ = TranslationStringFactory("serepok")
log = logging.getLogger(__name__)

MB = 1 << 20
DEFAULT_MAX_MARC_BYTES = 200 * MB
# seconds an upload waits for the union catalogue to take a large file in
UNION_WAIT = 60
ENCODINGS = (
    ("", _("Automatic (from the record leader)")),
    ("utf-8", "UTF-8"),
    ("marc-8", "MARC-8"),
    ("tcvn3", "TCVN3 (ABC)"),
    ("vni", "VNI"),
    ("cp1258", "Windows-1258"),
)


def max_marc_bytes(request):
    return int(request.registry.settings.get("serepok.upload.max_marc_bytes",
                                             DEFAULT_MAX_MARC_BYTES))


def staff_sites(request):
    """The sites the user may import for: those where they are staff."""
    if request.identity is None:
        return []
    return [site for site in request.root.sites()
            if request.has_permission(str(Permission.STAFF), site)]


class ImportRefused(ValueError):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def read_marc_upload(field, limit):
    """The bytes of an uploaded file within ``limit`` (see repository.uploads)."""
    try:
        return read_limited(field, limit)
    except UploadError as exc:
        raise ImportRefused(exc.message)


def check_source(request, source, site, sites):
    """A source name other than the site's own must be a code, and not the code
    of another site: records are identified by their source, so importing under
    a site one does not work at would change that site's records."""
    if not source or source == site:
        return None
    if not LIBRARY_CODE.match(source):
        raise ImportRefused(_("A source name has lowercase letters without diacritics, "
                              "digits, dots and hyphens only, e.g. koha-2024."))
    other_sites = {s.__name__ for s in request.root.sites()} - {s.__name__ for s in sites}
    if source in other_sites:
        raise ImportRefused(_("${source} is another site's catalogue; you do not work there.",
                              mapping={"source": source}))
    return source


def said(request, reason):
    """An importer's ``Reason`` in the user's language (it carries both texts)."""
    return reason.en if request.locale_name == "en" else reason.vi


def rejection_rows(request, report):
    """(record number, place in the file, 001, reason) of each rejected record."""
    rows = []
    for r in report.rejected:
        if r.offset is not None:
            place = translate(request, _("byte ${n}", mapping={"n": r.offset}))
        elif r.line is not None:
            place = translate(request, _("line ${n}", mapping={"n": r.line}))
        else:
            place = ""
        rows.append((r.number, place, r.control_number or "", said(request, r.reason)))
    return rows


def commit_and_count_merged(request, report, wait=UNION_WAIT):
    """Commit the import now and wait (up to ``wait`` seconds) for the union
    catalogue to take it in (``federation.subscribers``: at once for a small
    file, on a background thread for a large one), so that the report can
    say how many of the file's records share their union record with
    another source record (``IUnionCatalogue.merged_among``); None when the
    union catalogue has not taken them in yet. The records are stored
    whatever happens after this; a failed commit stores nothing and is
    refused (``ImportRefused``). For the MARC import and the commune
    libraries' book lists."""
    from federation.members import ils_key
    from federation.subscribers import pending_for

    batch = pending_for(request.tm).batch
    try:
        request.tm.commit()
    except Exception:
        log.exception("committing an import (MARC file or book list) failed")
        request.tm.abort()
        request.tm.begin()
        raise ImportRefused(_("The import could not be saved; nothing was stored. "
                              "Please try again."))
    request.tm.begin()
    pipeline = request.registry.get("federation.union_pipeline")
    if pipeline is None:
        return None
    pipeline.wait(wait)
    return request.find_service(IUnionCatalogue).merged_among(
        [ils_key(i) for i in report.changed_ids + report.unchanged_ids], batch)


@view_config(route_name="catalogue_import", renderer="catalogue_import.jinja2")
def import_view(request):
    sites = staff_sites(request)
    if not sites:
        raise HTTPForbidden()
    codes = [s.__name__ for s in sites]
    params = request.POST if request.method == "POST" else request.GET
    result = {
        "sites": sites, "encodings": ENCODINGS, "report": None, "error": None,
        "chosen": params.get("site", codes[0] if len(codes) == 1 else ""),
        "source": params.get("source", "").strip()[:80],
        "encoding": params.get("encoding", ""),
        "max_mb": megabytes(max_marc_bytes(request)),
        "rejections": [], "item_problems": [], "stopped": None,
    }
    if request.method != "POST":
        return result
    site = result["chosen"]
    try:
        if site not in codes:
            raise ImportRefused(_("Choose a site you work at."))
        if result["encoding"] not in dict(ENCODINGS):
            raise ImportRefused(_("Choose an encoding from the list."))
        source = check_source(request, result["source"], site, sites)
        upload = request.POST.get("file")
        data = read_marc_upload(upload, max_marc_bytes(request))
        report = request.find_service(ICatalogueService).import_marc(
            data, site, source=source, name=getattr(upload, "filename", "") or "",
            encoding=result["encoding"] or None)
        report.merged = commit_and_count_merged(request, report)
    except ImportRefused as exc:
        result["error"] = exc.message
    except NotMarcError as exc:
        result["error"] = said(request, exc.reason)
    else:
        result["report"] = report
        result["rejections"] = rejection_rows(request, report)
        result["item_problems"] = [(p.number, p.tag, p.barcode, said(request, p.reason))
                                   for p in report.item_problems]
        result["stopped"] = said(request, report.stopped) if report.stopped else None
        return result
    # a 4xx response: the commit veto aborts the transaction, nothing is stored
    request.response.status = 400
    return result


# --- split a wrong merge -------------------------------------------------------------

@view_config(route_name="catalogue_split", request_method="POST")
def split_view(request):
    if not is_staff(request):
        raise HTTPForbidden()
    union_id = request.matchdict["id"]
    member = request.POST.get("member", "")
    union = request.find_service(IUnionCatalogue)
    try:
        new_id = union.split(union_id, member, actor=str(request.identity.id))
    except SplitError as exc:
        return render_error(request, 400, _("Cannot split"), exc.message)
    request.session.flash({"kind": "info", "text": translate(
        request, _("Split off: this source record is a record of its own now."))})
    return HTTPSeeOther(location=request.route_url("catalogue_record", id=new_id))


def add_members(event):
    """Give the record page the union record's source records, for staff."""
    value = event.rendering_val
    if event.get("renderer_name") != "catalogue_record.jinja2" or not isinstance(value, dict):
        return
    request, record = event.get("request"), value.get("record")
    if request is None or record is None or not value.get("staff"):
        return
    event["members"] = request.find_service(IUnionCatalogue).members(record.id)


def includeme(config):
    config.add_route("catalogue_import", "/catalogue/import")
    config.add_route("catalogue_split", "/record/{id}/split")
    config.add_subscriber(add_members, BeforeRender)

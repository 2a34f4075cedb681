"""Staff screens for the sources of the union catalogue other than MARC files.

- ``/sources``: the hub;
- ``/sources/libraries``: the directory of commune and ward libraries (list,
  add, edit);
- ``/sources/upload``: a commune library's holdings from a CSV or XLSX file,
  with the template files and the import report;
- ``/sources/oai``: OAI-PMH sources (list with the last run, add, edit, and
  "harvest now", which runs in the background once the request commits).

Managers and site administrators (``MANAGE_SITE`` on the root or on a site)
may use them; forms carry the session's CSRF token.
"""
from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound, HTTPSeeOther
from pyramid.i18n import TranslationStringFactory
from pyramid.response import Response
from pyramid.view import view_config
from sqlalchemy import func, select

from ils.catalogue.models import Item, ItemStatus
from ils.harvest.jobs import start_in_background
from ils.harvest.models import METADATA_PREFIXES
from ils.harvest.services import IOaiSources
from ils.libraries.models import DEFAULT_PROVINCE, PROVINCES
from ils.libraries.services import ILibraryDirectory
from ils.spreadsheet.importer import SpreadsheetImporter
from ils.spreadsheet.reader import SheetError
from ils.spreadsheet.template import COLUMNS, template_csv, template_xlsx
from repository.security import Permission

from ..i18n import translate
from .catalogue_staff import ImportRefused, commit_and_count_merged

_ = TranslationStringFactory("serepok")

MB = 1 << 20
TEMPLATE_NAME = "mau-danh-muc-sach"
TEMPLATE_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
UNIT_TITLES = {"xa": _("Commune (xã)"), "phuong": _("Ward (phường)"),
               "dac-khu": _("Special zone (đặc khu)")}
STATUS_TITLES = {"never": _("Never harvested"), "running": _("Harvesting…"),
                 "ok": _("Complete"), "warnings": _("Complete, some records unreadable"),
                 "error": _("Stopped with an error")}


def can_manage_sources(request):
    """Managers, and administrators of any site."""
    if request.identity is None:
        return False
    root = request.root
    permission = str(Permission.MANAGE_SITE)
    return bool(request.has_permission(permission, root)) or any(
        request.has_permission(permission, site) for site in root.sites())


def allowed(request):
    if not can_manage_sources(request):
        raise HTTPForbidden()


def flash(request, message, kind="info"):
    request.session.flash({"kind": kind, "text": translate(request, message)})


def said(request, reason):
    """A report's Reason in the reader's language."""
    return reason.vi if request.locale_name == "vi" else reason.en


def max_sheet_bytes(request):
    return int(request.registry.settings.get("serepok.upload.max_sheet_bytes", 20 * MB))


# --- the hub ----------------------------------------------------------------------

@view_config(route_name="sources", renderer="sources_index.jinja2")
def sources_index(request):
    allowed(request)
    return {"libraries": len(request.find_service(ILibraryDirectory).all()),
            "oai_sources": len(request.find_service(IOaiSources).all())}


# --- the library directory --------------------------------------------------------

@view_config(route_name="sources_libraries", renderer="sources_libraries.jinja2")
def libraries_list(request):
    allowed(request)
    libraries = request.find_service(ILibraryDirectory).all()
    held = dict(request.dbsession.execute(
        select(Item.library, func.count()).where(Item.status != ItemStatus.WITHDRAWN)
        .group_by(Item.library)).all())
    return {"libraries": libraries, "held": held, "unit_titles": UNIT_TITLES}


def _library_form(request, library, values, errors):
    return {"library": library, "values": values, "errors": errors,
            "unit_titles": UNIT_TITLES, "provinces": PROVINCES}


@view_config(route_name="sources_library_add", renderer="sources_library_form.jinja2")
def library_add(request):
    allowed(request)
    values, errors = {"province": DEFAULT_PROVINCE, "unit_type": "xa", "active": "on"}, {}
    if request.method == "POST":
        values = dict(request.POST)
        reserved = [site.__name__ for site in request.root.sites()]
        library, errors = request.find_service(ILibraryDirectory).add(values, reserved)
        if not errors:
            flash(request, _("Library ${name} added with the code ${code}.",
                             mapping={"name": library.name, "code": library.code}))
            return HTTPSeeOther(location=request.route_url("sources_libraries"))
        request.response.status = 400
    return _library_form(request, None, values, errors)


@view_config(route_name="sources_library_edit", renderer="sources_library_form.jinja2")
def library_edit(request):
    allowed(request)
    directory = request.find_service(ILibraryDirectory)
    library = directory.get(request.matchdict["code"])
    if library is None:
        raise HTTPNotFound()
    values = {name: getattr(library, name) for name in (
        "name", "unit_type", "unit_name", "province", "address", "contact_name", "phone",
        "email", "opening_hours")}
    values["active"] = "on" if library.active else ""
    errors = {}
    if request.method == "POST":
        values = dict(request.POST)
        errors = directory.edit(library, values)
        if not errors:
            flash(request, _("Saved."))
            return HTTPSeeOther(location=request.route_url("sources_libraries"))
        request.response.status = 400
    return _library_form(request, library, values, errors)


# --- spreadsheets of holdings -------------------------------------------------------

@view_config(route_name="sources_template", request_method="GET")
def template_download(request):
    allowed(request)
    fmt = request.matchdict["fmt"]
    if fmt not in TEMPLATE_TYPES:
        raise HTTPNotFound()
    body = template_csv() if fmt == "csv" else template_xlsx()
    response = Response(body=body, content_type=TEMPLATE_TYPES[fmt].split(";")[0])
    if fmt == "csv":
        response.charset = "utf-8"
    response.content_disposition = f'attachment; filename="{TEMPLATE_NAME}.{fmt}"'
    return response


@view_config(route_name="sources_upload", renderer="sources_upload.jinja2")
def upload(request):
    allowed(request)
    libraries = request.find_service(ILibraryDirectory).all(active_only=True)
    result = {"libraries": libraries, "columns": COLUMNS, "report": None, "error": None,
              "problems": [], "chosen": request.params.get("library", ""),
              "max_mb": max_sheet_bytes(request) // MB}
    if request.method != "POST":
        return result
    codes = {library.code for library in libraries}
    upload = request.POST.get("file")
    if result["chosen"] not in codes:
        result["error"] = _("Choose the library whose books these are.")
    elif not hasattr(upload, "file"):
        result["error"] = _("Choose a CSV or XLSX file.")
    else:
        data = upload.file.read(max_sheet_bytes(request) + 1)
        if len(data) > max_sheet_bytes(request):
            result["error"] = _("The file is larger than ${n} MB.",
                                mapping={"n": result["max_mb"]})
        elif not data:
            result["error"] = _("The file is empty.")
        else:
            importer = SpreadsheetImporter(request.dbsession, result["chosen"])
            try:
                report = importer.run(data, upload.filename or "")
            except SheetError as exc:
                result["error"] = said(request, exc.reason)
            else:
                try:
                    report.merged = commit_and_count_merged(request, report)
                except ImportRefused as exc:
                    result["error"] = exc.message
                else:
                    result["report"] = report
                    result["problems"] = [(p.row, said(request, p.reason))
                                          for p in report.problems]
                    result["stopped"] = (said(request, report.stopped) if report.stopped
                                         else None)
                    return result
    request.response.status = 400
    return result


# --- OAI-PMH sources ------------------------------------------------------------------

@view_config(route_name="sources_oai", renderer="sources_oai.jinja2")
def oai_list(request):
    allowed(request)
    service = request.find_service(IOaiSources)
    return {"sources": service.all(), "counts": service.counts(),
            "status_titles": STATUS_TITLES}


def _source_form(source, values, errors):
    return {"source": source, "values": values, "errors": errors,
            "prefixes": METADATA_PREFIXES}


@view_config(route_name="sources_oai_add", renderer="sources_oai_form.jinja2")
def oai_add(request):
    allowed(request)
    values, errors = {"metadata_prefix": "oai_dc", "interval_hours": "24", "active": "on"}, {}
    if request.method == "POST":
        values = dict(request.POST)
        source, errors = request.find_service(IOaiSources).add(values)
        if not errors:
            flash(request, _("Source ${name} added. Use “Harvest now” or wait for the "
                             "schedule.", mapping={"name": source.title}))
            return HTTPSeeOther(location=request.route_url("sources_oai"))
        request.response.status = 400
    return _source_form(None, values, errors)


@view_config(route_name="sources_oai_edit", renderer="sources_oai_form.jinja2")
def oai_edit(request):
    allowed(request)
    service = request.find_service(IOaiSources)
    source = service.get(request.matchdict["id"])
    if source is None:
        raise HTTPNotFound()
    values = {name: getattr(source, name) for name in (
        "title", "base_url", "metadata_prefix", "set_spec", "interval_hours")}
    values["active"] = "on" if source.active else ""
    errors = {}
    if request.method == "POST":
        values = dict(request.POST)
        errors = service.edit(source, values)
        if not errors:
            flash(request, _("Saved."))
            return HTTPSeeOther(location=request.route_url("sources_oai"))
        request.response.status = 400
    return _source_form(source, values, errors)


@view_config(route_name="sources_oai_harvest", request_method="POST")
def oai_harvest_now(request):
    allowed(request)
    source = request.find_service(IOaiSources).get(request.matchdict["id"])
    if source is None:
        raise HTTPNotFound()
    if source.running_since is not None:
        flash(request, _("${name} is being harvested already.", mapping={"name": source.title}))
    else:
        registry, source_id = request.registry, source.id

        def start(success):
            if success:
                start_in_background(registry, source_id)

        request.tm.get().addAfterCommitHook(start)
        flash(request, _("Harvesting ${name} has started; reload this page to see how it "
                         "went.", mapping={"name": source.title}))
    return HTTPSeeOther(location=request.route_url("sources_oai"))


def includeme(config):
    config.include("ils.libraries")
    config.include("ils.harvest")
    config.add_route("sources", "/sources")
    config.add_route("sources_libraries", "/sources/libraries")
    config.add_route("sources_library_add", "/sources/libraries/add")
    config.add_route("sources_library_edit", "/sources/libraries/{code}/edit")
    config.add_route("sources_upload", "/sources/upload")
    config.add_route("sources_template", "/sources/upload/template.{fmt}")
    config.add_route("sources_oai", "/sources/oai")
    config.add_route("sources_oai_add", "/sources/oai/add")
    config.add_route("sources_oai_edit", "/sources/oai/{id}/edit")
    config.add_route("sources_oai_harvest", "/sources/oai/{id}/harvest")

"""The digitization line on a digital item: upload scans, follow the job, retry,
review the suggested metadata. Only staff who may edit the item (librarians of
its site, its site's administrators, managers) reach these views."""
import os

from pyramid.httpexceptions import HTTPConflict, HTTPSeeOther
from pyramid.i18n import TranslationStringFactory
from pyramid.view import view_config

from ils.jobs import FAILED, enqueue, latest_job
from repository.digitization import staging
from repository.digitization.metadata import FIELDS
from repository.interfaces import IContentService
from repository.pages import pages_of
from repository.resources import DigitalItem, find_site
from repository.security import Permission
from repository.uploads import UploadError, megabytes

from ..i18n import translate
from ..ratelimit import IRateLimiter
from .staff import flash

_ = TranslationStringFactory("serepok")
KIND = "digitize"


def _job(request, item):
    return latest_job(request.dbsession, item.uid, KIND)


def _job_view(request, job):
    if job is None:
        return None
    data = job.to_dict(request.locale_name)
    data["can_retry"] = job.status == FAILED and upload_kept(request, job)
    return data


def upload_kept(request, job):
    """True while the upload a digitization job works on is still staged (it can be retried)."""
    try:
        return os.path.isdir(staging.batch_dir(request.registry.settings, job.target,
                                               job.params.get("batch", "")))
    except ValueError:
        return False


def _page(request, context, error=None):
    job = _job(request, context)
    return {"job": _job_view(request, job), "error": error,
            "pages": len(pages_of(context)),
            "has_pdf": getattr(context, "pdf", None) is not None,
            "suggestion": getattr(context, "metadata_suggestion", None),
            "max_mb": megabytes(staging.max_upload_bytes(request.registry.settings)),
            "accepted_types": ", ".join(("PDF", "TIFF", "JPEG", "PNG"))}


@view_config(context=DigitalItem, name="digitize", renderer="digitize.jinja2",
             permission=Permission.EDIT)
def digitize(context, request):
    """The item's digitization page: upload form, job progress, result."""
    if request.method != "POST":
        return _page(request, context)
    job = _job(request, context)
    if job is not None and job.active:
        request.response.status = 409
        return _page(request, context, _("A job is already working on this item; wait until "
                                         "it has finished."))
    limit = staging.max_upload_bytes(request.registry.settings)
    if (request.content_length or 0) > limit + (1 << 20):     # refuse before reading anything
        request.response.status = 413
        return _page(request, context, _("The upload is larger than the limit of ${mb} MB.",
                                         mapping={"mb": megabytes(limit)}))
    limiter = request.find_service(IRateLimiter)
    if not limiter.hit("digitize", str(request.authenticated_userid)):
        request.response.status = 429
        return _page(request, context, _("Too many uploads in a short time; try again later."))
    try:
        batch, names = staging.receive(request.registry.settings, context.uid,
                                       request.POST.getall("files"))
    except UploadError as exc:
        request.response.status = 400
        return _page(request, context, exc.message)
    site = find_site(context)
    enqueue(request, KIND, target=context.uid, site=site.__name__ if site else "",
            params={"batch": batch, "files": names}, max_attempts=3)
    flash(request, _("${n} file(s) received. Digitization has started; this page shows its "
                     "progress.", mapping={"n": len(names)}))
    return HTTPSeeOther(location=request.resource_url(context, "digitize"))


@view_config(context=DigitalItem, name="digitize-status.json", renderer="json",
             permission=Permission.EDIT)
def digitize_status(context, request):
    """The latest job on the item, for the progress display (polled)."""
    request.response.cache_control = "no-store"
    return {"job": _job_view(request, _job(request, context)), "pages": len(pages_of(context))}


@view_config(context=DigitalItem, name="digitize-retry", request_method="POST",
             permission=Permission.EDIT)
def digitize_retry(context, request):
    """Run a failed job again on the upload it kept."""
    job = _job(request, context)
    if job is None or job.status != FAILED or not upload_kept(request, job):
        raise HTTPConflict(translate(request, _("There is no failed job to retry.")))
    enqueue(request, KIND, target=context.uid, site=job.site, params=job.params, max_attempts=3)
    flash(request, _("The job was queued again."))
    return HTTPSeeOther(location=request.resource_url(context, "digitize"))


def _review_fields(context):
    return [f for f in context.schema if f.name in FIELDS]


@view_config(context=DigitalItem, name="review", renderer="digitize_review.jinja2",
             permission=Permission.EDIT)
def review(context, request):
    """Suggested metadata, prefilled and editable; accepting writes it to the item."""
    suggestion = getattr(context, "metadata_suggestion", None) or {}
    suggested = dict(suggestion.get("values", {}))
    fields = _review_fields(context)
    errors = {}
    if request.method == "POST":
        data = {f.name: request.POST.get(f.name, "") for f in fields}
        errors = request.find_service(IContentService).edit(context, data, partial=True)
        if not errors:
            if suggestion:
                suggestion["accepted_by"] = str(request.authenticated_userid)
                context.metadata_suggestion = suggestion   # mark the item changed
            flash(request, _("The description of the item was saved."))
            return HTTPSeeOther(location=request.resource_url(context))
        values = data
    else:
        values = {f.name: suggested.get(f.name) or getattr(context, f.name, None) for f in fields}
    current = {f.name: getattr(context, f.name, None) for f in fields}
    return {"fields": fields, "values": values, "errors": errors, "suggested": suggested,
            "why": dict(suggestion.get("why", {})), "current": current,
            "accepted": bool(suggestion.get("accepted_by"))}

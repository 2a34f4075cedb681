"""Staff page of background jobs: ``/staff/jobs`` and ``/staff/jobs/{id}``.

An operator sees what the worker is doing and what failed, retries a failed
job and cancels one still waiting in the queue.

Who sees what (checked here, in the view):

- a Manager sees every job and may act on every one;
- a SiteAdmin or Librarian sees the jobs of the sites where they hold that
  role (``job.site``) and may retry/cancel those;
- jobs of no site (the periodic ones: fixity, harvest, circulation,
  union-queue) are *hidden* from site staff: their messages and parameters
  speak of every site's holdings, and only a Manager could act on them;
- readers get a 403, anonymous visitors are sent to sign in.

Retrying follows the digitization page's rule (the latest failed job on its
target, and for a ``digitize`` job its upload still kept): a new job with the
same kind, target, site and parameters is queued and handed over after commit.
Cancelling sets ``cancelled`` only while the job is still ``queued``, so
``runner.claim`` (which takes ``queued`` jobs only) never runs it.
"""
import datetime
import json
import math

from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound, HTTPSeeOther
from pyramid.i18n import TranslationStringFactory
from pyramid.view import view_config
from sqlalchemy import func, select, update

from ils.jobs import enqueue, kinds, latest_job, periodic_jobs
from ils.jobs.models import CANCELLED, DONE, FAILED, QUEUED, RUNNING, STATUSES, Job, aware, utcnow
from repository.catalog import find_by_uid
from repository.resources import Site
from repository.security import Permission, Role

from . import digitization
from .staff import flash

_ = TranslationStringFactory("serepok")

PAGE_SIZE = 50
#: Vietnam keeps UTC+7 all year: times are shown in the library's own clock.
VIETNAM = datetime.timezone(datetime.timedelta(hours=7))
GLOBAL = "-"          # the site filter's value for jobs of no site

STATUS_TITLES = {QUEUED: _("Queued"), RUNNING: _("Running"), DONE: _("Done"),
                 FAILED: _("Failed"), CANCELLED: _("Cancelled")}
KIND_TITLES = {digitization.KIND: _("Digitization and OCR"), "periodic": _("Periodic job")}
PERIODIC_TITLES = {"fixity": _("Fixity check of the masters"),
                   "harvest": _("OAI-PMH harvest of the union catalogue's sources"),
                   "circulation": _("Expiry of holds and digital loans"),
                   "union-queue": _("Union catalogue: queued changes")}


class Scope:
    """The jobs this user may see and act on."""

    def __init__(self, request):
        user = request.identity
        if user is None:
            raise HTTPForbidden()
        self.everything = Role.MANAGER.value in user.role_set
        staff = str(Permission.STAFF)
        self.sites = {s.__name__: s for s in request.root.sites()
                      if self.everything or request.has_permission(staff, s)}
        if not self.everything and not self.sites:
            raise HTTPForbidden()

    def condition(self):
        return None if self.everything else Job.site.in_(sorted(self.sites))

    def sees(self, job):
        return self.everything or (bool(job.site) and job.site in self.sites)


def kind_title(job_kind, target=""):
    if job_kind == "periodic":
        return PERIODIC_TITLES.get(target) or _("Periodic job: ${name}", mapping={"name": target})
    return KIND_TITLES.get(job_kind, job_kind)


def kind_choices(registry, periodic=True):
    """(filter value, title) for every registered kind, and every periodic job if asked."""
    choices = [(k, kind_title(k)) for k in sorted(kinds(registry)) if k != "periodic"]
    if periodic:
        choices += [(f"periodic:{name}", kind_title("periodic", name))
                    for name in sorted(periodic_jobs(registry))]
    return choices


def when(moment, seconds=True):
    form = "%d/%m/%Y %H:%M:%S" if seconds else "%d/%m/%Y %H:%M"
    return aware(moment).astimezone(VIETNAM).strftime(form) if moment else ""


def site_short(site):
    """“Cơ sở Buôn Ma Thuột” from “Thư viện tỉnh Đắk Lắk — cơ sở Buôn Ma Thuột”."""
    short = (site.title or site.__name__).split(" — ")[-1]
    return short[:1].upper() + short[1:]


def resolve_target(request, job):
    """(title, url) of the object a job works on when its site's catalogue knows the uid."""
    site = request.root.get(job.site) if job.site else None
    if not isinstance(site, Site) or not job.target:
        return None
    obj = find_by_uid(request.root, job.target, sites=[site])
    if obj is None:
        return None
    return obj.title or job.target, request.resource_url(obj)


def can_retry(request, job):
    """The digitization page's rule: the latest job on its target, failed, and for a
    ``digitize`` job its upload still kept."""
    if job.status != FAILED:
        return False
    latest = latest_job(request.dbsession, job.target, job.kind)
    if latest is None or latest.id != job.id:
        return False
    if job.kind == digitization.KIND:
        return digitization.upload_kept(request, job)
    return True


def row(request, job, scope, lang, seconds=True):
    target = resolve_target(request, job)
    site = scope.sites.get(job.site)
    return {"id": job.id, "kind": job.kind, "kind_title": kind_title(job.kind, job.target),
            "target": job.target, "target_title": target[0] if target else None,
            "target_url": target[1] if target else None,
            "site": job.site, "site_title": site_short(site) if site is not None else job.site,
            "status": job.status, "status_title": STATUS_TITLES.get(job.status, job.status),
            "progress": job.progress, "message": job.message(lang),
            "attempts": job.attempts, "max_attempts": job.max_attempts,
            "created": when(job.created, seconds), "started": when(job.started),
            "finished": when(job.finished), "heartbeat": when(job.heartbeat),
            "updated": when(job.finished or job.heartbeat or job.started, seconds),
            "worker": job.worker, "worker_short": ":".join(job.worker.split(":")[:2]),
            "created_by": job.created_by,
            "can_retry": can_retry(request, job), "can_cancel": job.status == QUEUED}


def read_filters(request, scope):
    """The filters of the query string that are valid here; the others are dropped
    with a message."""
    filters, wrong = {}, False
    status = request.GET.get("status", "")
    if status in STATUSES:
        filters["status"] = status
    elif status:
        wrong = True
    kind = request.GET.get("kind", "")
    if kind in dict(kind_choices(request.registry, scope.everything)):
        filters["kind"] = kind
    elif kind:
        wrong = True
    site = request.GET.get("site", "")
    if site in scope.sites or (site == GLOBAL and scope.everything):
        filters["site"] = site
    elif site:
        wrong = True
    return filters, wrong


def query_for(scope, filters):
    query = select(Job)
    condition = scope.condition()
    if condition is not None:
        query = query.where(condition)
    if "status" in filters:
        query = query.where(Job.status == filters["status"])
    kind = filters.get("kind", "")
    if kind.startswith("periodic:"):
        query = query.where(Job.kind == "periodic", Job.target == kind.split(":", 1)[1])
    elif kind:
        query = query.where(Job.kind == kind)
    if "site" in filters:
        query = query.where(Job.site == ("" if filters["site"] == GLOBAL else filters["site"]))
    return query


def page_number(request):
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


@view_config(route_name="jobs_staff", renderer="jobs_staff.jinja2")
def job_list(request):
    """The jobs, newest first, 50 a page, filtered by status, kind and site."""
    scope = Scope(request)
    filters, wrong = read_filters(request, scope)
    query = query_for(scope, filters)
    session = request.dbsession
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(page_number(request), pages)
    jobs = session.scalars(query.order_by(Job.id.desc())
                           .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    lang = request.locale_name
    sites = [(name, site_short(site)) for name, site in scope.sites.items()]
    if scope.everything:
        sites.append((GLOBAL, _("No site (periodic jobs)")))
    request.response.cache_control = "no-store"
    return {"jobs": [row(request, job, scope, lang, seconds=False) for job in jobs],
            "total": total,
            "page": page, "pages": pages, "filters": filters,
            "wrong_filter": wrong, "statuses": STATUS_TITLES,
            "kinds": kind_choices(request.registry, scope.everything), "sites": sites,
            "sees_everything": scope.everything}


def load(request, scope):
    try:
        job_id = int(request.matchdict["id"])
    except ValueError:
        raise HTTPNotFound()
    job = request.dbsession.get(Job, job_id) if 0 < job_id < 2 ** 31 else None
    if job is None:
        raise HTTPNotFound()
    if not scope.sees(job):
        raise HTTPForbidden()
    return job


@view_config(route_name="job_staff", renderer="jobs_staff_detail.jinja2")
def job_detail(request):
    """One job: its parameters, warnings, whole message and times."""
    scope = Scope(request)
    job = load(request, scope)
    lang = request.locale_name
    request.response.cache_control = "no-store"
    data = row(request, job, scope, lang)
    data["warnings"] = job.warning_texts(lang)
    data["params"] = [(name, value if isinstance(value, str)
                       else json.dumps(value, ensure_ascii=False))
                      for name, value in sorted(job.params.items())]
    return {"job": data, "created_by": creator(request, job),
            "digitize_url": (data["target_url"] + "digitize")
            if data["target_url"] and job.kind == digitization.KIND else None}


def creator(request, job):
    """The login of whoever queued the job (``created_by`` holds the account id)."""
    from ils.accounts.services import IAccountService
    if not job.created_by.isdigit():
        return job.created_by
    user = request.find_service(IAccountService).get(int(job.created_by))
    return user.login if user is not None else job.created_by


def back(request, job):
    return HTTPSeeOther(location=request.route_url("job_staff", id=job.id))


@view_config(route_name="job_staff_retry", request_method="POST")
def job_retry(request):
    """Queue a failed job again (a new job with the same kind, target and parameters)."""
    scope = Scope(request)
    job = load(request, scope)
    if not can_retry(request, job):
        flash(request, _("This job cannot be retried: only the latest failed job on its "
                         "target can, and a digitization job only while its upload is kept."),
              "error")
        return back(request, job)
    new = enqueue(request, job.kind, target=job.target, site=job.site, params=job.params,
                  max_attempts=job.max_attempts)
    flash(request, _("Job ${old} was queued again as job ${new}.",
                     mapping={"old": job.id, "new": new.id}))
    return HTTPSeeOther(location=request.route_url("job_staff", id=new.id))


@view_config(route_name="job_staff_cancel", request_method="POST")
def job_cancel(request):
    """Cancel a job still waiting in the queue; the runner then never claims it."""
    scope = Scope(request)
    job = load(request, scope)
    who = request.identity.login
    done = request.dbsession.execute(
        update(Job).where(Job.id == job.id, Job.status == QUEUED).values(
            status=CANCELLED, finished=utcnow(),
            message_vi=f"Đã hủy bởi {who} trước khi chạy.",
            message_en=f"Cancelled by {who} before it ran."),
        execution_options={"synchronize_session": False})
    if done.rowcount != 1:
        flash(request, _("Only a job still waiting in the queue can be cancelled; this one "
                         "has already started or ended."), "error")
    else:
        flash(request, _("Job ${id} was cancelled; it will not run.", mapping={"id": job.id}))
    return back(request, job)


def includeme(config):
    config.add_route("jobs_staff", "/staff/jobs")
    config.add_route("job_staff", "/staff/jobs/{id}")
    config.add_route("job_staff_retry", "/staff/jobs/{id}/retry")
    config.add_route("job_staff_cancel", "/staff/jobs/{id}/cancel")

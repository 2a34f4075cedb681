"""Background jobs: a huey task queue on an embedded backend, with durable state in SQL.

Why this shape (see docs/dependencies.md): huey is a small, well-kept task queue
whose SQLite storage needs no server (``make run`` on one machine) and whose
Redis storage scales out by one setting. Huey alone forgets a task whose
worker died mid-way, so the state of each job lives in the ``jobs`` table
(:class:`ils.jobs.models.Job`) and the queue only carries job ids; a job whose
worker stopped sending heartbeats is queued again (``runner.reap``).

Packages register what they need in their ``includeme``::

    config.add_job_kind("digitize", "repository.digitization.jobs:digitize")
    config.add_periodic_job("fixity", "repository.digitization.fixity:check_all",
                            "daily 02:30")

A job kind's handler is called as ``handler(ctx)`` with a
:class:`ils.jobs.runner.JobContext`; a periodic job's function as
``function(request)`` with a scripting request (``request.root``,
``request.dbsession``, ``request.find_service``) whose transaction is
committed when it returns. Views queue a job with :func:`enqueue`; the job is
handed to the queue only after the request's transaction commits.

Settings (all optional)::

    jobs.backend = sqlite            # sqlite (file under serepok.var) | redis | memory
    jobs.sqlite_path = %(here)s/var/jobs.sqlite
    jobs.redis_url = redis://127.0.0.1:6379/0
    jobs.workers = 2                 # worker threads of one `serepok worker`
    jobs.heartbeat_seconds = 10      # how often a running job says it is alive
    jobs.stale_seconds = 120         # a running job silent this long is queued again
    jobs.periodic.<name> = daily 02:30 | hourly | every 15 minutes | off
"""
from pyramid.path import DottedNameResolver

from .models import DONE, FAILED, QUEUED, RUNNING, Job  # noqa: F401

__all__ = ["Job", "JobError", "enqueue", "latest_job", "QUEUED", "RUNNING", "DONE", "FAILED"]


class JobError(Exception):
    """A failure a person can act on: the job fails with this message (vi and en)."""

    def __init__(self, vi, en):
        super().__init__(en)
        self.vi, self.en = vi, en


def kinds(registry):
    return registry.setdefault("jobs.kinds", {})


def periodic_jobs(registry):
    return registry.setdefault("jobs.periodic", {})


def add_job_kind(config, kind, handler):
    """Register ``handler(ctx)`` (callable or dotted name) for jobs of ``kind``."""
    kinds(config.registry)[kind] = DottedNameResolver().maybe_resolve(handler)


def add_periodic_job(config, name, function, schedule):
    """Run ``function(request)`` on ``schedule`` unless ``jobs.periodic.<name>`` overrides it."""
    from .periodic import parse_schedule
    setting = config.get_settings().get(f"jobs.periodic.{name}", "").strip()
    spec = parse_schedule(setting or schedule)
    periodic_jobs(config.registry)[name] = (DottedNameResolver().maybe_resolve(function), spec)


def enqueue(request, kind, target="", params=None, site="", max_attempts=3):
    """Add a job in the request's transaction; it reaches the queue after commit."""
    import json
    job = Job(kind=kind, target=target, site=site, status=QUEUED, progress=0,
              params_json=json.dumps(params or {}, ensure_ascii=False),
              max_attempts=max_attempts, created_by=str(request.authenticated_userid or ""),
              message_vi="Đang chờ trong hàng đợi.", message_en="Waiting in the queue.",
              warnings_json="[]", attempts=0, worker="")
    request.dbsession.add(job)
    request.dbsession.flush()
    from .queue import hand_over_after_commit
    hand_over_after_commit(request, job.id)
    return job


def latest_job(session, target, kind=None):
    """The newest job on ``target`` (of ``kind``), or None."""
    from sqlalchemy import select
    query = select(Job).where(Job.target == target)
    if kind:
        query = query.where(Job.kind == kind)
    return session.scalars(query.order_by(Job.id.desc()).limit(1)).first()


def includeme(config):
    from .periodic import register_periodic_defaults
    from .queue import make_huey
    from .runner import run_periodic
    config.add_directive("add_job_kind", add_job_kind)
    config.add_directive("add_periodic_job", add_periodic_job)
    kinds(config.registry)["periodic"] = run_periodic
    periodic_jobs(config.registry)
    config.registry["jobs.huey"] = make_huey(config.registry)
    register_periodic_defaults(config)

"""Running one job: claim it, keep its heartbeat, record progress, finish or fail it.

Every change to a job row is its own short transaction, so progress is visible
while the job runs and a crash leaves the row ``running`` with a heartbeat that
stops moving. ``reap`` (run at worker start and every minute) queues such jobs
again, up to ``max_attempts``; a job claims itself atomically
(``UPDATE … WHERE status = 'queued'``), so a message delivered twice runs once.
"""
import contextlib
import datetime
import json
import logging
import os
import socket
import threading

from sqlalchemy import and_, or_, select, update

from . import JobError, kinds, periodic_jobs
from .models import DONE, FAILED, QUEUED, RUNNING, Job, PeriodicRun, utcnow

log = logging.getLogger(__name__)

#: Set while the worker shuts down: a job interrupted then is queued again, not failed.
STOPPING = threading.Event()


def worker_id():
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def process_prefix():
    return f"{socket.gethostname()}:{os.getpid()}:"


def _update(session, statement):
    """A bulk UPDATE that never re-evaluates loaded rows in Python (SQLite hands back
    naive datetimes, which cannot be compared with aware ones)."""
    return session.execute(statement, execution_options={"synchronize_session": False})


def _seconds(registry, name, default):
    return float(registry.settings.get(f"jobs.{name}_seconds", default))


@contextlib.contextmanager
def bookkeeping(registry):
    """A session of its own for the job row, committed at once."""
    session = registry["dbsession_factory"]()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _set(registry, job_id, **values):
    with bookkeeping(registry) as s:
        _update(s, update(Job).where(Job.id == job_id).values(**values))


class JobContext:
    """What a job handler gets: the job's data, progress reporting, and requests."""

    def __init__(self, registry, job):
        self.registry = registry
        self.job_id = job.id
        self.kind, self.target, self.site = job.kind, job.target, job.site
        self.params = job.params
        self.attempts = job.attempts
        self.warnings = []
        self.result = ("Xong.", "Done.")

    def progress(self, percent, vi=None, en=None):
        values = {"progress": max(0, min(100, int(percent))), "heartbeat": utcnow()}
        if vi is not None:
            values.update(message_vi=vi, message_en=en or vi)
        _set(self.registry, self.job_id, **values)

    def warn(self, vi, en):
        self.warnings.append((vi, en))
        _set(self.registry, self.job_id, warnings_json=json.dumps(self.warnings,
                                                                  ensure_ascii=False))

    def done(self, vi, en):
        """The message shown when the job ends well."""
        self.result = (vi, en)

    @contextlib.contextmanager
    def request(self):
        """A scripting request (``root``, ``dbsession``, services) in one transaction."""
        with scripting_request(self.registry) as request:
            yield request

    def change(self, function, attempts=5):
        """``function(request)`` in a transaction of its own, retried on ZODB conflicts."""
        from transaction.interfaces import TransientError
        for attempt in range(attempts):
            try:
                with self.request() as request:
                    return function(request)
            except TransientError:
                if attempt == attempts - 1:
                    raise
                log.info("job %s: conflict, trying again", self.job_id)


@contextlib.contextmanager
def scripting_request(registry):
    from pyramid.request import Request, apply_request_extensions
    from pyramid.scripting import prepare
    request = Request.blank("/", base_url=registry.settings.get("serepok.base_url",
                                                                "http://127.0.0.1:6543"))
    request.registry = registry
    apply_request_extensions(request)
    request.tm.begin()
    env = prepare(registry=registry, request=request)
    request.root = env["root"]
    try:
        try:
            yield request
        except BaseException:
            request.tm.abort()
            raise
        request.tm.commit()
    finally:
        env["closer"]()


def claim(registry, job_id):
    """Mark a queued job running for this worker; the job, or None when someone else has it."""
    now = utcnow()
    with bookkeeping(registry) as s:
        done = _update(s, update(Job).where(Job.id == job_id, Job.status == QUEUED).values(
            status=RUNNING, attempts=Job.attempts + 1, worker=worker_id()[:120], heartbeat=now,
            started=now, progress=0, message_vi="Đang xử lý…", message_en="Working…",
            warnings_json="[]"))
        if done.rowcount != 1:
            return None
        job = s.get(Job, job_id)
        s.expunge(job)
        return job


class Heartbeat(threading.Thread):
    def __init__(self, registry, job_id):
        super().__init__(daemon=True, name=f"heartbeat-{job_id}")
        self.registry, self.job_id = registry, job_id
        self.stopped = threading.Event()
        self.interval = _seconds(registry, "heartbeat", 10)

    def run(self):
        while not self.stopped.wait(self.interval):
            try:
                _set(self.registry, self.job_id, heartbeat=utcnow())
            except Exception:     # a busy database: the next beat will do
                log.warning("job %s: heartbeat not written", self.job_id, exc_info=True)


def run_job(registry, job_id):
    """Run job ``job_id`` here if it is still queued; never raises."""
    job = claim(registry, job_id)
    if job is None:
        return None
    ctx = JobContext(registry, job)
    beat = Heartbeat(registry, job_id)
    beat.start()
    status, (vi, en) = DONE, ctx.result
    try:
        handler = kinds(registry).get(job.kind)
        if handler is None:
            raise JobError(f"Không biết loại công việc “{job.kind}”.",
                           f"Unknown kind of job “{job.kind}”.")
        handler(ctx)
        vi, en = ctx.result
    except JobError as exc:
        status, vi, en = FAILED, exc.vi, exc.en
    except BaseException as exc:   # the worker keeps going whatever a job does
        if STOPPING.is_set():
            beat.stopped.set()
            _set(registry, job_id, status=QUEUED, attempts=Job.attempts - 1, worker="",
                 message_vi="Bộ xử lý đã tắt; công việc sẽ chạy lại khi nó khởi động.",
                 message_en="The worker was shut down; the job runs again when it starts.")
            return QUEUED
        log.exception("job %s (%s) failed", job_id, job.kind)
        status = FAILED
        vi = f"Lỗi không lường trước ({type(exc).__name__}). Bản tải lên vẫn được giữ; hãy thử lại."
        en = f"Unexpected error ({type(exc).__name__}). The upload is kept; try again."
    finally:
        beat.stopped.set()
    _set(registry, job_id, status=status, finished=utcnow(), message_vi=vi, message_en=en,
         **({"progress": 100} if status == DONE else {}))
    return status


def reap(registry, now=None):
    """Queue again the running jobs whose worker went silent, and lost queued ones.

    Returns the ids handed to the queue.
    """
    from .queue import hand_over
    now = now or utcnow()
    cutoff = now - datetime.timedelta(seconds=_seconds(registry, "stale", 120))
    requeued = []
    with bookkeeping(registry) as s:
        stale = s.scalars(select(Job).where(Job.status == RUNNING, Job.heartbeat < cutoff)).all()
        for job in stale:
            gave_up = job.attempts >= job.max_attempts
            values = dict(status=FAILED, finished=now,
                          message_vi=f"Bộ xử lý đã dừng giữa chừng {job.attempts} lần; "
                                     "bản tải lên vẫn được giữ, hãy thử lại.",
                          message_en=f"The worker stopped in the middle {job.attempts} times; "
                                     "the upload is kept, try again.") if gave_up else dict(
                status=QUEUED, worker="", heartbeat=now,
                message_vi="Bộ xử lý đã dừng giữa chừng; công việc được xếp hàng lại.",
                message_en="The worker stopped in the middle; the job is queued again.")
            done = _update(s, update(Job).where(Job.id == job.id, Job.status == RUNNING,
                                               Job.heartbeat < cutoff).values(**values))
            if done.rowcount == 1 and not gave_up:
                requeued.append(job.id)
        lost = s.scalars(select(Job.id).where(
            Job.status == QUEUED, Job.created < cutoff,
            or_(Job.heartbeat.is_(None), Job.heartbeat < cutoff))).all()
        for job_id in lost:
            _update(s, update(Job).where(and_(Job.id == job_id, Job.status == QUEUED))
                      .values(heartbeat=now))
        requeued.extend(lost)
    for job_id in requeued:
        hand_over(registry, job_id)
    return requeued


def release_own(registry):
    """At shutdown: this process's running jobs go back to the queue (not counted as attempts)."""
    with bookkeeping(registry) as s:
        _update(s, update(Job).where(Job.status == RUNNING,
                                    Job.worker.like(process_prefix() + "%")).values(
            status=QUEUED, worker="", attempts=Job.attempts - 1,
            message_vi="Bộ xử lý đã tắt; công việc sẽ chạy lại khi nó khởi động.",
            message_en="The worker was shut down; the job runs again when it starts."))


def run_periodic(ctx):
    """Job kind ``periodic``: run the registered function named in the job's params."""
    name = ctx.params.get("name", "")
    entry = periodic_jobs(ctx.registry).get(name)
    if entry is None:
        raise JobError(f"Không có công việc định kỳ “{name}”.", f"No periodic job “{name}”.")
    outcome = ctx.change(entry[0])
    if isinstance(outcome, tuple) and len(outcome) == 2 and all(isinstance(x, str) for x in outcome):
        ctx.done(*outcome)


def due_periodic(registry, now=None):
    """Create a job for each periodic job due this minute: once, however many
    workers tick (each claims the minute in ``periodic_runs`` first)."""
    from sqlalchemy import delete
    from sqlalchemy.exc import IntegrityError

    from .queue import hand_over
    now = (now or utcnow()).replace(second=0, microsecond=0)
    created = []
    for name, (_function, schedule) in sorted(periodic_jobs(registry).items()):
        # schedules read the server's local clock ("daily 02:30" is 02:30 in Đắk Lắk)
        if schedule is None or not schedule(now.astimezone()):
            continue
        try:
            with bookkeeping(registry) as s:
                claim = PeriodicRun(name=name, minute=now)
                s.add(claim)
                s.flush()                # another worker's claim of this minute fails here
                job = Job(kind="periodic", target=name, status=QUEUED, progress=0,
                          params_json=json.dumps({"name": name}), max_attempts=1,
                          message_vi="Đang chờ trong hàng đợi.",
                          message_en="Waiting in the queue.",
                          warnings_json="[]", attempts=0, worker="", site="", created_by="")
                s.add(job)
                s.flush()
                claim.job_id = job.id
                created.append(job.id)
        except IntegrityError:
            continue                     # queued by another worker this minute
    with bookkeeping(registry) as s:
        s.execute(delete(PeriodicRun).where(
            PeriodicRun.minute < now - datetime.timedelta(days=2)))
    for job_id in created:
        hand_over(registry, job_id)
    return created


def tick(registry):
    """Every minute in the worker: requeue what a dead worker left, start periodic jobs."""
    try:
        reap(registry)
    finally:
        due_periodic(registry)

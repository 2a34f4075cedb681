"""The job table and its runner: claiming, progress, failure, requeue of a dead worker's
job, periodic jobs, and the fixity check they run."""
import datetime

import pytest
from sqlalchemy import select

from ils.jobs import JobError, kinds, periodic_jobs
from ils.jobs.models import Job, utcnow
from ils.jobs.periodic import parse_schedule
from ils.jobs.runner import bookkeeping, due_periodic, reap, run_job


def add_job(app, kind, **values):
    with bookkeeping(app.registry) as s:
        job = Job(kind=kind, target=values.pop("target", ""), status=values.pop("status", "queued"),
                  progress=0, message_vi="", message_en="", warnings_json="[]",
                  params_json=values.pop("params_json", "{}"), attempts=values.pop("attempts", 0),
                  worker="", site="",
                  created_by="", max_attempts=values.pop("max_attempts", 3), **values)
        s.add(job)
        s.flush()
        return job.id


def row(app, job_id):
    with bookkeeping(app.registry) as s:
        job = s.get(Job, job_id)
        s.expunge(job)
        return job


@pytest.fixture
def handlers(app):
    seen = []

    def works(ctx):
        ctx.progress(50, "Nửa đường", "Halfway")
        ctx.warn("Cẩn thận", "Careful")
        seen.append(ctx.job_id)
        ctx.done("Xong rồi", "All done")

    def refuses(ctx):
        raise JobError("Tệp hỏng", "Damaged file")

    def crashes(ctx):
        raise RuntimeError("boom")

    kinds(app.registry).update(works=works, refuses=refuses, crashes=crashes)
    return seen


def test_a_job_runs_once_records_its_result_and_a_second_delivery_does_nothing(app, handlers,
                                                                             sql_backend):
    job_id = add_job(app, "works")
    assert run_job(app.registry, job_id) == "done"
    assert run_job(app.registry, job_id) is None          # the same message delivered again
    job = row(app, job_id)
    assert handlers == [job_id]
    assert (job.status, job.progress, job.attempts) == ("done", 100, 1)
    assert job.message("vi") == "Xong rồi" and job.message("en") == "All done"
    assert job.warnings == [("Cẩn thận", "Careful")]


def test_failures_say_why_in_both_languages_and_an_unexpected_one_does_not_escape(app, handlers):
    refused, crashed = add_job(app, "refuses"), add_job(app, "crashes")
    assert run_job(app.registry, refused) == "failed"
    assert run_job(app.registry, crashed) == "failed"
    assert row(app, refused).message_vi == "Tệp hỏng"
    assert "RuntimeError" in row(app, crashed).message_en
    assert "thử lại" in row(app, crashed).message_vi


def test_a_job_whose_worker_went_silent_is_queued_again_then_given_up(app, handlers, sql_backend):
    old = utcnow() - datetime.timedelta(minutes=10)
    silent = add_job(app, "works", status="running", attempts=1, heartbeat=old)
    alive = add_job(app, "works", status="running", attempts=1, heartbeat=utcnow())
    tired = add_job(app, "works", status="running", attempts=3, max_attempts=3, heartbeat=old)
    assert reap(app.registry) == [silent]
    assert row(app, silent).status == "queued"
    assert "queued again" in row(app, silent).message_en
    assert row(app, alive).status == "running"
    assert row(app, tired).status == "failed" and "3 times" in row(app, tired).message_en
    assert run_job(app.registry, silent) == "done"
    assert row(app, silent).attempts == 2


@pytest.mark.parametrize("text, at, due", [
    ("daily 02:30", (2, 30), True), ("daily 02:30", (2, 31), False),
    ("every 15 minutes", (7, 45), True), ("every 15 minutes", (7, 46), False),
    ("hourly", (9, 0), True), ("30 2 * * *", (2, 30), True), ("off", (2, 30), None),
])
def test_schedules(text, at, due):
    schedule = parse_schedule(text)
    moment = datetime.datetime(2026, 11, 26, *at)
    assert (schedule(moment) if schedule else None) is due


def test_a_bad_schedule_is_refused():
    with pytest.raises(ValueError):
        parse_schedule("sometimes")


def test_due_periodic_jobs_are_created_once_a_minute(app, sql_backend):
    ran = []
    periodic_jobs(app.registry)["test"] = (lambda request: ran.append(request.root) or ("vi", "en"),
                                           parse_schedule("every 1 minutes"))
    now = utcnow()
    first = due_periodic(app.registry, now)
    assert due_periodic(app.registry, now) == []           # a second tick in the same minute
    with bookkeeping(app.registry) as s:
        ids = s.scalars(select(Job.id).where(Job.kind == "periodic", Job.target == "test")).all()
    assert ids and set(ids) <= set(first)
    job_id = ids[0]
    assert run_job(app.registry, job_id) == "done"
    assert ran and row(app, job_id).message_en == "en"


def test_several_workers_ticking_at_once_queue_a_periodic_job_once(app, sql_backend):
    """Two workers (threads with their own sessions here) tick in the same minute:
    one job, whoever wins; the minute's claim is kept, older claims are pruned."""
    import datetime
    import threading

    from ils.jobs.models import PeriodicRun
    periodic_jobs(app.registry)["test"] = (lambda request: ("vi", "en"),
                                           parse_schedule("every 1 minutes"))
    now = utcnow().replace(second=0, microsecond=0)
    with bookkeeping(app.registry) as s:        # a claim from three days ago, to prune
        s.add(PeriodicRun(name="test", minute=now - datetime.timedelta(days=3)))
    start, created, errors = threading.Barrier(4), [], []

    def tick():
        start.wait()
        try:
            created.extend(due_periodic(app.registry, now))
        except Exception as error:            # pragma: no cover - the failure shows
            errors.append(error)
    workers = [threading.Thread(target=tick) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    with bookkeeping(app.registry) as s:
        jobs = s.scalars(select(Job.id).where(Job.kind == "periodic", Job.target == "test")).all()
        claims = s.execute(select(PeriodicRun.minute, PeriodicRun.job_id)
                           .where(PeriodicRun.name == "test")).all()
    assert len(jobs) == 1 and jobs == [j for j in created if j in jobs]
    assert [job_id for _minute, job_id in claims] == jobs


def test_fixity_and_the_known_periodic_jobs_are_registered(app):
    names = set(periodic_jobs(app.registry))
    assert {"fixity", "harvest", "circulation"} <= names


def test_the_harvest_and_circulation_ticks_run_as_periodic_jobs(app):
    ids = []
    for name in ("harvest", "circulation"):
        job_id = add_job(app, "periodic", target=name, max_attempts=1,
                         params_json='{"name": "%s"}' % name)
        ids.append(job_id)
        assert run_job(app.registry, job_id) == "done", row(app, job_id).message_en
    assert row(app, ids[0]).message_en == "No source was due for harvesting."

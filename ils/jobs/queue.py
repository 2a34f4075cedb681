"""The huey instance: storage chosen by setting, two tasks (run a job, the minute tick)."""
import logging
import os

from huey import MemoryHuey, RedisHuey, SqliteHuey, crontab

log = logging.getLogger(__name__)


def make_huey(registry):
    """A huey queue for this app; ``jobs.backend`` picks SQLite (default), Redis or memory."""
    settings = registry.settings
    backend = settings.get("jobs.backend", "sqlite").strip()
    if backend == "redis":
        huey = RedisHuey("serepok", url=settings.get("jobs.redis_url", "redis://127.0.0.1:6379/0"))
    elif backend == "memory":
        huey = MemoryHuey("serepok")
    elif backend == "sqlite":
        path = settings.get("jobs.sqlite_path") or os.path.join(
            settings.get("serepok.var", "var"), "jobs.sqlite")
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        huey = SqliteHuey("serepok", filename=path, results=False)
    else:
        raise ValueError(f"jobs.backend: unknown backend {backend!r} (sqlite, redis or memory)")

    from . import runner

    @huey.task(name="serepok.run_job")
    def run_job(job_id):
        runner.run_job(registry, job_id)

    @huey.periodic_task(crontab(minute="*"), name="serepok.tick")
    def tick():
        runner.tick(registry)

    huey.serepok_run_job = run_job
    return huey


def hand_over(registry, job_id):
    """Put ``run job <id>`` on the queue (a lost message is re-sent by the tick)."""
    try:
        registry["jobs.huey"].serepok_run_job(job_id)
    except Exception:   # the job stays queued in SQL; the tick hands it over again
        log.exception("could not queue job %s", job_id)


def hand_over_after_commit(request, job_id):
    registry = request.registry

    def hook(success):
        if success:
            hand_over(registry, job_id)

    request.tm.get().addAfterCommitHook(hook)

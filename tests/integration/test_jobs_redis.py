"""``jobs.backend = redis``: a job handed over through a real Redis server (Debian's
``redis-server``, started here) is run once by real ``serepok worker`` processes,
two of them competing for it, as on several machines sharing one queue."""
import json
import shutil
import subprocess

import pytest

from ils.jobs.models import QUEUED, Job
from ils.jobs.queue import hand_over
from ils.jobs.runner import bookkeeping
from tests.integration.test_digitization_worker import (start_worker, wait_for,  # noqa: F401
                                                        worker_ini, zeo)

from .conftest import free_port, wait_for_port

pytestmark = pytest.mark.skipif(not shutil.which("redis-server"),
                                reason="needs redis-server (scripts/debian-packages test)")


@pytest.fixture
def redis_url(tmp_path):
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port, server, "redis-server")
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait(10)


@pytest.fixture
def settings(tmp_path, sql_url, zeo, redis_url):  # noqa: F811
    var = tmp_path / "var"
    var.mkdir(exist_ok=True)
    return {"zodbconn.uri": zeo, "sqlalchemy.url": sql_url, "sql.auto_migrate": "true",
            "serepok.var": str(var), "serepok.secret": "test-secret-not-for-production",
            "serepok.base_url": "http://localhost", "jobs.backend": "redis",
            "jobs.redis_url": redis_url, "jobs.workers": "1"}


def test_a_job_through_redis_runs_once_among_two_workers(app, settings, tmp_path):
    registry = app.registry
    huey = registry["jobs.huey"]
    assert type(huey).__name__ == "RedisHuey"
    with bookkeeping(registry) as s:
        job = Job(kind="periodic", target="fixity", status=QUEUED, progress=0,
                  params_json=json.dumps({"name": "fixity"}), max_attempts=1,
                  message_vi="Đang chờ trong hàng đợi.", message_en="Waiting in the queue.",
                  warnings_json="[]", attempts=0, worker="", site="", created_by="test")
        s.add(job)
        s.flush()
        job_id = job.id
    hand_over(registry, job_id)
    assert huey.pending_count() == 1            # the message waits in Redis

    def row():
        with bookkeeping(registry) as s:
            return s.get(Job, job_id)
    ini = worker_ini(tmp_path, settings)
    logs = [open(tmp_path / f"worker{n}.log", "wb") for n in (1, 2)]
    workers = [start_worker(ini, log) for log in logs]
    try:
        done = wait_for(lambda: row() if row().status in ("done", "failed") else None, 120,
                        "a worker to run the job")
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(30)
        for log in logs:
            log.close()
    output = "".join((tmp_path / f"worker{n}.log").read_text() for n in (1, 2))
    assert done.status == "done", (done.message_en, output[-2000:])
    assert done.attempts == 1 and done.worker
    assert huey.pending_count() == 0

"""A real `serepok worker` process killed in the middle of an OCR job: the job is not
lost. A second worker finds its heartbeat stale, queues it again and finishes it,
without duplicating the pages the first one had stored.

The portal (this test) and the workers share the object database through a real
ZEO server, as under `make run`.
"""
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from tests.digitization_support import BODY, TITLE_PAGE, item_of, job_row, make_item, render_page, stage_and_queue

SERVE = os.path.join(os.path.dirname(sys.executable), "serepok")
RUNZEO = os.path.join(os.path.dirname(sys.executable), "runzeo")
STALE = 4

pytestmark = pytest.mark.skipif(not shutil.which("tesseract"), reason="needs tesseract-ocr")


@pytest.fixture
def zeo(tmp_path):
    var = tmp_path / "var"
    var.mkdir(exist_ok=True)
    conf = tmp_path / "zeo.conf"
    conf.write_text(f"<zeo>\n address {var}/zeo.sock\n</zeo>\n<filestorage>\n"
                    f" path {var}/Data.fs\n blob-dir {var}/blobs\n</filestorage>\n")
    server = subprocess.Popen([RUNZEO, "-C", str(conf)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    for _ in range(100):
        if (var / "zeo.sock").exists():
            break
        time.sleep(0.1)
    yield f"zeo://{var}/zeo.sock?blob_dir={var}/blobs&shared_blob_dir=1"
    server.terminate()
    server.wait(10)


@pytest.fixture
def settings(tmp_path, sql_url, zeo):
    var = tmp_path / "var"
    var.mkdir(exist_ok=True)
    return {"zodbconn.uri": zeo, "sqlalchemy.url": sql_url, "sql.auto_migrate": "true",
            "serepok.var": str(var), "serepok.secret": "test-secret-not-for-production",
            "serepok.base_url": "http://localhost", "jobs.heartbeat_seconds": "1",
            "jobs.stale_seconds": str(STALE), "jobs.workers": "1"}


def worker_ini(tmp_path, settings):
    lines = ["[app:main]", "use = egg:serepok"] + [f"{k} = {v}" for k, v in settings.items()]
    lines += ["[loggers]", "keys = root", "[handlers]", "keys = console", "[formatters]",
              "keys = plain", "[logger_root]", "level = INFO", "handlers = console",
              "[handler_console]", "class = StreamHandler", "args = (sys.stderr,)",
              "formatter = plain", "[formatter_plain]", "format = %(levelname)s %(message)s"]
    path = tmp_path / "worker.ini"
    path.write_text("\n".join(lines))
    return str(path)


def start_worker(ini, log):
    env = {k: v for k, v in os.environ.items() if k != "SEREPOK_ZODB_URI"}
    return subprocess.Popen([SERVE, "worker", ini], stdout=log, stderr=subprocess.STDOUT, env=env)


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_killed_worker_loses_no_job(app, portal, settings, tmp_path):
    uid, _name = make_item(portal)
    pages = [("1.png", render_page(TITLE_PAGE)[0])] + [
        (f"{i}.png", render_page(BODY * 6)[0]) for i in range(2, 6)]
    job_id = stage_and_queue(portal, uid, pages)
    ini = worker_ini(tmp_path, settings)
    with open(tmp_path / "worker1.log", "wb") as log:
        first = start_worker(ini, log)
        try:
            # mid-job: masters stored, Tesseract at work on the pages
            wait_for(lambda: job_row(app, job_id).progress >= 11, 120, "the OCR to start")
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(10)
    job = job_row(app, job_id)
    assert job.status == "running" and job.attempts == 1 and job.progress < 100
    time.sleep(STALE + 1.5)                  # its heartbeat goes stale
    with open(tmp_path / "worker2.log", "wb") as log:
        second = start_worker(ini, log)
        try:
            wait_for(lambda: job_row(app, job_id).status in ("done", "failed"), 240,
                     "the second worker to finish the job")
        finally:
            second.send_signal(signal.SIGINT)        # Ctrl-C: a clean stop
            second.wait(30)
    job = job_row(app, job_id)
    assert job.status == "done", (job.message_en, (tmp_path / "worker2.log").read_text()[-2000:])
    assert job.attempts == 2 and job.progress == 100
    with portal() as p:
        item = item_of(p, uid)
        assert len(item.pages) == 5                   # resumed, nothing stored twice
        assert all(c.derivative is not None for c in item.pages)
        assert "Sêrêpốk" in item.pages[1].text
        assert item.metadata_suggestion["values"]["year"] == 2015
    assert second.returncode == 0

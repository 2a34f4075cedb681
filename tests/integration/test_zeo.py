"""The repository on a real ZEO server, chosen by setting alone (``zodbconn.uri = zeo://``).

Two portal processes would share one ZEO server in production; here two app
instances in one test share it, and what one publishes the other serves.
"""
import os
import subprocess
import sys
import time

import pytest
import webtest

from .conftest import free_port, wait_for_port


@pytest.fixture
def zeo_server(tmp_path):
    port = free_port()
    conf = tmp_path / "zeo.conf"
    conf.write_text(f"""<zeo>
  address 127.0.0.1:{port}
</zeo>
<filestorage>
  path {tmp_path / "zeo.fs"}
  blob-dir {tmp_path / "zeo-blobs"}
</filestorage>
""")
    # sys.path travels along: under zc.buildout's bin/test the interpreter
    # alone does not see the eggs ZEO lives in.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-m", "ZEO.runzeo", "-C", str(conf)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    wait_for_port(port, proc, "runzeo")
    yield port, tmp_path / "zeo-blobs"
    proc.terminate()
    proc.wait(timeout=10)


def make_app(settings, port, blobs):
    from portal import main
    settings = dict(settings)
    settings["zodbconn.uri"] = (f"zeo://127.0.0.1:{port}?blob_dir={blobs}&shared_blob_dir=true"
                                f"&connection_cache_size=1000")
    return main({}, **settings)


def test_two_portals_share_one_zeo_server(zeo_server, settings):
    port, blobs = zeo_server
    first = make_app(settings, port, blobs)
    second = make_app(settings, port, blobs)
    try:
        from tests.conftest import Portal
        with Portal(first) as p:
            from repository.resources import Site
            from repository.catalog import SiteCatalog
            site = Site(title="Cơ sở thử ZEO", code="ZEO")
            site.state = "published"
            p.root.add("zeo-site", site)
            site.catalog = SiteCatalog()
        # ZEO sends invalidations asynchronously: the other portal sees the commit
        # within moments, not necessarily on its very next request.
        reader = webtest.TestApp(second)
        deadline = time.time() + 5
        page = reader.get("/zeo-site", status="*")
        while page.status_int == 404 and time.time() < deadline:
            time.sleep(0.05)
            page = reader.get("/zeo-site", status="*")
        assert page.status_int == 200
        assert "Cơ sở thử ZEO" in page.text
    finally:
        for app in (first, second):
            for db in app.registry._zodb_databases.values():
                db.close()

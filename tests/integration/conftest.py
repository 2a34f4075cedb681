"""Fixtures for tests against real outside programs: a live HTTP server, a browser.

``live_server`` serves the test's real WSGI app with waitress on a free
loopback port from a background thread.  ``browser`` is Debian's headless
Chromium driven by selenium through Debian's chromedriver; it never lets
selenium-manager fetch a driver or a browser.
"""
import os
import pathlib
import shutil
import socket
import tempfile
import threading
import time
import urllib.request

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = pathlib.Path(__file__).resolve().parents[2] / "test-artifacts"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, process, name, seconds=20):
    """Wait until ``process`` (a server we started) accepts connections on
    ``port``; the test fails, with what the server said, if it exits or is
    not listening after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if process.poll() is not None:
                said = process.stderr.read().decode(errors="replace") if process.stderr else ""
                pytest.fail(f"{name} exited: {said}")
            if time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"{name} is not listening on port {port} after {seconds} s")
            time.sleep(0.1)


class LiveServer:
    """A waitress server running ``app`` on 127.0.0.1 in a daemon thread."""

    def __init__(self, app):
        from waitress.server import create_server
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = create_server(app, host="127.0.0.1", port=self.port, threads=4,
                                    clear_untrusted_proxy_headers=True)
        self.thread = threading.Thread(target=self.server.run, name="live-server", daemon=True)

    def start(self, timeout=10):
        self.thread.start()
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the live server did not answer on " + self.url)
                time.sleep(0.05)

    def stop(self):
        self.server.close()
        self.thread.join(timeout=5)


@pytest.fixture
def live_server(app):
    server = LiveServer(app).start()
    yield server
    server.stop()


@pytest.fixture
def browser():
    """A headless Chromium session; skipped when Chromium or its driver is missing."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if missing:
        pytest.skip("headless browser test needs Debian's chromium and chromium-driver "
                    f"(missing: {', '.join(missing)}); `make test` installs them")
    # selenium-manager must not try to download a driver or a browser.
    os.environ["SE_OFFLINE"] = "true"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="serepok-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--window-size=1280,900",
                "--lang=vi", f"--user-data-dir={profile}"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(15)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def screenshot(browser, request):
    """``screenshot("home")`` saves test-artifacts/<test name>-<label>.png."""
    ARTIFACTS.mkdir(exist_ok=True)

    def save(label):
        path = ARTIFACTS / f"{request.node.name}-{label}.png"
        assert browser.save_screenshot(str(path)), "could not save " + str(path)
        return path
    return save

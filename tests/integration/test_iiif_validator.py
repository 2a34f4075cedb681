"""The official IIIF Image API validator (iiif-validator from PyPI) against our image
server, live over HTTP, at the level info.json claims plus the extra features it lists."""
import os
import shutil
import subprocess
import sys
import threading

import pytest
import waitress

from tests.unit.iiif.support import add_item, validator_image

EXTRA_TESTS = ("rot_mirror", "rot_mirror_180", "linkheader_canonical", "linkheader_profile")


@pytest.fixture
def live(app):
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.effective_port}"
    server.close()
    thread.join(timeout=5)


def validate(live, identifier, *args):
    script = os.path.join(os.path.dirname(sys.executable), "iiif-validate.py")
    if not os.path.exists(script):            # a buildout bin/ rather than a venv
        script = shutil.which("iiif-validate.py")
    assert script, "iiif-validate.py (iiif-validator, requirements/test.txt) is not installed"
    return subprocess.run(
        [sys.executable, script, "-s", live, "-p", "iiif/3", "-i", identifier,
         "--version=3.0", *args], capture_output=True, text=True, timeout=300)


def test_validator_passes_at_the_claimed_level(live, portal, testapp):
    with portal() as p:
        uid, ids = add_item(p, pages=1, image=validator_image(), size=(1000, 1000))
    identifier = f"{uid}~{ids[0]}"
    level = testapp.get(f"/iiif/3/{identifier}/info.json").json["profile"]
    assert level == "level2"
    run = validate(live, identifier, "--level=2")
    assert run.returncode == 0, run.stderr
    assert "Done (33 tests, 0 failures)" in run.stderr
    extras = validate(live, identifier, *[f"--test={t}" for t in EXTRA_TESTS])
    assert extras.returncode == 0, extras.stderr
    assert f"Done ({len(EXTRA_TESTS)} tests, 0 failures)" in extras.stderr

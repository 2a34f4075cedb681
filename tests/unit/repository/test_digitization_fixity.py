"""The fixity check finds a master whose bytes changed on disk after ingest."""
import os

from repository.digitization.fixity import check_all
from repository.pages import add_canvas
from tests.digitization_support import item_of, make_item


def test_a_changed_master_is_reported_and_recorded_on_the_item(app, portal):
    uid, _name = make_item(portal)
    with portal() as p:
        item = item_of(p, uid)
        add_canvas(item, b"\x89PNG master one", "image/png", 10, 10)
        add_canvas(item, b"\x89PNG master two", "image/png", 10, 10)
    with portal() as p:
        vi, en = check_all(p.request)
    assert "2 masters checked: no change" in en
    with portal() as p:
        path = item_of(p, uid).pages[1].master_path()
    os.chmod(path, 0o644)
    with open(path, "ab") as f:       # bit rot, or someone editing the blob store
        f.write(b"!")
    with portal() as p:
        vi, en = check_all(p.request)
    assert "1 CHANGED" in en and "ĐÃ THAY ĐỔI" in vi and "/ 2" in en
    with portal() as p:
        (label, expected, found), = item_of(p, uid).fixity_failures
        assert label == "2" and expected != found

"""Fixity: the SHA-256 of every master, computed again and compared with the one at ingest."""
import hashlib
import logging

from ..pages import pages_of
from ..resources import walk

log = logging.getLogger(__name__)


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_item(item):
    """``[(page label, expected, found)]`` of the item's masters that changed or vanished."""
    changed = []
    for canvas in pages_of(item):
        try:
            found = sha256_of(canvas.master_path())
        except (OSError, KeyError, AttributeError) as exc:
            found = f"missing ({type(exc).__name__})"
        if found != canvas.master_sha256:
            changed.append((canvas.label, canvas.master_sha256, found))
    return changed


def check_all(request):
    """The periodic ``fixity`` job: check every master; report any change.

    Returns the job's message ``(vi, en)``; a change is also logged as an error
    and recorded on the item (``item.fixity_failures``) for staff to see.
    """
    checked, problems = 0, []
    for site in request.root.sites():
        for obj in walk(site):
            pages = pages_of(obj)
            if not pages:
                continue
            checked += len(pages)
            changed = check_item(obj)
            if changed or getattr(obj, "fixity_failures", None):
                obj.fixity_failures = tuple(changed)
            for label, expected, found in changed:
                log.error("fixity: %s page %s: expected %s, found %s", obj.uid, label, expected,
                          found)
                problems.append(f"{obj.title or obj.uid} / {label}")
    if problems:
        listed = "; ".join(problems[:20])
        return (f"Đã kiểm tra {checked} ảnh gốc: {len(problems)} ảnh ĐÃ THAY ĐỔI: {listed}",
                f"{checked} masters checked: {len(problems)} CHANGED: {listed}")
    return (f"Đã kiểm tra {checked} ảnh gốc: không có thay đổi.",
            f"{checked} masters checked: no change.")

"""Uploaded scans on disk before and while they are digitized.

An upload is streamed in 1 MB chunks into ``<serepok.var>/digitization/<item
uid>/<batch>/`` and refused as soon as it passes the size limit, so a 2 GB
file is never held in memory. The files stay there until the job that turns
them into pages has finished: a failed job loses nothing and can be retried.
"""
import os
import re
import shutil
import uuid

from pyramid.i18n import TranslationStringFactory

from ..uploads import UploadError, megabytes

_ = TranslationStringFactory("serepok")

PDF, TIFF, JPEG, PNG = "application/pdf", "image/tiff", "image/jpeg", "image/png"
ACCEPTED = (PDF, TIFF, JPEG, PNG)
EXTENSIONS = {PDF: "pdf", TIFF: "tif", JPEG: "jpg", PNG: "png"}
CHUNK = 1 << 20
DEFAULT_MAX = 2 << 30        # 2 GiB for one upload (all its files)


def sniff(head):
    """The type of a scan from its first bytes (never from its name), or None."""
    if head.startswith(b"%PDF-") or head[:1024].find(b"%PDF-") >= 0:
        return PDF
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return TIFF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    return None


def max_upload_bytes(settings):
    return int(settings.get("digitization.max_upload_bytes", DEFAULT_MAX))


def root_dir(settings):
    return os.path.join(settings.get("serepok.var", "var"), "digitization")


def batch_dir(settings, item_uid, batch):
    if not re.fullmatch(r"[0-9a-f]{32}", item_uid) or not re.fullmatch(r"[0-9a-f]{12}", batch):
        raise ValueError("bad staging path")
    return os.path.join(root_dir(settings), item_uid, batch)


def _safe_name(filename):
    name = os.path.basename((filename or "").replace("\\", "/"))
    name = re.sub(r"[^\w.\-]+", "_", name, flags=re.UNICODE).strip("._")
    return name[:80] or "scan"


def receive(settings, item_uid, fields):
    """Stream uploaded files (cgi FieldStorage-like) to a new batch directory.

    Returns ``(batch, [file names in upload order])`` or raises
    :class:`UploadError` (and keeps nothing of a refused upload).
    """
    fields = [f for f in fields if f is not None and hasattr(f, "file")]
    if not fields:
        raise UploadError(_("Choose a file to upload."))
    limit = max_upload_bytes(settings)
    batch = uuid.uuid4().hex[:12]
    directory = batch_dir(settings, item_uid, batch)
    os.makedirs(directory)
    names, total = [], 0
    try:
        for index, field in enumerate(fields, 1):
            head = field.file.read(CHUNK)
            if not head:
                raise UploadError(_("The file ${name} is empty.",
                                    mapping={"name": _safe_name(field.filename)}))
            kind = sniff(head)
            if kind is None:
                raise UploadError(_("${name} is not a PDF, TIFF, JPEG or PNG file. "
                                    "Upload scans in one of these formats.",
                                    mapping={"name": _safe_name(field.filename)}))
            if kind == PDF and len(fields) > 1:
                raise UploadError(_("Upload a PDF on its own, or page images together, "
                                    "not both at once."))
            stem = os.path.splitext(_safe_name(field.filename))[0]
            name = f"{index:04d}-{stem}.{EXTENSIONS[kind]}"
            with open(os.path.join(directory, name), "wb") as out:
                chunk = head
                while chunk:
                    total += len(chunk)
                    if total > limit:
                        raise UploadError(_("The upload is larger than the limit of ${mb} MB.",
                                            mapping={"mb": megabytes(limit)}))
                    out.write(chunk)
                    chunk = field.file.read(CHUNK)
            names.append(name)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    return batch, names


def files_of(settings, item_uid, batch):
    directory = batch_dir(settings, item_uid, batch)
    return [os.path.join(directory, n) for n in sorted(os.listdir(directory))
            if not n.startswith(".")]


def discard(settings, item_uid, batch):
    """Remove a batch once its pages are safely stored in the repository."""
    shutil.rmtree(batch_dir(settings, item_uid, batch), ignore_errors=True)

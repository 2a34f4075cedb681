"""The digitization line: scans in, masters with checksums, OCR (Vietnamese and
English), a searchable PDF/A, word boxes, IIIF derivatives, suggested metadata.

``staging`` streams uploads to disk, ``ingest`` turns them into page masters,
``ocr`` runs Tesseract (one per core) and assembles the PDF/A with pikepdf, ``derivatives`` makes pyramidal TIFFs,
``metadata`` suggests fields, ``jobs`` is the ``digitize`` job, ``fixity`` the
daily re-check of the masters' SHA-256.
"""
from ils.jobs import JobError as JobFailure  # noqa: F401  (a job fails with a vi/en message)


def includeme(config):
    config.add_job_kind("digitize", "repository.digitization.jobs:digitize")
    config.add_periodic_job("fixity", "repository.digitization.fixity:check_all", "daily 02:30")

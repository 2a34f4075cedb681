"""The embedded index's documents: a union record turned into the JSON text
tantivy's ``IndexWriter.add_json`` reads, its text analysed for Vietnamese
(``federation.index.documents``).

Needs neither tantivy nor a database: the worker processes of a rebuild or a
large update (``federation.workers``) make documents here, and import only
this (a heavy import chain cost each worker most of a second of CPU at the
start of every ``serepok import marc``).
"""
import base64
import zlib

from federation.index.documents import analyze
from federation.records import Record
from ils import jsontext

__all__ = ["document_fields", "document_json", "analysed_json", "stored_document",
           "SAMPLE_BUCKETS", "MISSING_YEAR_DESC", "MISSING_YEAR_ASC"]

MISSING_YEAR_DESC = -(10 ** 9)     # sorts a record without a year last, newest first
MISSING_YEAR_ASC = 10 ** 9         # … and oldest first
SAMPLE_BUCKETS = 256               # ``sample``: a hash of the id, for sampled facet counts


def document_fields(record):
    """The indexed fields of ``record``'s tantivy document, as plain values
    (``document_json`` adds what is stored)."""
    doc = analyze(record)
    fields = {
        "id": [doc.id], "title_f": [doc.title_f], "author_f": [doc.author_f],
        "subject_f": [doc.subject_f], "all_f": [doc.all_f], "all_e": [doc.all_e],
        "title_key": [doc.title_key], "author_key": [doc.author_key],
        "newest": [MISSING_YEAR_DESC if doc.year is None else doc.year],
        "oldest": [MISSING_YEAR_ASC if doc.year is None else doc.year],
        "sample": [zlib.crc32(doc.id.encode()) % SAMPLE_BUCKETS],
    }
    if doc.year is not None:
        fields["year"] = [doc.year]
    if doc.isbn:
        fields["isbn"] = doc.isbn
    if doc.suggest:
        fields["suggest"] = doc.suggest
    for name, values in doc.facets.items():
        if values:
            fields[f"f_{name}"] = values
    return fields


def _bytes_value(text):
    """A bytes field's value in a JSON document: base64."""
    return base64.b64encode(text.encode()).decode("ascii")


def document_json(record, stored=None):
    """``record``'s tantivy document as the JSON text ``IndexWriter.add_json``
    reads: its fields, the record stored (``stored``: its JSON text without
    the full text, when the caller has it) and its full text. Needs no index:
    may run in a worker process."""
    fields = document_fields(record)
    if stored is None:
        stored = jsontext.dumps(record.to_dict(full_text=False))
    fields["data"] = [_bytes_value(stored)]
    if record.full_text:
        fields["full_text"] = [_bytes_value(record.full_text)]
    return jsontext.dumps(fields)


def analysed_json(item):
    """For a worker process: ``(record as JSON, full text)`` → its document."""
    text, full_text = item
    record = Record.from_dict(jsontext.loads(text), normalized=True)
    record.full_text = full_text or ""
    return document_json(record, stored=text)


def stored_document(text):
    """For a worker process: a record as the union store keeps it (JSON text,
    full text included) → ``(id, document)``, what ``_BulkBatch.index_analysed``
    writes."""
    record = Record.from_dict(jsontext.loads(text), normalized=True)
    return record.id, document_json(record)

"""The part of a MARC import that needs no database: a record read from the
file turned into what the importer stores (``prepare``), and the same for a
record's raw frame in a worker process (``prepare_frame``).

Kept apart from ``importer`` (SQLAlchemy, the models) so that a worker
process starts by importing only what it runs: what ``federation.workers``
spawns imports this module, and a heavy import chain cost each worker most of
a second of CPU at the start of every ``serepok import marc``.
"""
import hashlib
from dataclasses import dataclass, field

from ils import jsontext

from .fields import copies, describe, field_index
from .iso2709 import TooLongForIso2709, to_iso2709
from .marc import Entry
from .marcfile import read_frame
from .marcxml import to_marcxml

__all__ = ["prepare", "prepare_frame", "prepared_of"]


@dataclass
class _Stored:
    id: int
    control_number: str | None
    marc_hash: str
    library: str


@dataclass
class _Prepared:
    number: int
    offset: int | None
    line: int | None
    control_number: str | None
    description: dict
    marc: bytes
    marc_format: str
    marc_hash: str
    encoding: str
    copies: list
    match: _Stored | None = None
    record_id: int | None = None
    isbns: list = field(default_factory=list)


def prepare(entry):
    """A record read from the file, ready to store (no look-ups: it may run in
    a worker process)."""
    record = entry.record
    index = field_index(record)
    description = describe(record, index)
    try:
        marc, marc_format = record.raw or to_iso2709(record), "iso2709"
    except TooLongForIso2709:
        marc, marc_format = to_marcxml(record), "marcxml"
    return _Prepared(
        number=entry.number, offset=entry.offset, line=entry.line,
        control_number=description["control_number"], description=description, marc=marc,
        marc_format=marc_format, marc_hash=hashlib.blake2b(marc, digest_size=16).hexdigest(),
        encoding=record.encoding[:24], copies=copies(record, index),
        isbns=description["isbns"])


def prepare_frame(item):
    """``prepare`` for a frame of ``MarcFile.frames``, in a worker process: the
    ``Entry`` telling why the record cannot be read, or the prepared record as
    ``(UTF-8 JSON, MARC bytes or None when they are the frame's own)``: a few
    long byte strings cross between processes much faster than many small
    objects (measured: pickling the ``_Prepared`` objects cost more than
    reading), and bytes faster than text, which is encoded to cross and
    decoded again on the other side."""
    frame, encoding = item
    entry = read_frame(frame, encoding)
    if entry.error is not None:
        return entry
    p = prepare(entry)
    data = {name: getattr(p, name) for name in _SENT}
    return jsontext.dumps_bytes(data), (None if p.marc is frame[2] else p.marc)


def prepared_of(frame, answer):
    """The ``_Prepared`` of ``prepare_frame``'s answer for ``frame``."""
    if isinstance(answer, Entry):
        return answer
    text, marc = answer
    data = jsontext.loads(text)
    return _Prepared(marc=frame[2] if marc is None else marc, **data)


_SENT = ("number", "offset", "line", "control_number", "description", "marc_format",
         "marc_hash", "encoding", "copies", "isbns")

"""Store the records of a source that is not a MARC file, keyed within the source.

OAI-PMH harvests and commune-library spreadsheets both end here. Each record
arrives as a ``MarcRecord`` with a *key* that identifies it within its source
(an OAI identifier, a spreadsheet's ISBN or title key); the key is kept as
``BibRecord.control_number``, so storing the same key again updates the same
row, and a record whose MARC did not change is left alone. The key fields are
extracted exactly as the MARC importer extracts them (``ils.catalogue.fields``),
and the MARC is kept whole: ISO 2709, or MARCXML when too long for it.

Writes are bulk statements on the caller's session, a few per batch; nothing
is committed here.
"""
import hashlib
from dataclasses import dataclass

from sqlalchemy import delete, insert, select, update

from ..catalogue.fields import describe, field_index
from ..catalogue.iso2709 import TooLongForIso2709, to_iso2709
from ..catalogue.marcxml import to_marcxml
from ..catalogue.models import BibRecord, Item, ItemStatus, RecordIsbn, utcnow

__all__ = ["Incoming", "SourceRecords", "key_of", "CREATED", "UPDATED", "UNCHANGED"]

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
_CHUNK = 500
_COLUMNS = ("title", "statement", "authors", "publisher", "place", "year", "issns",
            "languages", "subjects", "ddc", "record_type", "bib_level", "format", "title_key",
            "author_key")


def key_of(identifier):
    """A control number for ``identifier``: itself when it fits 64 characters, else
    ``h:`` and a hash of it (long OAI identifiers exist)."""
    if len(identifier) <= 64:
        return identifier
    return "h:" + hashlib.blake2b(identifier.encode("utf-8"), digest_size=20).hexdigest()


def _chunks(values, size=_CHUNK):
    values = list(values)
    for i in range(0, len(values), size):
        yield values[i:i + size]


@dataclass
class Incoming:
    """A record to store: its key within the source and the MARC record."""
    key: str
    record: object


class SourceRecords:
    """The records of one source (``oai:partner``, ``csv:xa-ea-kao``) held by ``library``."""

    def __init__(self, session, source, library, file_name="", clock=utcnow):
        self.db = session
        self.source = source
        self.library = library
        self.file_name = (file_name or "")[:255]
        self.clock = clock

    def existing(self, keys):
        """Key → (record id, MARC hash) of the stored records with these keys."""
        found = {}
        for chunk in _chunks(set(keys)):
            for row in self.db.execute(
                    select(BibRecord.control_number, BibRecord.id, BibRecord.marc_hash,
                           BibRecord.library)
                    .where(BibRecord.source == self.source,
                           BibRecord.control_number.in_(chunk))):
                found[row.control_number] = (row.id, row.marc_hash, row.library)
        return found

    def _row(self, key, record, now):
        index = field_index(record)
        d = describe(record, index)
        try:
            marc, marc_format = to_iso2709(record), "iso2709"
        except TooLongForIso2709:
            marc, marc_format = to_marcxml(record), "marcxml"
        row = {column: d[column] for column in _COLUMNS}
        row.update(source=self.source, control_number=key, library=self.library,
                   source_file=self.file_name, marc=marc, marc_format=marc_format,
                   marc_hash=hashlib.blake2b(marc, digest_size=16).hexdigest(),
                   encoding=(record.encoding or "utf-8")[:24], language=d["language"][:3],
                   updated=now)
        return row, d["isbns"]

    def store(self, incoming):
        """Store ``incoming`` (Incoming, keys unique); return key → (record id, outcome)."""
        now = self.clock()
        stored = self.existing(i.key for i in incoming)
        new, changed, result = [], [], {}
        for item in incoming:
            row, isbns = self._row(item.key, item.record, now)
            before = stored.get(item.key)
            if before is None:
                row["created"] = now
                new.append((row, isbns))
            elif before[1] != row["marc_hash"] or before[2] != self.library:
                row["id"] = before[0]
                changed.append((row, isbns))
                result[item.key] = (before[0], UPDATED)
            else:
                result[item.key] = (before[0], UNCHANGED)
        if new:
            returned = self.db.execute(
                insert(BibRecord).returning(BibRecord.id, BibRecord.control_number),
                [row for row, _isbns in new])
            ids = {number: record_id for record_id, number in returned}
            for row, _isbns in new:
                row["id"] = ids[row["control_number"]]
                result[row["control_number"]] = (row["id"], CREATED)
        if changed:
            self.db.execute(update(BibRecord), [row for row, _isbns in changed])
            for chunk in _chunks(row["id"] for row, _isbns in changed):
                self.db.execute(delete(RecordIsbn).where(RecordIsbn.record_id.in_(chunk)))
        isbn_rows = [{"record_id": row["id"], "isbn": isbn, "position": i}
                     for row, isbns in new + changed for i, isbn in enumerate(isbns)]
        if isbn_rows:
            self.db.execute(insert(RecordIsbn), isbn_rows)
        return result

    def withdraw(self, record_ids):
        """Mark records their source deleted: their copies become withdrawn.

        The BibRecord itself stays (with its MARC) so a later harvest can bring
        it back; ``OaiRecord.deleted`` says the source no longer has it.
        """
        ids = list(record_ids)
        for chunk in _chunks(ids):
            self.db.execute(
                update(Item).where(Item.record_id.in_(chunk),
                                   Item.status != ItemStatus.WITHDRAWN)
                .values(status=ItemStatus.WITHDRAWN, updated=self.clock()))
        return ids

"""Import a site's catalogue from a MARC file into the SQL store.

``MarcImporter(session, library="bmt").run(path)`` reads ISO 2709 or MARCXML
in any encoding (``marcfile``, ``charsets``), stores each record whole with its
key fields (``fields``), creates or updates its copies from 852/952, and
returns an ``ImportReport``. A damaged record is skipped and reported with its
place in the file; the others are imported.

Re-running a file is safe. A record is the same record when, within the same
source, it has the same control number (001); a record is also recognised by
its ISBN, or by identical content, when one side has no control number (a
first import from a file without 001). Two records with different control
numbers are never merged here, even with the same ISBN (volumes of a set
share one): merging across records and sources is the union catalogue's job.
A matched record is updated only when its MARC changed; a copy is matched by
barcode. Nothing is ever deleted: a record or copy missing from the file stays.

The importer writes through the given SQLAlchemy session with bulk statements
(a few per batch of records, no per-record flush) and never commits: the
caller's transaction decides, so a failed import leaves the store as it was.
"""
import os
import re

from sqlalchemy import delete, func, insert, select, text, update

from ils.db import insert_rows
from ils.gcpause import paused_gc

from .charsets import check_encoding
from .marc import Entry
from .marcfile import MarcFile
from .models import BibRecord, Item, ItemStatus, RecordIsbn, utcnow
from .prepare import _Prepared, _Stored, prepare, prepare_frame, prepared_of  # noqa: F401
from .report import ImportReport, ItemProblem, Reason, Rejection

__all__ = ["MarcImporter", "LIBRARY_CODE"]

LIBRARY_CODE = re.compile(r"[a-z0-9][a-z0-9._-]{0,79}\Z")
_CHUNK = 500            # values per IN (...) list
PARALLEL_BYTES = 1_000_000   # ISO 2709 files from this size are read by worker processes
_RECORD_COLUMNS = ("title", "statement", "authors", "publisher", "place", "year", "issns",
                   "language", "languages", "subjects", "ddc", "record_type", "bib_level",
                   "format", "title_key", "author_key")
_ITEM_COLUMNS = ("record_id", "library", "branch", "location", "call_number", "item_type",
                 "status")


def _chunks(values, size=_CHUNK):
    values = list(values)
    for i in range(0, len(values), size):
        yield values[i:i + size]




class MarcImporter:
    """Import MARC files for one library (see the module docstring).

    ``library``: the site (``bmt``, ``tuy-hoa``) or commune library whose
    catalogue this is; ``source``: the name records are identified under
    (default: the library); ``branches``: Koha branch code → library, for a
    file holding several libraries' copies; ``encoding``: force the character
    encoding of an ISO 2709 file whose leader lies; ``written``: told what
    the run creates, for the caller's next step in this process
    (``federation.sources.Imported``): ``created(record id, BibRecord row,
    ISBNs)``, ``copy_created(Item row)``, ``copy_moved(record id)`` for a
    record that took a copy from another one.
    """

    def __init__(self, session, library, source=None, branches=None, encoding=None,
                 batch_size=1000, clock=utcnow, written=None):
        for code in [library, source or library, *(branches or {}).values()]:
            if not LIBRARY_CODE.match(code or ""):
                raise ValueError(f"not a library code: {code!r}")
        self.db = session
        self.library = library
        self.source = source or library
        self.branches = dict(branches or {})
        self.encoding = check_encoding(encoding) if encoding else None
        self.batch_size = batch_size
        self.clock = clock
        # what the run creates, for the union catalogue update that follows it in the
        # same process (``federation.sources.CatalogueSource``): it need not read back
        self.written = written

    @paused_gc()
    def run(self, file, name=None, progress=None):
        """Import ``file`` (a path, a binary file object or bytes); return the report.

        Raises ``NotMarcError`` before storing anything when the file is not
        MARC at all. ``progress(records_read, byte_offset)`` is called after
        each batch.
        """
        if name is None:
            name = os.path.basename(str(file)) if isinstance(file, (str, os.PathLike)) else ""
        report = ImportReport(file=name)
        self._now = self.clock()
        self._name = name[:255]
        self._seen_numbers = {}      # control number → record number, this run
        self._seen_barcodes = {}     # barcode → record number, this run
        self._claimed = set()        # stored records already matched this run
        # Only what was stored before this run can match (repeats within the file
        # are caught by the two dicts above), so a first import skips the look-ups.
        self._records_before = self.db.execute(
            select(BibRecord.id).where(BibRecord.source == self.source).limit(1)
        ).first() is not None
        self._items_before = self.db.execute(select(Item.id).limit(1)).first() is not None
        with MarcFile(file, self.encoding) as marc:
            report.format = marc.format
            batch, position = [], 0
            for found in self._read(marc):
                report.read += 1
                if isinstance(found, Entry):
                    report.rejected.append(Rejection(found.number, found.error, found.offset,
                                                     found.line, found.control_number))
                    continue
                position = found.offset or position
                prepared = self._accept(found, report)
                if prepared is not None:
                    batch.append(prepared)
                if len(batch) >= self.batch_size:
                    self._store(batch, report)
                    batch = []
                    if progress:
                        progress(report.read, marc.position() if found.offset is None
                                 else position)
            if batch:
                self._store(batch, report)
            if progress:
                progress(report.read, marc.size)
            report.stopped = marc.stopped
        return report

    def _read(self, marc):
        """Each record of the file prepared (``_Prepared``), or the ``Entry`` of
        one that could not be read. A large ISO 2709 file is read by worker
        processes on every core (``federation.workers``), in file order."""
        if marc.format == "iso2709" and marc.size >= PARALLEL_BYTES:
            from federation.workers import ordered_map
            frames = [(frame, self.encoding) for frame in marc.frames()]
            for (frame, _encoding), answer in zip(frames, ordered_map(prepare_frame, frames)):
                yield prepared_of(frame, answer)
            return
        for entry in marc.entries():
            yield entry if entry.error is not None else prepare(entry)

    # --- one record ---------------------------------------------------------

    def _accept(self, prepared, report):
        """Checks that need the rest of the file: the prepared record, or None
        when it is rejected (and reported)."""
        number = prepared.control_number

        def reject(reason):
            report.rejected.append(Rejection(prepared.number, reason, prepared.offset,
                                             prepared.line, number))

        if number is not None and len(number) > 64:
            reject(Reason.of("The control number (001) is longer than 64 characters.",
                             "Số kiểm soát (001) dài quá 64 ký tự."))
            return None
        if number is not None:
            first = self._seen_numbers.get(number)
            if first is not None:
                reject(Reason.of(
                    "The control number ${number} appears again (first at record ${first}); "
                    "this copy of it was not imported.",
                    "Số kiểm soát ${number} lặp lại (lần đầu ở biểu ghi ${first}); bản lặp "
                    "này không được nhập.", number=number, first=first))
                return None
            self._seen_numbers[number] = prepared.number
        if prepared.encoding != "utf-8":
            report.encodings[prepared.encoding] = report.encodings.get(prepared.encoding, 0) + 1
        return prepared

    # --- one batch ------------------------------------------------------------

    def _store(self, batch, report):
        self._match(batch)
        new, changed = [], []
        for p in batch:
            stored = p.match
            if stored is None:
                new.append(p)
            elif (stored.marc_hash != p.marc_hash or stored.library != self.library
                  or stored.control_number != p.control_number):
                p.record_id = stored.id
                changed.append(p)
            else:
                p.record_id = stored.id
                report.unchanged += 1
                report.unchanged_ids.append(stored.id)
        rows = [self._row(p, created=True) for p in new]
        if new:
            ids = self._insert_records(rows)
            for p, record_id, row in zip(new, ids, rows):
                p.record_id = row["id"] = record_id
        if changed:
            self.db.execute(update(BibRecord),
                            [dict(self._row(p), id=p.record_id) for p in changed])
            for ids in _chunks(p.record_id for p in changed):
                self.db.execute(delete(RecordIsbn).where(RecordIsbn.record_id.in_(ids)))
        isbn_rows = [{"record_id": p.record_id, "isbn": isbn, "position": i}
                     for p in new + changed for i, isbn in enumerate(p.isbns)]
        if isbn_rows:
            insert_rows(self.db, RecordIsbn, isbn_rows)
        report.created += len(new)
        report.updated += len(changed)
        report.changed_ids.extend(p.record_id for p in new + changed)
        if self.written is not None:
            for p, row in zip(new, rows):
                self.written.created(p.record_id, row, p.isbns)
        # an unchanged record leaves its copies alone: they may have moved on since
        self._store_items(new + changed, report)

    def _insert_records(self, rows):
        """Insert ``rows``, returning their ids in order.

        RETURNING with guaranteed order costs a statement per row on SQLite and
        builds huge statements on PostgreSQL, so ids come another way:
        PostgreSQL hands out a block of its sequence first; SQLite numbers new
        rows one past the largest id, and no one else can insert while this
        transaction writes, so the ids are the last ``len(rows)``.
        """
        dialect = self.db.get_bind().dialect.name
        if dialect == "postgresql":
            ids = self.db.execute(text(
                "SELECT nextval(pg_get_serial_sequence('bib_records', 'id')) "
                "FROM generate_series(1, :n)"), {"n": len(rows)}).scalars().all()
            for row, record_id in zip(rows, ids):
                row["id"] = record_id
            insert_rows(self.db, BibRecord, rows)
            return ids
        if dialect == "sqlite":
            insert_rows(self.db, BibRecord, rows)
            last = self.db.scalar(select(func.max(BibRecord.id)))
            return list(range(last - len(rows) + 1, last + 1))
        return self.db.execute(
            insert(BibRecord).returning(BibRecord.id, sort_by_parameter_order=True), rows
        ).scalars().all()

    def _row(self, p, created=False):
        d = p.description
        row = {column: d[column] for column in _RECORD_COLUMNS}
        row.update(source=self.source, control_number=p.control_number, library=self.library,
                   source_file=self._name, marc=p.marc, marc_format=p.marc_format,
                   marc_hash=p.marc_hash, encoding=p.encoding, updated=self._now,
                   language=d["language"][:3])
        if created:
            row["created"] = self._now
        return row

    def _match(self, batch):
        """Find the stored record each prepared record is (see the module docstring)."""
        if not self._records_before:
            return
        numbers = [p.control_number for p in batch if p.control_number]
        found = {}
        for chunk in _chunks(numbers):
            rows = self.db.execute(
                select(BibRecord.id, BibRecord.control_number, BibRecord.marc_hash,
                       BibRecord.library)
                .where(BibRecord.source == self.source, BibRecord.control_number.in_(chunk)))
            found.update((row.control_number, _Stored(*row)) for row in rows)
        unmatched = []
        for p in batch:
            p.match = found.get(p.control_number) if p.control_number else None
            if p.match is None:
                unmatched.append(p)
            else:
                self._claimed.add(p.match.id)
        if unmatched:
            self._match_without_number(unmatched)

    def _match_without_number(self, batch):
        """Stored records that have no 001: the same content, else a shared ISBN."""
        unnumbered = (BibRecord.source == self.source, BibRecord.control_number.is_(None))
        by_hash, by_isbn = {}, {}
        for chunk in _chunks({p.marc_hash for p in batch}):
            for row in self.db.execute(
                    select(BibRecord.id, BibRecord.control_number, BibRecord.marc_hash,
                           BibRecord.library)
                    .where(*unnumbered, BibRecord.marc_hash.in_(chunk))
                    .order_by(BibRecord.id)):
                by_hash.setdefault(row.marc_hash, []).append(_Stored(*row))
        for chunk in _chunks({isbn for p in batch for isbn in p.isbns}):
            for row in self.db.execute(
                    select(RecordIsbn.isbn, BibRecord.id, BibRecord.control_number,
                           BibRecord.marc_hash, BibRecord.library)
                    .join(BibRecord, BibRecord.id == RecordIsbn.record_id)
                    .where(*unnumbered, RecordIsbn.isbn.in_(chunk))
                    .order_by(BibRecord.id)):
                by_isbn.setdefault(row.isbn, []).append(_Stored(*row[1:]))
        for p in batch:
            candidates = by_hash.get(p.marc_hash, []) + [
                stored for isbn in p.isbns for stored in by_isbn.get(isbn, [])]
            for stored in candidates:
                if stored.id not in self._claimed:
                    p.match = stored
                    self._claimed.add(stored.id)
                    break

    # --- copies -----------------------------------------------------------------

    def _store_items(self, batch, report):
        wanted = {}
        for p in batch:
            for copy in p.copies:
                problem = self._check_copy(p, copy)
                if problem is not None:
                    report.item_problems.append(ItemProblem(p.number, copy["tag"], problem,
                                                            copy["barcode"][:64]))
                    continue
                library = self.branches.get(copy["branch"], self.library)
                wanted[copy["barcode"]] = {
                    "record_id": p.record_id, "library": library, "branch": copy["branch"],
                    "location": copy["location"][:200], "call_number": copy["call_number"][:200],
                    "item_type": copy["item_type"], "status": ItemStatus(copy["status"]),
                    "_number": p.number, "_tag": copy["tag"]}
        if not wanted:
            return
        existing = {}
        for chunk in _chunks(wanted if self._items_before else ()):
            for row in self.db.execute(
                    select(Item.id, Item.barcode, Item.source, *[getattr(Item, c) for c in
                                                                 _ITEM_COLUMNS])
                    .where(Item.barcode.in_(chunk))):
                existing[row.barcode] = row
        inserts, updates = [], []
        for barcode, item in wanted.items():
            number, tag = item.pop("_number"), item.pop("_tag")
            row = existing.get(barcode)
            if row is None:
                inserts.append(dict(item, barcode=barcode, source=self.source,
                                    created=self._now, updated=self._now))
            elif row.library != item["library"] and row.source != self.source:
                report.item_problems.append(ItemProblem(number, tag, Reason.of(
                    "The barcode is already used by a copy of library ${library}.",
                    "Mã vạch đã được dùng cho một bản sách của thư viện ${library}.",
                    library=row.library), barcode))
            elif any(getattr(row, column) != item[column] for column in _ITEM_COLUMNS):
                updates.append(dict(item, id=row.id, source=self.source, updated=self._now))
            else:
                report.items_unchanged += 1
        if inserts:
            insert_rows(self.db, Item, inserts)
        if updates:
            self.db.execute(update(Item), updates)
        if self.written is not None:
            for item in inserts:
                self.written.copy_created(item)
            for item in updates:
                self.written.copy_moved(item["record_id"])
        report.items_created += len(inserts)
        report.items_updated += len(updates)

    def _check_copy(self, p, copy):
        barcode = copy["barcode"]
        if not barcode:
            return Reason.of(
                "The copy has no barcode; it stays in the MARC record but is not an item.",
                "Bản sách không có mã vạch; vẫn còn trong biểu ghi MARC nhưng không thành "
                "bản sách để lưu thông.")
        if len(barcode) > 64:
            return Reason.of("The barcode is longer than 64 characters.",
                             "Mã vạch dài quá 64 ký tự.")
        first = self._seen_barcodes.get(barcode)
        if first is not None:
            return Reason.of("The barcode is used again (first at record ${first}).",
                             "Mã vạch bị dùng lặp (lần đầu ở biểu ghi ${first}).", first=first)
        self._seen_barcodes[barcode] = p.number
        return None

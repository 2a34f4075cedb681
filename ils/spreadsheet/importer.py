"""Import a commune library's holdings from a spreadsheet into the catalogue.

``SpreadsheetImporter(session, "xa-ea-kao").run(data, "sach.xlsx")`` reads the
file (``reader``), checks every row, and stores one record per title under
the source ``csv:xa-ea-kao`` with the library's copies as ``Item`` rows. It
returns a ``SpreadsheetReport``; a row that cannot be used is listed with its
row number and the reason, and the other rows are imported.

Copies are recognised by their accession numbers (số đăng ký cá biệt), kept
as ``<library>:<number>`` because every library numbers its register from 1.
A title is recognised, in this order, by an accession number already stored
for it, by its ISBN, or by its folded title, author and year; rows of the
same title make one record with all their copies. So uploading the same file
again, or a corrected one, updates instead of duplicating. A row without
accession numbers gets numbered copies (``<library>:#<key>-1``…) as many as
``Số bản`` says; copies the file no longer lists are never deleted, but
numbered copies above a lowered ``Số bản`` are withdrawn.

Nothing is committed here: the request's transaction decides.
"""
import datetime
import hashlib
import re
from dataclasses import dataclass, field

from sqlalchemy import insert, select, update

from federation.analysis import tokens

from ..catalogue.fields import isbn13
from ..catalogue.marc import ControlField, DataField, MarcRecord
from ..catalogue.models import BibRecord, Item, ItemStatus, utcnow
from ..catalogue.report import Reason
from ..harvest.dublincore import LANGUAGE_CODES
from ..harvest.store import CREATED, UPDATED, Incoming, SourceRecords
from .reader import read_sheet

__all__ = ["SpreadsheetImporter", "SpreadsheetReport", "RowProblem", "MAX_COPIES"]

MAX_COPIES = 1000
_YEAR = re.compile(r"(?<!\d)(1[4-9]\d\d|20\d\d)(?!\d)")
_SPLIT = re.compile(r"\s*[;\n]\s*")
_SPLIT_BARCODES = re.compile(r"\s*[;,\n]\s*")
_CHUNK = 500


@dataclass
class RowProblem:
    row: int
    reason: Reason

    def __str__(self):
        return f"dòng / row {self.row}: {self.reason}"


@dataclass
class SpreadsheetReport:
    """What an upload did. ``rows`` counts the data rows read (empty rows skipped)."""

    file: str = ""
    format: str = ""
    sheet: str = ""
    library: str = ""
    rows: int = 0
    records_created: int = 0
    records_updated: int = 0
    records_unchanged: int = 0
    items_created: int = 0
    items_updated: int = 0
    items_unchanged: int = 0
    items_withdrawn: int = 0
    problems: list = field(default_factory=list)
    legacy: str | None = None
    ignored_columns: list = field(default_factory=list)
    stopped: Reason | None = None
    changed_ids: list = field(default_factory=list)
    unchanged_ids: list = field(default_factory=list)
    # how many of the file's titles the union catalogue shows merged with another
    # source record (the same book at a site, or a duplicate): None until it has
    # taken them in
    merged: int | None = None

    @property
    def imported_rows(self):
        return self.rows - len(self.problems)

    def summary_lines(self):
        lines = [
            f"Tệp / file: {self.file} ({self.format}) → {self.library}",
            f"Dòng đã đọc / rows read: {self.rows}; bị loại / rejected: {len(self.problems)}",
            f"Biểu ghi / records: {self.records_created} tạo mới / created, "
            f"{self.records_updated} cập nhật / updated, {self.records_unchanged} "
            f"không đổi / unchanged",
        ]
        if self.merged is not None:
            lines.append(f"Gộp trong mục lục liên hợp / merged in the union catalogue: "
                         f"{self.merged}")
        lines += [
            f"Bản sách / copies: {self.items_created} tạo mới / created, {self.items_updated} "
            f"cập nhật / updated, {self.items_unchanged} không đổi / unchanged, "
            f"{self.items_withdrawn} rút khỏi kho / withdrawn",
        ]
        if self.legacy:
            lines.append(f"Đã chuyển mã / converted from: {self.legacy}")
        lines.extend(f"  ✗ {problem}" for problem in self.problems)
        if self.stopped is not None:
            lines.append(f"Dừng / stopped: {self.stopped}")
        return lines


@dataclass
class _Row:
    number: int
    values: dict
    isbns: list
    year: int | None
    language: str
    barcodes: list
    copies: int | None
    authors: list
    subjects: list


def _digest(text, size=6):
    return hashlib.blake2b(text.encode("utf-8"), digest_size=size).hexdigest()


def _field(tag, indicators, *subfields):
    return DataField(tag, indicators, [(code, value) for code, value in subfields if value])


def marc_for_row(library, key, row):
    """The minimal MARC 21 record of a spreadsheet row (encoding level 7)."""
    v = row.values
    year = str(row.year) if row.year else ""
    fixed = ("||||||" + ("s" + year if year else "nuuuu") + "    vm " + " " * 17
             + (row.language or "vie") + " d")
    fields = [ControlField("001", key), ControlField("003", library),
              ControlField("008", fixed)]
    fields.extend(_field("020", "  ", ("a", isbn)) for isbn in row.isbns)
    if row.language and row.language != "vie":
        fields.append(_field("041", "0 ", ("a", row.language)))
    if v.get("ddc"):
        fields.append(_field("082", "04", ("a", v["ddc"])))
    if row.authors:
        fields.append(_field("100", "1 ", ("a", row.authors[0])))
    title, _colon, subtitle = v["title"].partition(" : ")
    fields.append(_field("245", ("1" if row.authors else "0") + "0", ("a", title.strip()),
                         ("b", subtitle.strip()), ("c", ", ".join(row.authors))))
    if v.get("place") or v.get("publisher") or year:
        fields.append(_field("260", "  ", ("a", v.get("place", "")),
                             ("b", v.get("publisher", "")), ("c", year)))
    if v.get("note"):
        fields.append(_field("500", "  ", ("a", v["note"])))
    fields.extend(_field("653", "  ", ("a", subject)) for subject in row.subjects)
    fields.extend(_field("700", "1 ", ("a", author)) for author in row.authors[1:])
    return MarcRecord("00000nam a22000007u 4500", [f for f in fields if f.control or f.subfields],
                      "utf-8", maybe_legacy=False)


class SpreadsheetImporter:
    """Import spreadsheets of holdings for the library ``library`` (its code)."""

    def __init__(self, session, library, clock=utcnow):
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,39}", library or ""):
            raise ValueError(f"not a library code: {library!r}")
        self.db = session
        self.library = library
        self.source = f"csv:{library}"
        self.clock = clock
        self.max_barcode = 64 - len(library) - 1

    def run(self, data, filename=""):
        """Import ``data`` (the file's bytes); raises ``SheetError`` if unreadable."""
        sheet = read_sheet(data, filename)
        report = SpreadsheetReport(file=filename, format=sheet.format, sheet=sheet.name,
                                   library=self.library, rows=len(sheet.rows),
                                   legacy=sheet.legacy, ignored_columns=sheet.ignored,
                                   stopped=sheet.stopped)
        rows = self._check(sheet.rows, report)
        if rows:
            self._store(rows, report, filename)
        report.problems.sort(key=lambda p: p.row)
        return report

    # --- rows -------------------------------------------------------------------------

    def _check(self, raw_rows, report):
        good, seen = [], {}
        this_year = datetime.date.today().year
        for number, values in raw_rows:
            def problem(english, vietnamese, **mapping):
                report.problems.append(RowProblem(number, Reason.of(english, vietnamese,
                                                                    **mapping)))
            if not values.get("title"):
                problem("The title (Nhan đề) is empty.", "Nhan đề đang để trống.")
                continue
            if len(values["title"]) > 1000:
                problem("The title is longer than 1000 characters.",
                        "Nhan đề dài quá 1000 ký tự.")
                continue
            year = None
            if values.get("year"):
                match = _YEAR.search(values["year"])
                if match is None or int(match.group(1)) > this_year + 1:
                    problem("The year “${value}” is not a year such as 2019.",
                            "Năm “${value}” không phải một năm như 2019.",
                            value=values["year"][:40])
                    continue
                year = int(match.group(1))
            isbns, bad = [], None
            for written in _SPLIT_BARCODES.split(values.get("isbn", "")):
                if written:
                    number13 = isbn13(written)
                    if number13 is None:
                        bad = written
                        break
                    isbns.append(number13)
            if bad is not None:
                problem("The ISBN “${value}” is not valid; check its digits.",
                        "ISBN “${value}” không hợp lệ; hãy kiểm tra các chữ số.",
                        value=bad[:40])
                continue
            language = "vie"
            if values.get("language"):
                written = values["language"].strip().lower()
                language = LANGUAGE_CODES.get(written) or (
                    written if re.fullmatch(r"[a-z]{3}", written) else None)
                if language is None:
                    problem("The language “${value}” is not known; write a code such as vie "
                            "or eng.",
                            "Không rõ ngôn ngữ “${value}”; hãy ghi mã như vie hoặc eng.",
                            value=values["language"][:40])
                    continue
            copies = None
            if values.get("copies"):
                written = values["copies"].strip()
                if not written.isdigit() or not 1 <= int(written) <= MAX_COPIES:
                    problem("The number of copies “${value}” must be a whole number from 1 "
                            "to ${n}.",
                            "Số bản “${value}” phải là số nguyên từ 1 đến ${n}.",
                            value=written[:40], n=MAX_COPIES)
                    continue
                copies = int(written)
            barcodes, wrong = [], None
            for written in _SPLIT_BARCODES.split(values.get("barcodes", "")):
                if not written:
                    continue
                if len(written) > self.max_barcode:
                    wrong = Reason.of(
                        "The accession number “${value}” is longer than ${n} characters.",
                        "Số ĐKCB “${value}” dài quá ${n} ký tự.", value=written[:80],
                        n=self.max_barcode)
                elif written in seen:
                    wrong = Reason.of(
                        "The accession number ${value} is already on row ${row}.",
                        "Số ĐKCB ${value} đã có ở dòng ${row}.", value=written,
                        row=seen[written])
                if wrong:
                    break
                barcodes.append(written)
            if wrong is not None:
                report.problems.append(RowProblem(number, wrong))
                continue
            for written in barcodes:
                seen[written] = number
            good.append(_Row(
                number, values, list(dict.fromkeys(isbns)), year, language,
                [f"{self.library}:{b}" for b in barcodes], copies,
                [a for a in _SPLIT.split(values.get("authors", "")) if a][:20],
                [s for s in _SPLIT.split(values.get("subjects", "")) if s][:50]))
        return good

    # --- store ------------------------------------------------------------------------

    def _existing_items(self, barcodes):
        found = {}
        barcodes = list(barcodes)
        for i in range(0, len(barcodes), _CHUNK):
            for row in self.db.execute(
                    select(Item.id, Item.barcode, Item.record_id, Item.library, Item.call_number,
                           Item.status).where(Item.barcode.in_(barcodes[i:i + _CHUNK]))):
                found[row.barcode] = row
        return found

    def _keys_of_records(self, record_ids):
        keys = {}
        record_ids = list(record_ids)
        for i in range(0, len(record_ids), _CHUNK):
            keys.update(self.db.execute(
                select(BibRecord.id, BibRecord.control_number)
                .where(BibRecord.id.in_(record_ids[i:i + _CHUNK]),
                       BibRecord.source == self.source)).all())
        return keys

    def _key(self, row, stored_items, keys):
        for barcode in row.barcodes:
            item = stored_items.get(barcode)
            if item is not None and keys.get(item.record_id):
                return keys[item.record_id]
        if row.isbns:
            return "isbn:" + row.isbns[0]
        authors = " ".join(sorted(set(tokens(row.authors[0])))) if row.authors else ""
        basis = "|".join((" ".join(tokens(row.values["title"])), authors, str(row.year or "")))
        return "k:" + _digest(basis, 12)

    def _store(self, rows, report, filename):
        stored_items = self._existing_items(b for row in rows for b in row.barcodes)
        keys = self._keys_of_records({item.record_id for item in stored_items.values()})
        groups = {}
        for row in rows:
            groups.setdefault(self._key(row, stored_items, keys), []).append(row)
        records = SourceRecords(self.db, self.source, self.library, file_name=filename,
                                clock=self.clock)
        result = records.store([Incoming(key, marc_for_row(self.library, key, group[0]))
                                for key, group in groups.items()])
        for record_id, outcome in result.values():
            if outcome == CREATED:
                report.records_created += 1
            elif outcome == UPDATED:
                report.records_updated += 1
            else:
                report.records_unchanged += 1
            if outcome in (CREATED, UPDATED):
                report.changed_ids.append(record_id)
            else:
                report.unchanged_ids.append(record_id)
        wanted, numbered = {}, {}
        for key, group in groups.items():
            record_id = result[key][0]
            prefix = f"{self.library}:#{_digest(key)}-"
            numbered[prefix] = 0
            for row in group:
                for barcode in row.barcodes:
                    wanted[barcode] = (row, record_id)
                for _extra in range(max(row.copies or 1, len(row.barcodes)) - len(row.barcodes)):
                    numbered[prefix] += 1
                    wanted[f"{prefix}{numbered[prefix]}"] = (row, record_id)
        self._store_items(wanted, numbered, report)

    def _store_items(self, wanted, numbered, report):
        now = self.clock()
        stored = dict(self._existing_items(wanted))
        inserts, updates = [], []
        for barcode, (row, record_id) in wanted.items():
            call_number = row.values.get("call_number", "")[:200]
            item = stored.get(barcode)
            if item is None:
                inserts.append({"barcode": barcode, "record_id": record_id,
                                "library": self.library, "branch": "", "location": "",
                                "call_number": call_number, "item_type": "",
                                "status": ItemStatus.AVAILABLE, "source": self.source,
                                "created": now, "updated": now})
            elif item.library != self.library:
                report.problems.append(RowProblem(row.number, Reason.of(
                    "The accession number ${value} belongs to a copy of library ${library}.",
                    "Số ĐKCB ${value} thuộc một bản sách của thư viện ${library}.",
                    value=barcode.split(":", 1)[1], library=item.library)))
            elif (item.record_id != record_id or item.call_number != call_number
                  or item.status == ItemStatus.WITHDRAWN):
                status = ItemStatus.AVAILABLE if item.status == ItemStatus.WITHDRAWN \
                    else item.status
                updates.append({"id": item.id, "record_id": record_id,
                                "call_number": call_number, "status": status,
                                "source": self.source, "updated": now})
            else:
                report.items_unchanged += 1
        if inserts:
            self.db.execute(insert(Item), inserts)
        if updates:
            self.db.execute(update(Item), updates)
        report.items_created += len(inserts)
        report.items_updated += len(updates)
        # numbered copies above the number of copies the file now gives
        extra = []
        if numbered:
            for row in self.db.execute(
                    select(Item.id, Item.barcode).where(
                        Item.barcode.startswith(f"{self.library}:#", autoescape=True),
                        Item.library == self.library, Item.status != ItemStatus.WITHDRAWN)):
                prefix, _dash, tail = row.barcode.rpartition("-")
                count = numbered.get(prefix + "-")
                if count is not None and tail.isdigit() and int(tail) > count:
                    extra.append(row.id)
        for i in range(0, len(extra), _CHUNK):
            self.db.execute(update(Item).where(Item.id.in_(extra[i:i + _CHUNK]))
                            .values(status=ItemStatus.WITHDRAWN, updated=now))
        report.items_withdrawn += len(extra)

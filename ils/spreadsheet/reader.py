"""Read a CSV or XLSX file into numbered rows keyed by template column.

``read_sheet(data, filename)`` returns a ``Sheet``: the columns found, the
rows as ``(row number, {column key: cell value})`` in file order (the
numbers a spreadsheet program shows), and the legacy Vietnamese encoding
(TCVN3, VNI) the text was typed in, if any. The header row is the first of
the first 20 rows naming the title column. A file that cannot be read at all
raises ``SheetError`` with the reason, before anything is stored.

CSV: UTF-8 (with or without a byte-order mark), UTF-16 with its mark, else text typed in the
legacy fonts (read byte for byte and converted), else Windows-1258; the
delimiter (comma, semicolon or tab) is detected.
"""
import csv
import datetime
import io
import unicodedata
import zipfile

from federation.analysis import detect_legacy, convert_legacy

from ..catalogue.report import Reason
from .template import column_for

__all__ = ["read_sheet", "Sheet", "SheetError", "MAX_ROWS"]

MAX_ROWS = 100_000
_HEADER_ROWS = 20
_TEXT_KEYS = ("title", "authors", "publisher", "place", "subjects", "note", "call_number")
_C1 = set(bytes(range(0x80, 0xA0)).decode("cp1252", "ignore"))


class SheetError(ValueError):
    """The file cannot be read as a spreadsheet of holdings; nothing was stored."""

    def __init__(self, reason):
        super().__init__(str(reason))
        self.reason = reason


class Sheet:
    def __init__(self, format, columns, rows, legacy=None, ignored=(), stopped=None, name=""):
        self.format, self.columns, self.rows = format, columns, rows
        self.legacy, self.ignored, self.stopped, self.name = legacy, list(ignored), stopped, name


def _cell(value):
    """A cell as text: numbers without ``.0``, dates as ISO, NFC, trimmed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()[:10]
    return unicodedata.normalize("NFC", str(value)).strip()


def _byte_text(text):
    """True when a cp1252 or Latin-1 reader could have made ``text`` from bytes."""
    return all(ord(c) < 0x100 or c in _C1 for c in text)


def _rows(raw_rows, format, name):
    """Find the header, then the data rows; raises SheetError."""
    columns, header_at, ignored = None, None, []
    rows, stopped = [], None
    for number, cells in raw_rows:
        if columns is None:
            if number > _HEADER_ROWS:
                break
            found = {}
            for index, cell in enumerate(cells):
                column = column_for(cell)
                if column is not None and column.key not in found.values():
                    found[index] = column.key
            if "title" in found.values() and len(found) >= 2:
                columns, header_at = found, number
                ignored = [_cell(c) for i, c in enumerate(cells) if i not in found and _cell(c)]
            continue
        values = {key: _cell(cells[index]) if index < len(cells) else ""
                  for index, key in columns.items()}
        if not any(values.values()):
            continue
        if len(rows) >= MAX_ROWS:
            stopped = Reason.of(
                "The file has more than ${n} rows; the rows after row ${row} were not read.",
                "Tệp có hơn ${n} dòng; các dòng sau dòng ${row} chưa được đọc.",
                n=MAX_ROWS, row=rows[-1][0])
            break
        rows.append((number, values))
    if columns is None:
        raise SheetError(Reason.of(
            "No header row naming the columns was found in the first ${n} rows: the title "
            "column (Nhan đề) and at least one other column of the template are needed.",
            "Không thấy dòng tiêu đề cột trong ${n} dòng đầu: cần có cột Nhan đề và ít nhất "
            "một cột khác của tệp mẫu.", n=_HEADER_ROWS))
    legacy = _legacy(rows)
    return Sheet(format, sorted(set(columns.values())), rows, legacy, ignored, stopped, name)


def _legacy(rows):
    """Convert text typed in TCVN3 or VNI fonts (in place); the encoding found, or None."""
    sample, size = [], 0
    for _number, values in rows:
        for key in _TEXT_KEYS:
            text = values.get(key, "")
            if text and not text.isascii() and _byte_text(text):
                sample.append(text)
                size += len(text)
        if size > 20_000:
            break
    if not sample:
        return None
    legacy = detect_legacy(" ".join(sample))
    if legacy is None:
        return None
    for _number, values in rows:
        for key in _TEXT_KEYS:
            text = values.get(key, "")
            if text and not text.isascii() and _byte_text(text):
                values[key] = convert_legacy(text, legacy)
    return legacy


def _decode_csv(data):
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):      # Excel's "Unicode text"
        return data.decode("utf-16", errors="replace")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    latin = data.decode("latin-1")
    if detect_legacy(latin[:50_000]):
        return latin                      # converted row by row once the columns are known
    return unicodedata.normalize("NFC", data.decode("cp1258", errors="replace"))


def _csv_rows(data):
    text = _decode_csv(data)
    head = "\n".join(text.splitlines()[:_HEADER_ROWS])
    try:
        dialect = csv.Sniffer().sniff(head, delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, cells in enumerate(reader, start=1):
            yield number, cells
    except csv.Error as exc:
        raise SheetError(Reason.of(
            "The CSV file cannot be read: ${error}.", "Không đọc được tệp CSV: ${error}.",
            error=str(exc)[:200])) from None


def _xlsx_rows(data):
    from openpyxl import load_workbook
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise SheetError(Reason.of(
            "The file cannot be read as XLSX: ${error}.",
            "Không đọc được tệp XLSX: ${error}.", error=str(exc)[:200])) from None
    try:
        for sheet in book.worksheets:
            yield sheet.title, ((number, list(cells)) for number, cells in
                                enumerate(sheet.iter_rows(values_only=True), start=1))
    finally:
        book.close()


def read_sheet(data, filename=""):
    """Read ``data`` (bytes of a CSV or XLSX file); see the module docstring."""
    name = (filename or "").lower()
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" or name.endswith(".xls"):
        raise SheetError(Reason.of(
            "This is an old Excel file (.xls). Save it as Excel Workbook (.xlsx) or CSV UTF-8 "
            "and upload that.",
            "Đây là tệp Excel cũ (.xls). Hãy lưu lại dạng Excel Workbook (.xlsx) hoặc CSV "
            "UTF-8 rồi tải lên.")) from None
    if data[:4] == b"PK\x03\x04" or name.endswith((".xlsx", ".xlsm")):
        first_error = None
        for title, rows in _xlsx_rows(data):
            try:
                return _rows(rows, "xlsx", title)
            except SheetError as exc:
                first_error = first_error or exc
        raise first_error or SheetError(Reason.of("The workbook has no sheet.",
                                                  "Tệp không có trang tính nào."))
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SheetError(Reason.of(
            "This file is neither CSV nor XLSX.", "Tệp này không phải CSV hay XLSX."))
    return _rows(_csv_rows(data), "csv", "")

"""A commune library's book list (CSV or XLSX) becomes records and copies in the
catalogue; broken rows are reported by number; uploading again duplicates nothing."""
import io
import unicodedata

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from federation.analysis import encode_legacy
from ils.catalogue.models import BibRecord, Item, ItemStatus
from ils.spreadsheet.importer import SpreadsheetImporter
from ils.spreadsheet.reader import SheetError, read_sheet
from ils.spreadsheet.template import COLUMNS, column_for, template_csv, template_xlsx

HEADER = ["Nhan đề", "Tác giả", "Nhà xuất bản", "Năm xuất bản", "ISBN", "Số đăng ký cá biệt",
          "Ký hiệu xếp giá", "Số bản"]
ROWS = [
    ["Đất rừng phương Nam", "Đoàn Giỏi", "Kim Đồng", "2019", "978-604-2-12345-7",
     "VV.000123", "895.9223 Đ406G", ""],
    ["Sử thi Đăm Săn", "", "Văn hóa dân tộc", "2006", "", "VV.000124; VV.000125",
     "398.2 S550T", "2"],
    ["Lịch sử Đắk Lắk", "Nguyễn Văn A; Trần Thị B", "Chính trị quốc gia", "2015", "",
     "", "959.765 L302S", "3"],
]


@pytest.fixture
def session(dbsession, sql_backend):
    """A migrated database, on SQLite and on PostgreSQL."""
    return dbsession


@pytest.fixture
def sqlite_session(dbsession):
    return dbsession


def windows_1258(text):
    """Text as Windows-1258 stores it: letters with their own code, tones as marks after."""
    out = []
    for char in text:
        try:
            out.append(char.encode("cp1258"))
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", char)
            tones = "".join(c for c in parts if c in TONES)
            base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in TONES))
            out.append((base + tones).encode("cp1258"))
    return b"".join(out)


TONES = "\u0300\u0301\u0303\u0309\u0323"


def csv_bytes(rows, header=HEADER, delimiter=",", encoding="utf-8-sig"):
    import csv
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    if encoding == "cp1258":
        return windows_1258(out.getvalue())
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows, header=HEADER, title_rows=()):
    book = Workbook()
    sheet = book.active
    for row in title_rows:
        sheet.append(row)
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def held(session, library="xa-ea-kao"):
    return {item.barcode: item for item in session.scalars(
        select(Item).where(Item.library == library))}


def test_each_row_becomes_a_record_with_its_copies_at_the_library(session):
    report = SpreadsheetImporter(session, "xa-ea-kao").run(csv_bytes(ROWS), "sach.csv")
    assert (report.rows, report.problems) == (3, [])
    assert (report.records_created, report.items_created) == (3, 6)
    records = {r.title: r for r in session.scalars(
        select(BibRecord).where(BibRecord.source == "csv:xa-ea-kao"))}
    assert set(records) == {"Đất rừng phương Nam", "Sử thi Đăm Săn", "Lịch sử Đắk Lắk"}
    book = records["Đất rừng phương Nam"]
    assert (book.library, book.year, book.publisher, book.isbns) == (
        "xa-ea-kao", 2019, "Kim Đồng", ["9786042123457"])
    assert book.authors == ["Đoàn Giỏi"]
    # the record is MARC, like every record of the catalogue
    marc = book.marc_record()
    assert marc.control("003") == "xa-ea-kao"
    assert marc.datafields("245")[0].get("a") == "Đất rừng phương Nam"
    assert records["Lịch sử Đắk Lắk"].authors == ["Nguyễn Văn A", "Trần Thị B"]
    copies = held(session)
    assert copies["xa-ea-kao:VV.000123"].call_number == "895.9223 Đ406G"
    assert copies["xa-ea-kao:VV.000124"].record_id == records["Sử thi Đăm Săn"].id
    # "Số bản" 3 without accession numbers: three numbered copies
    numbered = [i for i in copies.values() if i.record_id == records["Lịch sử Đắk Lắk"].id]
    assert len(numbered) == 3
    assert all(i.status == ItemStatus.AVAILABLE and i.source == "csv:xa-ea-kao"
               for i in copies.values())


def test_uploading_again_creates_no_duplicates(session):
    importer = SpreadsheetImporter(session, "xa-ea-kao")
    importer.run(csv_bytes(ROWS), "sach.csv")
    again = importer.run(xlsx_bytes(ROWS), "sach.xlsx")      # the same list, as XLSX now
    assert (again.records_created, again.records_updated, again.records_unchanged) == (0, 0, 3)
    assert (again.items_created, again.items_updated, again.items_unchanged) == (0, 0, 6)
    assert session.scalar(select(func.count()).select_from(BibRecord)) == 3
    assert session.scalar(select(func.count()).select_from(Item)) == 6


def test_a_corrected_title_updates_the_record_its_copies_belong_to(session):
    importer = SpreadsheetImporter(session, "xa-ea-kao")
    importer.run(csv_bytes(ROWS), "sach.csv")
    fixed = [list(row) for row in ROWS]
    fixed[1][0] = "Sử thi Đam San"            # no ISBN: recognised by its accession numbers
    fixed[1][7] = ""
    fixed[2][7] = "1"                         # one copy left of three
    report = importer.run(csv_bytes(fixed), "sach.csv")
    assert (report.records_created, report.records_updated) == (0, 1)
    titles = set(session.scalars(select(BibRecord.title)))
    assert titles == {"Đất rừng phương Nam", "Sử thi Đam San", "Lịch sử Đắk Lắk"}
    assert report.items_withdrawn == 2
    statuses = sorted(i.status.value for i in held(session).values())
    assert statuses.count("withdrawn") == 2


def test_broken_rows_are_reported_by_row_number_and_the_rest_imported(session):
    rows = ROWS + [
        ["", "Ai đó", "", "2001", "", "", "", ""],                          # row 5: no title
        ["Sách A", "", "", "năm ngoái", "", "", "", ""],                    # row 6: year
        ["Sách B", "", "", "2001", "978-604-2-12345-8", "", "", ""],        # row 7: ISBN
        ["Sách C", "", "", "2001", "", "", "", "ba"],                       # row 8: copies
        ["Sách D", "", "", "2001", "", "VV.000123", "", ""],                # row 9: barcode again
    ]
    report = SpreadsheetImporter(session, "xa-ea-kao").run(csv_bytes(rows), "sach.csv")
    assert [p.row for p in report.problems] == [5, 6, 7, 8, 9]
    reasons = [p.reason.vi for p in report.problems]
    assert "Nhan đề" in reasons[0]
    assert "năm ngoái" in reasons[1]
    assert "978-604-2-12345-8" in reasons[2]
    assert "ba" in reasons[3]
    assert "VV.000123" in reasons[4] and "dòng 2" in reasons[4]
    assert report.records_created == 3 and report.imported_rows == 3
    assert "Sách A" not in set(session.scalars(select(BibRecord.title)))


def test_rows_of_the_same_book_make_one_record_with_every_copy(session):
    rows = [["Dế Mèn phiêu lưu ký", "Tô Hoài", "Kim Đồng", "2020", "9786042123457",
             f"TN.{n:04d}", "895.9223 T450H", ""] for n in range(1, 5)]
    report = SpreadsheetImporter(session, "xa-ea-kao").run(csv_bytes(rows), "so-dkcb.csv")
    assert (report.records_created, report.items_created) == (1, 4)


def test_two_libraries_may_number_their_registers_alike(session):
    SpreadsheetImporter(session, "xa-ea-kao").run(csv_bytes(ROWS), "a.csv")
    report = SpreadsheetImporter(session, "phuong-tan-lap").run(csv_bytes(ROWS), "b.csv")
    assert report.problems == [] and report.items_created == 6
    assert held(session, "phuong-tan-lap").keys() >= {"phuong-tan-lap:VV.000123"}
    # each library's list is its own source: the union catalogue merges them, not the import
    assert session.scalar(select(func.count()).select_from(BibRecord)) == 6


def test_xlsx_with_a_banner_above_the_header_and_numbers_typed_as_numbers(sqlite_session):
    rows = [["Đất rừng phương Nam", "Đoàn Giỏi", "Kim Đồng", 2019, 9786042123457, 123,
             "895.9223 Đ406G", 1]]
    data = xlsx_bytes(rows, title_rows=[["SỔ ĐĂNG KÝ CÁ BIỆT – THƯ VIỆN XÃ EA KAO"], []])
    report = SpreadsheetImporter(sqlite_session, "xa-ea-kao").run(data, "so.xlsx")
    assert report.problems == []
    record = sqlite_session.scalars(select(BibRecord)).one()
    assert (record.year, record.isbns) == (2019, ["9786042123457"])
    assert list(held(sqlite_session)) == ["xa-ea-kao:123"]


def test_headers_are_understood_without_diacritics_and_in_other_words():
    assert column_for("NHAN DE").key == "title"
    assert column_for("Tên sách").key == "title"
    assert column_for("Số ĐKCB").key == "barcodes"
    assert column_for("NXB").key == "publisher"
    assert column_for("Số đăng ký cá biệt (barcode)").key == "barcodes"
    assert column_for("Năm").key == "year"
    assert column_for("Cột lạ") is None


def test_semicolon_csv_from_windows_in_cp1258(sqlite_session):
    data = csv_bytes(ROWS[:1], delimiter=";", encoding="cp1258")
    report = SpreadsheetImporter(sqlite_session, "xa-ea-kao").run(data, "sach.csv")
    assert report.problems == []
    assert sqlite_session.scalars(select(BibRecord.title)).one() == "Đất rừng phương Nam"


def test_text_typed_in_tcvn3_fonts_is_converted(sqlite_session):
    legacy = [[encode_legacy(cell, "tcvn3") if isinstance(cell, str) and not cell.isascii()
               else cell for cell in row] for row in ROWS]
    report = SpreadsheetImporter(sqlite_session, "xa-ea-kao").run(xlsx_bytes(legacy), "cu.xlsx")
    assert report.legacy == "tcvn3"
    assert set(sqlite_session.scalars(select(BibRecord.title))) == {
        "Đất rừng phương Nam", "Sử thi Đăm Săn", "Lịch sử Đắk Lắk"}


@pytest.mark.parametrize("data, name, words", [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "cu.xls", ".xls"),
    (b"PK\x03\x04 not really a zip", "hong.xlsx", "XLSX"),
    ("Tên,Giá\nSách,10000\n".encode(), "khac.csv", "Nhan đề"),
])
def test_a_file_that_is_not_a_book_list_stores_nothing(sqlite_session, data, name, words):
    with pytest.raises(SheetError) as caught:
        SpreadsheetImporter(sqlite_session, "xa-ea-kao").run(data, name)
    assert words in caught.value.reason.vi
    assert sqlite_session.scalar(select(func.count()).select_from(BibRecord)) == 0


def test_the_templates_import_as_they_are(sqlite_session):
    csv_data, xlsx_data = template_csv(), template_xlsx()
    assert csv_data.startswith(b"\xef\xbb\xbf")       # Excel needs the mark for Vietnamese
    book = load_workbook(io.BytesIO(xlsx_data))
    assert [c.value for c in book["Sách"][1]] == [c.header for c in COLUMNS]
    assert "Hướng dẫn" in book.sheetnames
    for data, name in ((csv_data, "mau.csv"), (xlsx_data, "mau.xlsx")):
        sheet = read_sheet(data, name)
        assert len(sheet.rows) == 2 and sheet.rows[0][0] == 2
    report = SpreadsheetImporter(sqlite_session, "xa-ea-kao").run(xlsx_data, "mau.xlsx")
    assert report.problems == [] and report.records_created == 2

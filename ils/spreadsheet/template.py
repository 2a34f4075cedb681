"""The spreadsheet template: its columns and the files staff download.

The headers are Vietnamese, as commune libraries write them in their
accession registers (sổ đăng ký cá biệt); common variants (``NXB``, ``Số
ĐKCB``, ``Tên sách``…) and the English names are understood too, with or
without diacritics. Only ``Nhan đề`` is required; other columns may be left
out or in any order, and columns the template does not know are ignored.
"""
import csv
import io
import re

from federation.analysis import fold

__all__ = ["Column", "COLUMNS", "column_for", "template_csv", "template_xlsx", "EXAMPLES"]


class Column:
    def __init__(self, key, header, aliases, help_vi, help_en, width=18, text=False):
        self.key, self.header, self.aliases = key, header, aliases
        self.help_vi, self.help_en, self.width, self.text = help_vi, help_en, width, text


COLUMNS = (
    Column("title", "Nhan đề", ("nhan de", "ten sach", "ten tai lieu", "nhan de chinh", "title"),
           "Bắt buộc. Nhan đề chính, có thể kèm phụ đề sau dấu hai chấm.",
           "Required. The title, with its subtitle after a colon.", 40),
    Column("authors", "Tác giả", ("tac gia", "tac gia chinh", "author", "authors"),
           "Họ tên đầy đủ; nhiều tác giả cách nhau bằng dấu chấm phẩy (;).",
           "Full names; several separated by semicolons.", 28),
    Column("publisher", "Nhà xuất bản", ("nha xuat ban", "nxb", "publisher"),
           "Ví dụ: Kim Đồng, Giáo dục Việt Nam.", "E.g. Kim Đồng.", 22),
    Column("place", "Nơi xuất bản", ("noi xuat ban", "noi xb", "place", "place of publication"),
           "Ví dụ: Hà Nội.", "E.g. Hà Nội.", 14),
    Column("year", "Năm xuất bản", ("nam xuat ban", "nam xb", "nam", "year"),
           "Bốn chữ số, ví dụ 2019.", "Four digits, e.g. 2019.", 10),
    Column("isbn", "ISBN", ("isbn", "ma isbn"),
           "ISBN-10 hoặc ISBN-13, có hoặc không có gạch nối.",
           "ISBN-10 or -13, with or without hyphens.", 20, text=True),
    Column("barcodes", "Số đăng ký cá biệt",
           ("so dang ky ca biet", "so dkcb", "dkcb", "so dk cb", "so dang ky", "ma vach",
            "barcode", "barcodes"),
           "Số ĐKCB của từng bản, cách nhau bằng dấu chấm phẩy (;). Định dạng cột là Văn bản "
           "để giữ các số 0 ở đầu. Dùng để nhận ra bản sách khi tải tệp lên lại.",
           "The accession number of each copy, separated by semicolons; format the column as "
           "Text to keep leading zeros. Recognises copies when the file is uploaded again.",
           24, text=True),
    Column("call_number", "Ký hiệu xếp giá",
           ("ky hieu xep gia", "ky hieu", "kh xep gia", "call number", "call no"),
           "Ví dụ: 895.9223 Đ406G.", "E.g. 895.9223 Đ406G.", 18),
    Column("copies", "Số bản", ("so ban", "so luong", "sl", "copies"),
           "Số bản thư viện có; để trống thì bằng số ĐKCB đã ghi (ít nhất 1).",
           "Copies held; when empty, the number of accession numbers given (at least 1).", 8),
    Column("language", "Ngôn ngữ", ("ngon ngu", "language"),
           "Mã ba chữ (vie, eng, fre…) hoặc tên (Tiếng Việt); để trống là tiếng Việt.",
           "A three-letter code (vie, eng…) or a name; empty means Vietnamese.", 10),
    Column("subjects", "Chủ đề", ("chu de", "tu khoa", "subject", "subjects", "keywords"),
           "Nhiều chủ đề cách nhau bằng dấu chấm phẩy (;).", "Several separated by semicolons.",
           28),
    Column("ddc", "Phân loại DDC", ("phan loai ddc", "phan loai", "ma phan loai", "ddc"),
           "Chỉ số phân loại DDC, ví dụ 895.9223.", "The DDC number, e.g. 895.9223.", 12),
    Column("note", "Ghi chú", ("ghi chu", "note", "notes"),
           "Ghi chú chung về tài liệu.", "A general note.", 28),
)

EXAMPLES = (
    ("Đất rừng phương Nam", "Đoàn Giỏi", "Kim Đồng", "Hà Nội", "2019", "978-604-2-12345-7",
     "VV.000123", "895.9223 Đ406G", "1", "vie", "Văn học thiếu nhi; Nam Bộ", "895.9223", ""),
    ("Sử thi Đăm Săn", "", "Văn hóa dân tộc", "Hà Nội", "2006", "",
     "VV.000124; VV.000125", "398.209597 S550T", "2", "vie", "Sử thi; Ê Đê; Tây Nguyên",
     "398.2", "Song ngữ Việt – Ê Đê"),
)

_BY_ALIAS = {alias: column for column in COLUMNS for alias in column.aliases}


def _folded(text):
    return " ".join(re.findall(r"[a-z0-9]+", fold(str(text))))


def column_for(header):
    """The Column a header cell names (``Số ĐKCB``, ``NHAN DE``, ``Title``), or None."""
    if header is None:
        return None
    text = str(header)
    for candidate in (text, re.sub(r"\([^)]*\)", " ", text), text.split("/")[0]):
        column = _BY_ALIAS.get(_folded(candidate))
        if column is not None:
            return column
    return None


def template_csv():
    """The CSV template: UTF-8 with a byte-order mark, so Excel shows Vietnamese right."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.header for c in COLUMNS])
    writer.writerows(EXAMPLES)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx():
    """The XLSX template: the sheet to fill in (two example rows) and a guide sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = "Sách"
    sheet.append([c.header for c in COLUMNS])
    for row in EXAMPLES:
        sheet.append(list(row))
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = column.width
        cell = sheet.cell(row=1, column=index)
        cell.font, cell.fill = bold, fill
        if column.text:
            for row in range(2, 1001):      # keep leading zeros of numbers typed later
                sheet.cell(row=row, column=index).number_format = "@"
    sheet.freeze_panes = "A2"
    guide = book.create_sheet("Hướng dẫn")
    guide.append(["Cột / column", "Hướng dẫn", "Guide"])
    for cell in guide[1]:
        cell.font = bold
    for column in COLUMNS:
        guide.append([column.header, column.help_vi, column.help_en])
    guide.append([])
    guide.append(["", "Mỗi dòng là một tài liệu (hoặc một bản sách). Dòng lỗi được báo theo số "
                      "dòng, các dòng khác vẫn được nhập. Tải lên lại cùng tệp không tạo bản "
                      "trùng.",
                  "One row per title (or per copy). A broken row is reported by its row "
                  "number; the others are imported. Uploading the file again makes no "
                  "duplicates."])
    guide.column_dimensions["A"].width = 22
    guide.column_dimensions["B"].width = 70
    guide.column_dimensions["C"].width = 60
    for row in guide.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

"""A commune library for the demo: its entry in the directory and its book list,
uploaded the way its librarian would (``ils.spreadsheet``), so that the union
catalogue shows what it is for: "Lịch sử Tây Nguyên", held at both sites and
at the commune, is one record with three holdings; a book only the commune
has is found with its copies there. Idempotent: nothing is added when the
library is in the directory already.
"""
from ils.libraries.services import ILibraryDirectory
from ils.spreadsheet.importer import SpreadsheetImporter

LIBRARY = {
    "code": "xa-hoa-phu", "name": "Thư viện xã Hòa Phú (mẫu)", "unit_type": "xa",
    "unit_name": "Hòa Phú", "province": "Đắk Lắk",
    "address": "Nhà văn hóa xã Hòa Phú (địa chỉ mẫu)", "contact_name": "Cán bộ văn hóa xã",
    "phone": "0262 3 000 000", "email": "thuvien.hoaphu@example.vn",
    "opening_hours": "Thứ Hai – Thứ Sáu: 7:30–11:00, 13:30–17:00; Chủ nhật: 8:00–11:00",
    "active": "on",
}

# The commune's list as its librarian keeps it: the first two titles the sites have
# too (the same title, author and year: merged), the last two the commune alone.
BOOK_LIST = (
    "Nhan đề,Tác giả,Năm xuất bản,ISBN,Số đăng ký cá biệt,Số bản,Ký hiệu xếp giá,Chủ đề\r\n"
    "Lịch sử Tây Nguyên (tài liệu mẫu),Ban biên soạn thư viện,2001,,HP.000001,1,959.76 L,"
    "Lịch sử; Tây Nguyên\r\n"
    "Truyện Kiều,Nguyễn Du,1820,,HP.000002; HP.000003,2,895.922 N,Văn học\r\n"
    "Kỹ thuật trồng cà phê cho hộ gia đình (tài liệu mẫu),Trạm khuyến nông xã Hòa Phú,2020,,"
    "HP.000004,1,633.73 K,Cà phê; Nông nghiệp\r\n"
    "Truyện cổ Ê Đê kể cho thiếu nhi (tài liệu mẫu),Nhiều tác giả,2018,,HP.000005,1,398.2 T,"
    "Truyện cổ; Ê Đê\r\n"
).encode("utf-8")


def create_union_demo(request):
    """Add the demo commune library and its books once; True when added now."""
    directory = request.find_service(ILibraryDirectory)
    if directory.get(LIBRARY["code"]) is not None:
        return False
    library, errors = directory.add(LIBRARY)
    if errors:                  # the demo must not fail half-way silently
        raise RuntimeError(f"demo commune library: {errors}")
    report = SpreadsheetImporter(request.dbsession, library.code).run(
        BOOK_LIST, "danh-muc-sach-mau.csv")
    if report.problems or report.stopped:
        raise RuntimeError(f"demo book list: {report.summary_lines()}")
    return True

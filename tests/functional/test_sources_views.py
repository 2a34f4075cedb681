"""Staff screens of the union catalogue's sources: the commune-library directory,
book-list uploads with their report, OAI-PMH sources with "harvest now"."""
import io
import threading
import urllib.parse
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from openpyxl import load_workbook

from ils.harvest.jobs import wait_for_background
from tests.integration.conftest import free_port
from tests.unit.portal.test_i18n import catalog, english_leftovers

PAGES = ["/sources", "/sources/libraries", "/sources/libraries/add", "/sources/upload",
         "/sources/oai", "/sources/oai/add"]
BOOKS = ("Nhan đề,Tác giả,Năm xuất bản,ISBN,Số đăng ký cá biệt,Số bản\r\n"
         "Đất rừng phương Nam,Đoàn Giỏi,2019,978-604-2-12345-7,VV.000123,\r\n"
         ",Không tên,2001,,,\r\n"
         "Sử thi Đăm Săn,,2006,,VV.000124; VV.000125,2\r\n").encode("utf-8")


@pytest.fixture
def admin(demo, signed_in):
    return signed_in("quantri-bmt", site_roles=[("bmt", "SiteAdmin")])


def add_library(app, **values):
    form = app.get("/sources/libraries/add").forms[1]
    for name, value in dict({"name": "Thư viện xã Ea Kao", "unit_name": "Ea Kao"},
                            **values).items():
        form[name] = value
    return form.submit(status="*")


@pytest.mark.parametrize("who, status", [
    (None, 303), ("thuthu", 403), ("quantri-bmt", 200), ("quanly", 200)])
def test_managers_and_site_administrators_only(demo, testapp, signed_in, who, status):
    roles = {"thuthu": dict(site_roles=[("bmt", "Librarian")]),
             "quantri-bmt": dict(site_roles=[("tuy-hoa", "SiteAdmin")]),
             "quanly": dict(roles=["Manager"])}
    app = signed_in(who, **roles[who]) if who else testapp
    for path in PAGES + ["/sources/upload/template.csv"]:
        response = app.get(path, status=status)
        if status == 303:
            assert "/login" in response.location


def test_a_library_is_added_to_the_directory_and_edited(admin):
    response = add_library(admin, phone="0262 3851 234",
                           opening_hours="Thứ Hai – Thứ Sáu: 7:30–11:00")
    assert response.status_int == 303
    page = response.follow()
    assert "Thư viện xã Ea Kao" in page.text and "xa-ea-kao" in page.text
    assert "xã Ea Kao, tỉnh Đắk Lắk" in page.text
    again = add_library(admin)                              # the same code again
    assert again.status_int == 400 and "đã được dùng" in again.text
    site_code = add_library(admin, code="bmt", name="Trùng mã cơ sở")
    assert site_code.status_int == 400

    form = admin.get("/sources/libraries/xa-ea-kao/edit").forms[1]
    form["name"] = "Thư viện xã Ea Kao (mới)"
    form["province"] = "Đắk Lắk"
    page = form.submit().follow()
    assert "Thư viện xã Ea Kao (mới)" in page.text
    admin.get("/sources/libraries/khong-co/edit", status=404)


def test_forms_need_the_csrf_token(admin):
    admin.post("/sources/libraries/add", {"name": "X", "unit_name": "X"}, status=400)
    admin.post("/sources/oai/1/harvest", status=400)


def test_the_templates_download_in_both_formats(admin):
    csv = admin.get("/sources/upload/template.csv")
    assert csv.content_type == "text/csv"
    assert 'filename="mau-danh-muc-sach.csv"' in csv.headers["Content-Disposition"]
    assert csv.body.startswith(b"\xef\xbb\xbf") and "Nhan đề" in csv.body.decode("utf-8-sig")
    xlsx = admin.get("/sources/upload/template.xlsx")
    book = load_workbook(io.BytesIO(xlsx.body))
    assert book.active["A1"].value == "Nhan đề"
    admin.get("/sources/upload/template.pdf", status=404)


def test_a_book_list_upload_reports_rows_and_does_not_duplicate(admin):
    add_library(admin)
    page = admin.get("/sources/upload")
    assert "template.xlsx" in page.text and "Số đăng ký cá biệt" in page.text
    form = page.forms[1]
    form["library"] = "xa-ea-kao"
    form["file"] = ("sach.csv", BOOKS, "text/csv")
    report = form.submit()
    assert report.status_int == 200
    text = report.text
    assert "Báo cáo nhập" in text
    assert "dòng 3" in text and "Nhan đề đang để trống" in text
    assert "2 mới, 0 cập nhật, 0 không đổi" in text         # titles
    assert "3 mới, 0 cập nhật, 0 không đổi" in text         # copies
    form = report.forms[1]
    form["library"] = "xa-ea-kao"
    form["file"] = ("sach.csv", BOOKS, "text/csv")
    again = form.submit().text
    assert "0 mới, 0 cập nhật, 2 không đổi" in again and "0 mới, 0 cập nhật, 3 không đổi" in again
    listing = admin.get("/sources/libraries").text
    assert ">3</td>" in listing                              # copies held by the library


def test_the_upload_report_counts_titles_merged_with_a_site_s_book(admin):
    from tests.fixtures.marc.make_fixtures import book, iso2709
    from tests.functional.test_catalogue_staff import fact, upload
    # Buôn Ma Thuột has "Đất rừng phương Nam" with the ISBN the commune's list gives
    upload(admin, "bmt.mrc", iso2709([book("dr-1", "Đất rừng phương Nam", author="Đoàn Giỏi",
                                           year=2019, isbns=["978-604-2-12345-7"],
                                           copies=[{"a": "BMT", "p": "DR-1"}])]))
    add_library(admin)
    form = admin.get("/sources/upload").forms[1]
    form["library"] = "xa-ea-kao"
    form["file"] = ("sach.csv", BOOKS, "text/csv")
    report = form.submit()
    assert "Gộp với biểu ghi nguồn khác" in report.text
    assert fact(report, "merged") == 1                      # of its two titles
    record = admin.get("/search", {"q": "isbn:9786042123457"})
    assert "2 thư viện có tài liệu này" in record.text


def test_an_unreadable_file_is_refused_with_the_reason(admin):
    add_library(admin)
    form = admin.get("/sources/upload").forms[1]
    form["library"] = "xa-ea-kao"
    form["file"] = ("cu.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64,
                    "application/vnd.ms-excel")
    page = form.submit(status=400)
    assert "Excel cũ (.xls)" in page.text


class StaticProvider:
    """A two-record OAI-PMH provider answering from fixed pages."""

    HEAD = ('<?xml version="1.0" encoding="UTF-8"?><OAI-PMH '
            'xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2026-11-20T10:00:00Z'
            '</responseDate><request>http://127.0.0.1/oai</request>')
    RECORD = ('<record><header><identifier>oai:tinh-ban:{n}</identifier><datestamp>'
              '2026-01-0{n}</datestamp></header><metadata><oai_dc:dc xmlns:oai_dc='
              '"http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc='
              '"http://purl.org/dc/elements/1.1/"><dc:title>{title}</dc:title></oai_dc:dc>'
              '</metadata></record>')

    def __call__(self, environ, start_response):
        verb = dict(urllib.parse.parse_qsl(environ["QUERY_STRING"])).get("verb")
        if verb == "Identify":
            body = ("<Identify><repositoryName>Tỉnh bạn</repositoryName><granularity>"
                    "YYYY-MM-DD</granularity></Identify>")
        else:
            body = "<ListRecords>" + "".join(self.RECORD.format(n=n, title=t) for n, t in (
                (1, "Văn hóa Tây Nguyên"), (2, "Cồng chiêng Ê Đê"))) + "</ListRecords>"
        start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8")])
        return [(self.HEAD + body + "</OAI-PMH>").encode("utf-8")]


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def provider():
    port = free_port()
    httpd = make_server("127.0.0.1", port, StaticProvider(), handler_class=Quiet)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}/oai"
    httpd.shutdown()
    httpd.server_close()


def test_an_oai_source_is_registered_and_harvested_on_demand(demo, signed_in, provider):
    app = signed_in("quanly", roles=["Manager"])
    form = app.get("/sources/oai/add").forms[1]
    form["title"] = "Thư viện tỉnh bạn"
    form["name"] = "tinh-ban"
    form["base_url"] = provider + "?verb=Identify"
    assert form.submit(status=400).text.count("?verb=") >= 1
    form = app.get("/sources/oai/add").forms[1]
    form["title"], form["name"], form["base_url"] = "Thư viện tỉnh bạn", "tinh-ban", provider
    form["interval_hours"] = "12"
    listing = form.submit().follow()
    assert "Thư viện tỉnh bạn" in listing.text and "Chưa thu thập" in listing.text
    assert "12 giờ một lần" in listing.text

    harvest = listing.forms[1]
    assert harvest.action.endswith("/harvest")
    page = harvest.submit().follow()
    assert "Đã bắt đầu thu thập Thư viện tỉnh bạn" in page.text
    wait_for_background(demo.registry, timeout=30)
    page = app.get("/sources/oai")
    assert "Hoàn tất" in page.text
    assert "2 mới, 0 cập nhật, 0 bị xóa" in page.text

    form = app.get(page.html.select_one("a[href$='/edit']")["href"]).forms[1]
    form["interval_hours"] = "0"
    assert "theo yêu cầu" in form.submit().follow().text


def test_the_source_screens_are_vietnamese(admin):
    add_library(admin)
    vi_catalog = catalog("vi")
    for path in PAGES + ["/sources/libraries/xa-ea-kao/edit"]:
        assert english_leftovers(admin.get(path).text, vi_catalog) == [], path
    page = add_library(admin, email="khong-phai-email")
    assert english_leftovers(page.text, vi_catalog) == []
    assert "Không phải địa chỉ thư điện tử." in page.text

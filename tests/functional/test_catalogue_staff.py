"""Staff screens of the union catalogue: importing a MARC file from the browser,
and splitting a union record that merged two different books."""
import re

import pytest
import webtest
from sqlalchemy import func, select

from federation.records import SearchQuery
from ils.catalogue.models import BibRecord
from portal.demo_union import LIBRARY as DEMO_COMMUNE
from tests.conftest import csrf_token
from tests.fixtures.marc.make_fixtures import KOHA_BMT, book, corrupt_middle, iso2709, marcxml

IMPORT = "/catalogue/import"
DEMO_SOURCES = ("demo", f"csv:{DEMO_COMMUNE['code']}")     # the demo's own records


def upload(browser, name, data, site="bmt", status=200, **fields):
    token = csrf_token(browser, IMPORT)
    return browser.post(IMPORT, dict({"site": site, "csrf_token": token}, **fields),
                        upload_files=[("file", name, data)], status=status)


def search(app, text):
    return app.registry["federation.search_index"]().search(SearchQuery(text=text))


def stored(portal):
    """Records in the catalogue but the demo's own (its circulation examples, its
    commune library's book list)."""
    with portal() as p:
        return p.request.dbsession.scalar(select(func.count()).select_from(BibRecord)
                                          .where(BibRecord.source.notin_(DEMO_SOURCES)))


def fact(page, name):
    match = re.search(rf'<dd class="n-{name}">(\d+)</dd>', page.text)
    assert match, f"no {name} in the report"
    return int(match.group(1))


@pytest.fixture
def librarian(demo, signed_in, sql_backend):
    return signed_in("thuthu.bmt", site_roles=[("bmt", "Librarian")])


def test_a_librarian_imports_a_file_and_readers_find_its_records(librarian, app, testapp):
    before = search(app, "su thi dam san").total      # the demo's own (an audiobook…)
    page = upload(librarian, "koha-bmt.mrc", iso2709(KOHA_BMT))
    assert (fact(page, "read"), fact(page, "created"), fact(page, "updated"),
            fact(page, "rejected")) == (4, 4, 0, 0)
    assert '<dd class="n-items">5 mới, 0 cập nhật, 0 không đổi</dd>' in page.text
    # committed with the request, and in the union catalogue right after it
    assert search(app, "su thi dam san").total == before + 1
    reader = webtest.TestApp(app, extra_environ={"HTTP_HOST": "localhost"})
    found = reader.get("/search", {"q": "Cà phê Buôn Ma Thuột"})
    assert "kỹ thuật trồng và chăm sóc" in found.text
    # the same file again: nothing new, nothing duplicated
    again = upload(librarian, "koha-bmt.mrc", iso2709(KOHA_BMT))
    assert (fact(again, "created"), fact(again, "unchanged")) == (0, 4)
    assert search(app, "su thi dam san").total == before + 1


def test_the_report_counts_the_records_merged_with_another_library(demo, signed_in, app):
    manager = signed_in("quanly", roles=["Manager"])
    same = {"author": "Nguyễn Văn Giàu", "year": 2001, "isbns": [SAME_ISBN]}
    bmt = iso2709([book("m-1", "Biên niên Krông Pắc", copies=[{"a": "BMT", "p": "S0001"}],
                        **same),
                   book("m-3", "Sách chỉ có ở Buôn Ma Thuột", copies=[{"a": "BMT", "p": "S0003"}])])
    page = upload(manager, "bmt.mrc", bmt)
    assert (fact(page, "created"), fact(page, "merged")) == (2, 0)
    assert "Gộp với biểu ghi nguồn khác" in page.text
    page = upload(manager, "th.mrc", iso2709([book(
        "m-2", "Biên niên Krông Pắc", copies=[{"a": "TH", "p": "S0002"}], **same)]),
        site="tuy-hoa")
    assert (fact(page, "created"), fact(page, "merged")) == (1, 1)
    page = upload(manager, "bmt.mrc", bmt)             # unchanged, and merged since
    assert (fact(page, "unchanged"), fact(page, "merged")) == (2, 1)


def test_the_report_says_when_the_union_catalogue_has_not_taken_the_file_in(
        librarian, app, portal, monkeypatch):
    # the union store cannot take the changes now (they stay queued, applied later)
    pipeline = app.registry["federation.union_pipeline"]
    monkeypatch.setattr(pipeline, "process", lambda *args, **kwargs: False)
    page = upload(librarian, "koha-bmt.mrc", iso2709(KOHA_BMT))
    assert fact(page, "created") == 4
    merged = page.text.split('<dd class="n-merged">')[1].split("</dd>")[0]
    assert merged == "chưa biết: mục lục liên hợp đang tiếp nhận tệp"
    assert stored(portal) == 4                           # committed all the same
    monkeypatch.undo()
    assert pipeline.drain() >= 1


def test_an_import_whose_commit_fails_stores_nothing_and_says_so(librarian, portal,
                                                                 monkeypatch):
    from federation import subscribers

    def fail(self):
        raise RuntimeError("the disk is full")
    monkeypatch.setattr(subscribers._Pending, "before_commit", fail)
    page = upload(librarian, "koha-bmt.mrc", iso2709(KOHA_BMT), status=400)
    assert "Không lưu được lần nhập này; chưa có gì được lưu" in page.text
    assert stored(portal) == 0
    monkeypatch.undo()
    page = upload(librarian, "koha-bmt.mrc", iso2709(KOHA_BMT))      # and again: it works
    assert fact(page, "created") == 4 and stored(portal) == 4


def test_rejected_records_are_listed_with_their_place(librarian, app):
    page = upload(librarian, "corrupt-middle.mrc", corrupt_middle())
    assert (fact(page, "read"), fact(page, "created"), fact(page, "rejected")) == (5, 4, 1)
    row = page.text.split('class="list stack problems rejections"')[1].split("</table>")[0]
    assert "#3" in row and re.search(r"byte \d+", row)
    assert search(app, "sach thu 4 buon ma thuot").total >= 1


def test_marcxml_with_a_source_name(librarian, app, portal):
    records = [book("x-1", "Sổ tay cán bộ thư viện xã", author="Lê Thị Mai",
                    copies=[{"a": "BMT", "p": "XM000001"}])]
    page = upload(librarian, "xa.xml", marcxml(records), source="koha-cu")
    assert fact(page, "created") == 1 and "MARCXML" in page.text
    with portal() as p:
        assert p.request.dbsession.scalars(select(BibRecord.source).where(
            BibRecord.source.notin_(DEMO_SOURCES))).all() == ["koha-cu"]
    assert search(app, "so tay can bo thu vien xa").total == 1


def test_a_file_that_is_not_marc_is_refused_and_nothing_stored(librarian, portal):
    csv = "Nhan đề,Tác giả\nLịch sử Tây Nguyên,Nguyễn Văn Khoa\n".encode()
    page = upload(librarian, "sach.csv", csv, status=400)
    assert "Tệp này không phải MARC 21 (ISO 2709) hay MARCXML; chưa nhập gì." in page.text
    assert stored(portal) == 0
    librarian.get("/lang/en")
    page = upload(librarian, "sach.csv", csv, status=400)
    assert "This file is neither MARC 21 (ISO 2709) nor MARCXML" in page.text


def test_the_size_limit(demo, signed_in, app):
    app.registry.settings["serepok.upload.max_marc_bytes"] = "1000"
    browser = signed_in("thuthu.bmt", site_roles=[("bmt", "Librarian")])
    before = search(app, "su thi dam san").total
    page = upload(browser, "koha-bmt.mrc", iso2709(KOHA_BMT), status=400)
    assert "Tệp vượt quá giới hạn 0.00095 MB." in page.text
    assert search(app, "su thi dam san").total == before


def test_a_librarian_imports_only_for_the_sites_they_work_at(demo, signed_in, app, portal):
    browser = signed_in("thuthu.th", site_roles=[("tuy-hoa", "Librarian")])
    form = browser.get(IMPORT)
    assert 'value="tuy-hoa"' in form.text and 'value="bmt"' not in form.text
    upload(browser, "koha-bmt.mrc", iso2709(KOHA_BMT), site="bmt", status=400)
    # nor under the other site's name as the source: that would rewrite its records
    upload(browser, "koha-bmt.mrc", iso2709(KOHA_BMT), site="tuy-hoa", source="bmt",
           status=400)
    assert stored(portal) == 0
    upload(browser, "koha-bmt.mrc", iso2709(KOHA_BMT), site="tuy-hoa")
    assert stored(portal) == 4


def test_a_manager_may_import_for_any_site(demo, signed_in):
    page = signed_in("quanly", roles=["Manager"]).get(IMPORT)
    assert 'value="bmt"' in page.text and 'value="tuy-hoa"' in page.text


def test_readers_and_anonymous_cannot_import(demo, testapp, signed_in):
    anonymous = testapp.get(IMPORT, status=303)
    assert "/login" in anonymous.location
    reader = signed_in("bandoc")
    reader.get(IMPORT, status=403)
    # nor post, even with a valid token (taken from a page the reader may see)
    token = csrf_token(reader, "/")
    reader.post(IMPORT, {"site": "bmt", "csrf_token": token},
                upload_files=[("file", "a.mrc", iso2709(KOHA_BMT))], status=403)


def test_the_form_needs_its_csrf_token(librarian, portal):
    librarian.post(IMPORT, {"site": "bmt"}, upload_files=[("file", "a.mrc", iso2709(KOHA_BMT))],
                   status=400)
    assert stored(portal) == 0


def test_the_workspace_links_to_the_import(librarian):
    assert IMPORT in librarian.get("/workspace").text


# --- split a wrong merge -------------------------------------------------------------

SAME_ISBN = "978-604-1-00004-9"


def merged_pair(browser):
    """Two different books that share an ISBN by mistake, in two libraries: merged."""
    upload(browser, "a.mrc", iso2709([book("m-1", "Biên niên Krông Pắc", author="Nguyễn Văn Giàu",
                                           year=2001, isbns=[SAME_ISBN],
                                           copies=[{"a": "BMT", "p": "S0001"}])]))
    upload(browser, "b.mrc", iso2709([book("m-2", "Biên niên Krông Pắc", author="Nguyễn Văn Giàu",
                                           year=2001, isbns=[SAME_ISBN],
                                           copies=[{"a": "TH", "p": "S0002"}])]),
           site="tuy-hoa")


def record_ids(app, text):
    return [hit.record.id for hit in search(app, text).hits]


def test_staff_split_a_merged_record_and_readers_then_see_two(demo, signed_in, app, testapp):
    manager = signed_in("quanly", roles=["Manager"])
    merged_pair(manager)
    [union_id] = record_ids(app, "bien nien krong pac")
    page = manager.get(f"/record/{union_id}")
    forms = [f for f in page.forms.values() if f.action.endswith(f"/record/{union_id}/split")]
    assert len(forms) == 2
    response = forms[1].submit(status=303)
    new_id = response.location.rsplit("/", 1)[1]
    assert new_id != union_id
    shown = response.follow()
    assert "Biên niên Krông Pắc" in shown.text
    reader = webtest.TestApp(app, extra_environ={"HTTP_HOST": "localhost"})
    assert sorted(record_ids(app, "bien nien krong pac")) == sorted({union_id, new_id})
    found = reader.get("/search", {"q": "biên niên krông pắc"})
    assert found.text.count(f"/record/{union_id}") and found.text.count(f"/record/{new_id}")
    # each record now has one source record: nothing left to split
    assert "/split" not in manager.get(f"/record/{new_id}").text


def test_a_split_that_cannot_be_done_says_why(demo, signed_in, app):
    manager = signed_in("quanly", roles=["Manager"])
    merged_pair(manager)
    [union_id] = record_ids(app, "bien nien krong pac")
    token = csrf_token(manager, f"/record/{union_id}")
    page = manager.post(f"/record/{union_id}/split", {"member": "ils:999999",
                                                      "csrf_token": token}, status=400)
    assert "Biểu ghi nguồn ils:999999 không thuộc biểu ghi này." in page.text
    assert record_ids(app, "bien nien krong pac") == [union_id]


def test_readers_see_no_split_button_and_cannot_split(demo, signed_in, app):
    browser = signed_in("quanly", roles=["Manager"])
    merged_pair(browser)
    [union_id] = record_ids(app, "bien nien krong pac")
    members = re.findall(r'name="member" value="([^"]+)"', browser.get(f"/record/{union_id}").text)
    assert len(members) == 2
    anonymous = webtest.TestApp(app, extra_environ={"HTTP_HOST": "localhost"})
    assert "/split" not in anonymous.get(f"/record/{union_id}").text
    reader = signed_in("bandoc")          # the same browser, now signed in as a reader
    page = reader.get(f"/record/{union_id}")
    assert "/split" not in page.text and 'name="member"' not in page.text
    token = csrf_token(reader, f"/record/{union_id}")
    reader.post(f"/record/{union_id}/split", {"member": members[1], "csrf_token": token},
                status=403)
    assert record_ids(app, "bien nien krong pac") == [union_id]

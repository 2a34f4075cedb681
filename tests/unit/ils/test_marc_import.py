"""What a librarian notices when importing a site's catalogue from a MARC file.

Each test runs on SQLite and on PostgreSQL (``sql_backend``).
"""
import io
import os
import types

import pytest
from sqlalchemy import func, select

from ils import db
from ils.catalogue.cli import add_import_marc
from ils.catalogue.importer import MarcImporter
from ils.catalogue.models import BibRecord, Item, ItemStatus
from ils.catalogue.report import NotMarcError
from tests.fixtures.marc import make_fixtures as fx

FIXTURES = os.path.dirname(fx.__file__)


def fixture(name):
    return os.path.join(FIXTURES, name)


@pytest.fixture
def session(dbsession, sql_backend):
    """A migrated database, on SQLite and on PostgreSQL."""
    return dbsession


def run(session, file, library="bmt", **kwargs):
    report = MarcImporter(session, library, **kwargs).run(file)
    session.flush()
    return report


def record(session, control_number, source="bmt"):
    return session.scalars(select(BibRecord).where(
        BibRecord.source == source, BibRecord.control_number == control_number)).one()


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


# --- The two syntaxes ------------------------------------------------------------

def test_iso2709_file_imports_records_and_koha_items(session):
    report = run(session, fixture("koha-bmt.mrc"))
    assert (report.format, report.read, report.created, report.rejected) == ("iso2709", 4, 4, [])
    history = record(session, "bmt-0001")
    assert history.title == "Lịch sử Tây Nguyên : từ thời tiền sử đến năm 1945"
    assert history.statement == "Nguyễn Văn Khoa chủ biên"
    assert history.authors == ["Nguyễn Văn Khoa"]
    assert (history.place, history.publisher, history.year) == ("Buôn Ma Thuột", "Nxb. Đắk Lắk",
                                                                2019)
    assert history.isbns == ["9786041200012"]            # written with hyphens and a qualifier
    assert history.subjects == ["Lịch sử -- Tây Nguyên"]
    assert (history.ddc, history.language, history.format) == ("959.76", "vie", "book")
    assert history.title_key == "lich su tay nguyen tu thoi tien su den nam 1945"
    epic = record(session, "bmt-0002")
    assert epic.isbns == ["9786040000156"]                # ISBN-10 604-0-00015-5 as ISBN-13
    # Koha's 952: $a branch, $c location, $o call number, $p barcode, $y type, status flags
    copies = {item.barcode: item for item in session.scalars(select(Item))}
    assert set(copies) == {"BMT0000001", "BMT0000002", "BMT0000003", "BMT0000004", "BMT0000005"}
    first = copies["BMT0000001"]
    assert (first.record_id, first.library, first.branch, first.location, first.call_number,
            first.item_type, first.status) == (history.id, "bmt", "BMT", "KHO-MO", "959.76 NG-K",
                                                "SACH", ItemStatus.AVAILABLE)
    assert copies["BMT0000002"].status is ItemStatus.ON_LOAN          # $q due date
    assert copies["BMT0000003"].status is ItemStatus.NOT_FOR_LOAN     # $7 1
    assert copies["BMT0000004"].status is ItemStatus.LOST             # $1 1
    assert report.items_created == 5


def test_marcxml_file_imports_records_and_852_holdings(session):
    report = run(session, fixture("tuy-hoa.xml"), library="tuy-hoa")
    assert (report.format, report.read, report.created) == ("marcxml", 3, 3)
    assert report.items_created == 4
    lagoon = record(session, "th-0002", source="tuy-hoa")
    assert lagoon.title == "Đầm Ô Loan : truyện và ký"
    assert lagoon.isbns == ["9786045300046"]
    items = session.scalars(select(Item).where(Item.record_id == lagoon.id)
                            .order_by(Item.barcode)).all()
    assert [(i.barcode, i.library, i.location, i.call_number) for i in items] == [
        ("TH00000002", "tuy-hoa", "Kho mở", "895.9223 HU-Y"),
        ("TH00000003", "tuy-hoa", "Thiếu nhi", "895.9223 HU-Y")]
    # the whole record is kept and reads back as it was
    stored = lagoon.marc_record()
    assert stored.control("001") == "th-0002"
    assert stored.datafields("852")[1].get("b") == "Thiếu nhi"
    assert lagoon.pymarc()["245"]["b"] == "truyện và ký"


def test_same_records_in_iso2709_and_marcxml_store_the_same_marc(session):
    run(session, fixture("koha-bmt.mrc"), source="from-iso")
    xml = fx.marcxml(fx.KOHA_BMT)
    run(session, io.BytesIO(xml), source="from-xml")
    iso_record = record(session, "bmt-0003", "from-iso")
    xml_record = record(session, "bmt-0003", "from-xml")
    assert iso_record.marc == xml_record.marc
    assert iso_record.title == xml_record.title == "Cồng chiêng M'nông"


# --- Encodings --------------------------------------------------------------------

def test_marc8_record_with_vietnamese_diacritics_is_decoded(session):
    report = run(session, fixture("marc8-vi.mrc"))
    assert report.created == 2 and report.encodings == {"marc-8": 2}
    first = record(session, "m8-0001")
    assert first.title == "Việt Nam đất nước con người"
    assert first.authors == ["Đỗ Thị Phương"]
    assert record(session, "m8-0002").title == "Những người con của buôn làng Ê Đê"
    assert first.encoding == "marc-8"
    # stored as UTF-8 NFC, leader 9 "a"
    assert first.marc[9:10] == b"a"
    assert "Việt Nam".encode("utf-8") in first.marc


def test_tcvn3_and_vni_text_is_converted_not_stored_as_mojibake(session):
    report = run(session, fixture("legacy-vi.mrc"))
    assert report.encodings == {"tcvn3": 1, "vni": 1}
    tcvn3, vni = record(session, "lg-0001"), record(session, "lg-0002")
    assert tcvn3.title == "Lịch sử Đảng bộ tỉnh Đắk Lắk"
    assert tcvn3.publisher == "Sở Văn hóa Đắk Lắk"
    assert vni.title == "Văn hóa cồng chiêng Tây Nguyên"
    assert vni.authors == ["Bùi Thị Thủy"]
    assert (tcvn3.encoding, vni.encoding) == ("tcvn3", "vni")


def test_tcvn3_mojibake_inside_utf8_is_converted(session):
    # an old record converted to UTF-8 as if it were Windows-1252
    title = fx.encode_legacy("Lịch sử Tây Nguyên", "tcvn3")
    assert title != "Lịch sử Tây Nguyên"
    data = fx.book("mj-1", title, author=fx.encode_legacy("Nguyễn Văn Khoa", "tcvn3")).as_marc()
    report = run(session, data)
    assert report.encodings == {"tcvn3": 1}
    assert record(session, "mj-1").title == "Lịch sử Tây Nguyên"
    assert record(session, "mj-1").authors == ["Nguyễn Văn Khoa"]


def test_foreign_titles_are_never_taken_for_legacy_vietnamese(session):
    # Read as VNI or TCVN3, "plaît", "août", "træ" and "Bø" would turn into
    # Vietnamese-looking letters (plaỵt, aỏt, trỉ, Bứ); these records say their language.
    books = [
        fx.book("fr-1", "L'œil du mulet", "ne me plaît pas", publisher="Gallimard",
                place="Paris", language="fre"),
        fx.book("fr-2", "Permission dated 12 août 1728", publisher="s.n.", place="Paris",
                language="fre"),
        fx.book("da-1", "Etagehuse af træ i Europa", publisher="Arkitekten",
                place="København", language="dan"),
        fx.book("no-1", "Bø, Gudleiv", publisher="Samlaget", place="Oslo", language="nor"),
    ]
    report = run(session, fx.iso2709(books))
    assert report.created == 4 and report.encodings == {}
    titles = dict(session.execute(select(BibRecord.control_number, BibRecord.title)).all())
    assert titles == {"fr-1": "L'œil du mulet : ne me plaît pas",
                      "fr-2": "Permission dated 12 août 1728",
                      "da-1": "Etagehuse af træ i Europa", "no-1": "Bø, Gudleiv"}


def test_utf8_data_under_a_marc8_leader_is_read_as_utf8(session):
    data = bytearray(fx.book("lab-1", "Đắk Lắk xưa và nay").as_marc())
    data[9] = ord(" ")                       # the leader claims MARC-8
    report = run(session, bytes(data))
    assert record(session, "lab-1").title == "Đắk Lắk xưa và nay"
    assert report.encodings == {"utf-8-unlabelled": 1}


def test_decomposed_text_is_stored_composed(session):
    import unicodedata
    data = fx.book("nfd-1", unicodedata.normalize("NFD", "Buôn Ma Thuột")).as_marc()
    run(session, data)
    title = record(session, "nfd-1").title
    assert title == "Buôn Ma Thuột" and unicodedata.is_normalized("NFC", title)


def test_text_in_an_unknown_encoding_is_rejected_not_garbled(session):
    cyrillic = fx.raw_record("00000nam  2200000 a 4500", [
        ("001", "ru-1"), ("245", "10", [("a", "Основы гидравлики")])],
        lambda text: text.encode("cp1251"))
    report = run(session, fx.iso2709([fx.book("ok-1", "Sách tốt")]) + cyrillic)
    assert (report.created, len(report.rejected)) == (1, 1)
    rejection = report.rejected[0]
    assert (rejection.number, rejection.control_number) == (2, "ru-1")
    assert "encoding" in rejection.reason.en and "bảng mã" in rejection.reason.vi
    # the librarian names the encoding and imports it again
    report = run(session, cyrillic, encoding="cp1251")
    assert record(session, "ru-1").title == "Основы гидравлики"


# --- Re-running and updating ------------------------------------------------------

def test_rerunning_the_same_file_creates_no_duplicates(session):
    first = run(session, fixture("koha-bmt.mrc"))
    again = run(session, fixture("koha-bmt.mrc"))
    assert (first.created, again.created, again.updated, again.unchanged) == (4, 0, 0, 4)
    assert again.items_created == 0
    assert count(session, BibRecord) == 4 and count(session, Item) == 5


def test_changed_record_is_updated_and_its_items_follow(session):
    run(session, fixture("koha-bmt.mrc"))
    original = record(session, "bmt-0004")
    created, record_id = original.created, original.id
    changed = list(fx.KOHA_BMT)
    changed[3] = fx.book("bmt-0004", "Cà phê Buôn Ma Thuột", "kỹ thuật trồng, chăm sóc và chế biến",
                         author="Lê Đức Dũng", year=2022, isbns=["9786040000019"],
                         copies=[{"a": "BMT", "c": "KHO-DOC", "o": "633.73", "p": "BMT0000005"},
                                 {"a": "BMT", "c": "KHO-MO", "o": "633.73", "p": "BMT0000006"}])
    report = run(session, fx.iso2709(changed))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 3)
    assert (report.items_created, report.items_updated) == (1, 1)
    session.expire_all()
    updated = record(session, "bmt-0004")
    assert updated.id == record_id and updated.created == created
    assert updated.title == "Cà phê Buôn Ma Thuột : kỹ thuật trồng, chăm sóc và chế biến"
    assert updated.year == 2022 and updated.authors == ["Lê Đức Dũng"]   # 700 removed
    assert updated.updated >= created
    assert {i.barcode: i.location for i in updated.items} == {"BMT0000005": "KHO-DOC",
                                                              "BMT0000006": "KHO-MO"}
    assert report.changed_ids == [record_id]


def test_record_without_001_is_recognised_by_isbn_on_the_next_run(session):
    def export(subtitle):
        return fx.book(None, "Tiếng Ê Đê cho người mới học", subtitle, isbns=["978-604-1-20001-2"])
    run(session, export("quyển 1").as_marc())
    report = run(session, export("quyển 1, in lần 2").as_marc())
    assert (report.created, report.updated) == (0, 1)
    assert count(session, BibRecord) == 1
    # the same file twice: recognised by its content
    report = run(session, export("quyển 1, in lần 2").as_marc())
    assert (report.created, report.unchanged) == (0, 1)


def test_records_with_different_control_numbers_are_not_merged_on_a_shared_isbn(session):
    volumes = [fx.book(f"set-{n}", f"Địa chí Đắk Lắk, tập {n}", isbns=["9786040000019"])
               for n in (1, 2)]
    run(session, fx.iso2709(volumes))
    report = run(session, fx.iso2709(volumes))
    assert count(session, BibRecord) == 2 and report.unchanged == 2


def test_same_control_number_twice_in_a_file_keeps_the_first(session):
    data = fx.iso2709([fx.book("dup-1", "Bản đầu"), fx.book("dup-1", "Bản sau")])
    report = run(session, data)
    assert report.created == 1 and [r.number for r in report.rejected] == [2]
    assert record(session, "dup-1").title == "Bản đầu"


# --- Damaged input ----------------------------------------------------------------

def test_corrupt_record_in_the_middle_is_skipped_with_its_position(session):
    data = open(fixture("corrupt-middle.mrc"), "rb").read()
    report = run(session, data)
    assert (report.read, report.created, len(report.rejected)) == (5, 4, 1)
    rejection = report.rejected[0]
    starts = [0]
    for _ in range(4):
        starts.append(starts[-1] + int(data[starts[-1]:starts[-1] + 5]))
    assert (rejection.number, rejection.offset) == (3, starts[2])
    assert "directory" in rejection.reason.en.lower()
    titles = sorted(r.title for r in session.scalars(select(BibRecord)))
    assert titles == [f"Sách thứ {n} về Buôn Ma Thuột" for n in (1, 2, 4, 5)]


def test_record_cut_short_does_not_take_the_next_one_with_it(session):
    records = [fx.book(f"cut-{n}", f"Biểu ghi {n}").as_marc() for n in (1, 2, 3)]
    cut = records[1][:len(records[1]) // 2]         # an interrupted copy of the file
    data = records[0] + cut + records[2]
    report = run(session, data)
    assert report.read == 3 and report.created == 2
    assert [(r.number, r.offset) for r in report.rejected] == [(2, len(records[0]))]
    assert "cut short" in report.rejected[0].reason.en
    assert {r.control_number for r in session.scalars(select(BibRecord))} == {"cut-1", "cut-3"}


def test_file_ending_in_the_middle_of_a_record(session):
    records = [fx.book(f"end-{n}", f"Biểu ghi {n}").as_marc() for n in (1, 2)]
    report = run(session, records[0] + records[1][:-40])
    assert report.created == 1
    assert [(r.number, r.offset) for r in report.rejected] == [(2, len(records[0]))]
    assert "ends in the middle" in report.rejected[0].reason.en


def test_a_file_that_is_not_marc_is_rejected_whole_with_a_bilingual_message(session):
    for data in (open(fixture("not-marc.csv"), "rb").read(), b"%PDF-1.7\n...", b"",
                 b"<?xml version='1.0'?><rss><channel><title>Tin</title></channel></rss>",
                 b"<html><body><p>not closed"):
        with pytest.raises(NotMarcError) as caught:
            run(session, data)
        message = str(caught.value)
        assert " / " in message
        assert "nothing was imported" in message and "chưa nhập gì" in message
    assert count(session, BibRecord) == 0 and count(session, Item) == 0


def test_broken_xml_keeps_the_records_before_the_break_and_says_where(session):
    xml = fx.marcxml(fx.TUY_HOA[:2]).replace(b"</collection>", b"<record><leader>broken")
    report = run(session, xml, library="tuy-hoa")
    assert report.created == 2
    assert report.stopped is not None and "line" in report.stopped.en


def test_marcxml_broken_inside_its_first_record_says_so_with_the_line(session):
    xml = fx.marcxml(fx.TUY_HOA[:1])
    broken = xml[:xml.index(b"</record>")].replace(b"</datafield>", b"", 1)
    with pytest.raises(NotMarcError) as caught:
        run(session, broken, library="tuy-hoa")
    message = caught.value.reason
    assert "MARCXML file is broken at line" in message.en and "nothing was imported" in message.en
    assert "Tệp MARCXML bị hỏng ở dòng" in message.vi and "neither" not in message.en
    assert count(session, BibRecord) == 0


def test_marcxml_record_without_leader_is_rejected_with_its_line(session):
    xml = fx.marcxml(fx.TUY_HOA[:2])
    xml = xml.replace(b"<leader>", b"<!--", 1).replace(b"</leader>", b"-->", 1)
    report = run(session, xml, library="tuy-hoa")
    assert report.created == 1
    [rejection] = report.rejected
    assert (rejection.number, rejection.control_number) == (1, "th-0001")
    assert rejection.line == 3 and "leader" in rejection.reason.en


# --- Copies ------------------------------------------------------------------------

def test_copies_go_to_the_library_of_their_branch(session):
    data = fx.book("br-1", "Hai cơ sở", copies=[{"a": "BMT", "p": "X-1"}, {"a": "TH", "p": "X-2"}]
                   ).as_marc()
    run(session, data, branches={"TH": "tuy-hoa"})
    libraries = {barcode: library for barcode, library in
                 session.execute(select(Item.barcode, Item.library))}
    assert libraries == {"X-1": "bmt", "X-2": "tuy-hoa"}


def test_copy_problems_are_reported_and_the_record_still_imported(session):
    run(session, fx.book("other", "Sách Tuy Hòa", copies=[{"a": "TH", "p": "SHARED"}]).as_marc(),
        library="tuy-hoa")
    data = fx.book("cp-1", "Sách có vấn đề", copies=[
        {"a": "BMT", "o": "900"},                        # no barcode
        {"a": "BMT", "p": "CP-1"},
        {"a": "BMT", "p": "CP-1"},                       # twice
        {"a": "BMT", "p": "SHARED"},                     # another library's copy
    ]).as_marc()
    report = run(session, data)
    assert report.created == 1 and report.items_created == 1
    reasons = [p.reason.en for p in report.item_problems]
    assert len(reasons) == 3
    assert "no barcode" in reasons[0] and "used again" in reasons[1]
    assert "library tuy-hoa" in reasons[2]
    assert session.scalars(select(Item).where(Item.barcode == "SHARED")).one().library == "tuy-hoa"


# --- The command line -------------------------------------------------------------

def _ini(tmp_path, sql_url):
    ini = tmp_path / "test.ini"
    url = sql_url.replace("%", "%%")         # ini files interpolate %
    ini.write_text(f"[app:main]\nuse = egg:serepok\nsqlalchemy.url = {url}\n"
                   "sql.auto_migrate = true\n")
    return str(ini)


def _args(argv):
    import argparse
    parser = argparse.ArgumentParser(prog="serepok import")
    add_import_marc(parser.add_subparsers(dest="kind", required=True))
    return parser.parse_args(argv)


def test_command_line_import_commits_and_reports(tmp_path, sql_url, sql_backend):
    ini = _ini(tmp_path, sql_url)
    out, err = io.StringIO(), io.StringIO()
    args = _args(["marc", ini, fixture("corrupt-middle.mrc"), "--site", "bmt", "--quiet"])
    status = args.func(args, out=out, err=err)
    assert status == 1                                 # imported, one record rejected
    text = out.getvalue()
    assert "Tạo mới / created: 4" in text and "#3 (byte" in text
    engine = db.make_engine({"sqlalchemy.url": sql_url})
    with engine.connect() as conn:                     # committed: another connection sees it
        assert conn.scalar(select(func.count()).select_from(BibRecord)) == 4
        assert conn.scalar(select(func.count()).select_from(Item)) == 4
    engine.dispose()
    args = _args(["marc", ini, fixture("koha-bmt.mrc"), "--site", "bmt", "--quiet", "--dry-run"])
    assert args.func(args, out=io.StringIO(), err=err) == 0
    engine = db.make_engine({"sqlalchemy.url": sql_url})
    with engine.connect() as conn:                     # dry run: nothing stored
        assert conn.scalar(select(func.count()).select_from(BibRecord)) == 4
    engine.dispose()


def test_command_line_commits_updates_too(tmp_path, sql_url, sql_backend):
    ini = _ini(tmp_path, sql_url)
    first = tmp_path / "first.mrc"
    first.write_bytes(fx.book("cl-1", "Bản cũ", copies=[{"a": "BMT", "p": "CL-1", "c": "A"}])
                      .as_marc())
    second = tmp_path / "second.mrc"
    second.write_bytes(fx.book("cl-1", "Bản mới", copies=[{"a": "BMT", "p": "CL-1", "c": "B"}])
                       .as_marc())
    for path in (first, second):
        args = _args(["marc", ini, str(path), "--site", "bmt", "--quiet"])
        assert args.func(args, out=io.StringIO(), err=io.StringIO()) == 0
    engine = db.make_engine({"sqlalchemy.url": sql_url})
    with engine.connect() as conn:
        assert conn.execute(select(BibRecord.title)).scalars().all() == ["Bản mới"]
        assert conn.execute(select(Item.location)).scalars().all() == ["B"]
    engine.dispose()


def test_command_line_refuses_a_file_that_is_not_marc(tmp_path, sql_url):
    args = _args(["marc", _ini(tmp_path, sql_url), fixture("not-marc.csv"), "--site", "bmt",
                  "--quiet"])
    err = io.StringIO()
    assert args.func(args, out=io.StringIO(), err=err) == 2
    assert "không phải MARC" in err.getvalue() and "nor MARCXML" in err.getvalue()


def test_library_code_is_checked():
    with pytest.raises(ValueError):
        MarcImporter(types.SimpleNamespace(), "Buôn Ma Thuột")


def test_command_line_reports_the_records_merged_in_the_union_catalogue(tmp_path, sql_url,
                                                                        sql_backend):
    ini = tmp_path / "merged.ini"
    ini.write_text(f"[app:main]\nuse = egg:serepok\nsqlalchemy.url = {sql_url.replace('%', '%%')}"
                   f"\nsql.auto_migrate = true\nserepok.var = {tmp_path}\n"
                   "federation.sites = bmt tuy-hoa\n")
    same = {"author": "Nguyễn Văn Giàu", "year": 2001, "isbns": ["978-604-1-00004-9"]}
    bmt = tmp_path / "bmt.mrc"
    bmt.write_bytes(fx.book("m-1", "Biên niên Krông Pắc", copies=[{"a": "BMT", "p": "S1"}],
                            **same).as_marc()
                    + fx.book("m-2", "Sách chỉ có ở Buôn Ma Thuột",
                              copies=[{"a": "BMT", "p": "S2"}]).as_marc())
    tuy_hoa = tmp_path / "tuy-hoa.mrc"
    tuy_hoa.write_bytes(fx.book("t-1", "Biên niên Krông Pắc", copies=[{"a": "TH", "p": "S3"}],
                                **same).as_marc())

    def run(path, site):
        out = io.StringIO()
        args = _args(["marc", str(ini), str(path), "--site", site, "--quiet"])
        assert args.func(args, out=out, err=io.StringIO()) == 0
        return out.getvalue()
    line = "Gộp trong mục lục liên hợp / merged in the union catalogue: "
    assert line + "0" in run(bmt, "bmt")
    assert line + "1" in run(tuy_hoa, "tuy-hoa")      # the same book as Buôn Ma Thuột's
    again = run(bmt, "bmt")                            # nothing changed, merged since
    assert "Không đổi / unchanged: 2" in again and line + "1" in again


def test_command_line_says_nothing_of_merging_while_the_union_catalogue_waits(
        tmp_path, sql_url, sql_backend, monkeypatch):
    # the union store could not take the import in (its changes stay queued)
    import federation.bulk
    monkeypatch.setattr(federation.bulk, "apply_queued", lambda pipeline, progress=None: 0)
    out = io.StringIO()
    args = _args(["marc", _ini(tmp_path, sql_url), fixture("koha-bmt.mrc"), "--site", "bmt",
                  "--quiet"])
    assert args.func(args, out=out, err=io.StringIO()) == 0
    assert "Tạo mới / created: 4" in out.getvalue()
    assert "merged" not in out.getvalue()

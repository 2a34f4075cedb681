"""The catalogue's records and items: what is extracted from MARC, how it is
kept, and what the database itself guarantees."""
import pytest
from pymarc import Field, Indicators, Subfield
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from ils.catalogue.fields import copies, describe, isbn13, issn
from ils.catalogue.importer import MarcImporter
from ils.catalogue.iso2709 import from_iso2709, to_iso2709
from ils.catalogue.marcfile import read_marc, sniff
from ils.catalogue.models import BibRecord, Item, ItemStatus, RecordIsbn
from ils.catalogue.services import CatalogueService
from tests.fixtures.marc import make_fixtures as fx


@pytest.fixture
def session(dbsession, sql_backend):
    """A migrated database, on SQLite and on PostgreSQL."""
    return dbsession


def read_one(pymarc_record):
    [entry] = list(read_marc(pymarc_record.as_marc()))
    return entry.record


# --- Key fields ---------------------------------------------------------------------

@pytest.mark.parametrize("written, expected", [
    ("978-604-1-20001-2", "9786041200012"),
    ("9786041200012 (bìa cứng) : 120000đ", "9786041200012"),
    ("604-0-00015-5", "9786040000156"),        # ISBN-10 → ISBN-13
    ("0-8044-2957-X", "9780804429573"),         # check digit X
    ("ISBN 978 604 1 20001 2", "9786041200012"),
    ("978-604-1-20001-3", None),                # wrong check digit
    ("12345", None),
    ("", None),
])
def test_isbns_are_normalised_to_isbn13(written, expected):
    assert isbn13(written) == expected


def test_issn_is_checked_and_hyphenated():
    assert issn("0317-8471") == "0317-8471"
    assert issn("ISSN 03178471") == "0317-8471"
    assert issn("0317-8472") is None


def test_describe_reads_the_fields_a_catalogue_needs():
    record = fx.book("d-1", "Âm nhạc cồng chiêng", "nghiên cứu", author="Nguyễn Thị Lan",
                     statement="Nguyễn Thị Lan", year=2010, isbns=["604-0-00015-5", "bad"],
                     subjects=["Âm nhạc dân gian -- Tây Nguyên"], ddc="781.62",
                     others=["Y Điêng", "Nguyễn Thị Lan"])
    record.add_field(Field("041", Indicators("1", " "), [Subfield("a", "vieeng")]))
    record.add_field(Field("022", Indicators(" ", " "), [Subfield("a", "0317-8471")]))
    record.add_field(Field("600", Indicators("0", "4"), [Subfield("a", "Y Ngông Niê Kdăm,"),
                                                         Subfield("x", "Tiểu sử.")]))
    record.add_field(Field("653", Indicators(" ", " "), [Subfield("a", "Buôn Đôn"),
                                                         Subfield("a", "voi")]))
    d = describe(read_one(record))
    assert d["control_number"] == "d-1"
    assert d["title"] == "Âm nhạc cồng chiêng : nghiên cứu"
    assert d["statement"] == "Nguyễn Thị Lan"
    assert d["authors"] == ["Nguyễn Thị Lan", "Y Điêng"]           # once each
    assert d["isbns"] == ["9786040000156"]
    assert d["issns"] == ["0317-8471"]
    assert (d["language"], d["languages"]) == ("vie", ["vie", "eng"])
    assert d["subjects"] == ["Âm nhạc dân gian -- Tây Nguyên", "Y Ngông Niê Kdăm -- Tiểu sử",
                             "Buôn Đôn", "voi"]
    assert (d["year"], d["ddc"], d["format"]) == (2010, "781.62", "book")
    assert d["title_key"] == "am nhac cong chieng nghien cuu"
    assert d["author_key"] == "lan nguyen thi"


def test_title_key_skips_non_filing_characters_and_264_is_preferred():
    record = fx.book("d-2", "The Central Highlands", language="eng")
    record["245"].indicators = Indicators("0", "4")
    record.add_field(Field("264", Indicators(" ", "1"), [
        Subfield("a", "Hà Nội :"), Subfield("b", "Thế giới,"), Subfield("c", "[2024]")]))
    d = describe(read_one(record))
    assert d["title_key"] == "central highlands"
    assert (d["place"], d["publisher"], d["year"]) == ("Hà Nội", "Thế giới", 2024)


def test_year_falls_back_to_the_fixed_field_and_serials_are_serials():
    record = fx.book("d-3", "Tạp chí Văn hóa Đắk Lắk", year=1998)
    record.leader = record.leader[:7] + "s" + record.leader[8:]
    record["260"].delete_subfield("c")
    d = describe(read_one(record))
    assert (d["year"], d["format"]) == (1998, "serial")


def test_koha_item_flags_become_statuses():
    flags = [({}, "available"), ({"0": "1"}, "withdrawn"), ({"1": "1"}, "lost"),
             ({"1": "4"}, "missing"), ({"4": "1"}, "damaged"), ({"q": "2026-12-24"}, "on_loan"),
             ({"7": "1"}, "not_for_loan"), ({"7": "-1"}, "in_processing"),
             ({"1": "0"}, "available")]
    record = fx.book("k-1", "Sách", copies=[dict({"a": "BMT", "p": f"K{n}"}, **extra)
                                              for n, (extra, _status) in enumerate(flags)])
    found = copies(read_one(record))
    assert [c["status"] for c in found] == [status for _extra, status in flags]
    assert {c["status"] for c in found} <= {s.value for s in ItemStatus}


# --- Reading and writing MARC --------------------------------------------------------

def test_stored_marc_is_the_canonical_utf8_record():
    record = fx.KOHA_BMT[0]
    data = record.as_marc()
    ours = read_one(record)
    assert ours.raw == data                      # already canonical: kept byte for byte
    assert to_iso2709(ours) == data
    assert to_iso2709(from_iso2709(to_iso2709(ours))) == data


def test_record_too_long_for_iso2709_is_kept_as_marcxml(session):
    record = fx.book("long-1", "Tuyển tập sử thi Tây Nguyên")
    for n in range(40):                           # 40 notes of 3,000 bytes: > 99,999 bytes
        note = f"{n} " + "Đăm San " * 375
        record.add_field(Field("520", Indicators(" ", " "), [Subfield("a", note)]))
    xml = fx.marcxml([record])
    report = MarcImporter(session, "bmt").run(xml)
    assert report.created == 1
    stored = session.scalars(select(BibRecord)).one()
    assert stored.marc_format == "marcxml"
    back = stored.marc_record()
    assert len(back.datafields("520")) == 40
    assert stored.pymarc()["245"]["a"].startswith("Tuyển tập sử thi")


def test_format_is_told_by_content_not_by_name():
    assert sniff(b"\xef\xbb\xbf  <?xml version='1.0'?><collection/>") == "marcxml"
    assert sniff(fx.KOHA_BMT[0].as_marc()) == "iso2709"
    assert sniff(b"Nhan de,Tac gia\n") is None
    # the first record damaged: the next leader still says ISO 2709
    assert sniff(b"0012X garbage\x1d" + fx.KOHA_BMT[0].as_marc()) == "iso2709"


# --- The database keeps its promises ------------------------------------------------

def test_unknown_item_status_is_refused_by_the_database(session):
    MarcImporter(session, "bmt").run(fx.iso2709(fx.KOHA_BMT[:1]))
    session.flush()
    with pytest.raises(IntegrityError):
        with session.begin_nested():
            session.execute(text("UPDATE items SET status = 'borrowed'"))


def test_a_barcode_is_unique_across_libraries(session):
    MarcImporter(session, "bmt").run(fx.iso2709(fx.KOHA_BMT[:1]))
    session.flush()
    record_id = session.scalars(select(BibRecord.id)).first()
    with pytest.raises(IntegrityError):
        with session.begin_nested():
            session.add(Item(barcode="BMT0000001", record_id=record_id, library="tuy-hoa"))
            session.flush()


def test_same_control_number_may_exist_in_two_sources(session):
    MarcImporter(session, "bmt").run(fx.book("same-1", "Một").as_marc())
    MarcImporter(session, "tuy-hoa").run(fx.book("same-1", "Hai").as_marc())
    session.flush()
    titles = session.execute(select(BibRecord.source, BibRecord.title)
                             .where(BibRecord.control_number == "same-1")).all()
    assert sorted(titles) == [("bmt", "Một"), ("tuy-hoa", "Hai")]
    with pytest.raises(IntegrityError):
        with session.begin_nested():
            session.add(BibRecord(source="bmt", control_number="same-1", library="bmt",
                                  marc=b"", marc_hash="x"))
            session.flush()


def test_deleting_a_record_takes_its_isbns(session):
    MarcImporter(session, "th").run(fx.book("del-1", "Xóa", isbns=["604-0-00015-5"]).as_marc())
    session.flush()
    record = session.scalars(select(BibRecord)).one()
    session.delete(record)
    session.flush()
    assert session.scalars(select(RecordIsbn)).all() == []


# --- The service -----------------------------------------------------------------------

def test_service_finds_records_and_copies(session):
    service = CatalogueService(session)
    service.import_marc(fx.iso2709(fx.KOHA_BMT), "bmt")
    service.import_marc(fx.marcxml([fx.book("th-9", "Sử thi Đăm San", isbns=["604-0-00015-5"],
                                            tag="852", copies=[{"a": "TH", "p": "TH-9"}])]),
                        "tuy-hoa")
    session.flush()
    both = service.by_isbn("9786040000156")
    assert [(r.source, r.control_number) for r in both] == [("bmt", "bmt-0002"),
                                                            ("tuy-hoa", "th-9")]
    history = service.by_control_number("bmt", "bmt-0001")
    assert service.get(history.id) is history and service.get("nope") is None
    assert [i.barcode for i in service.items_of(history.id)] == ["BMT0000001", "BMT0000002"]
    assert service.items_of(history.id, library="tuy-hoa") == []
    assert service.item("TH-9").library == "tuy-hoa"

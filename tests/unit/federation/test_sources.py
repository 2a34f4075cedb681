"""Source adapters: the library's catalogue (SQL) and the repository (ZODB) as Records.

The catalogue tests run on SQLite and PostgreSQL (``sql_backend``).
"""
import pytest
from pymarc import Field, Indicators, Subfield

from federation.sources import (CatalogueSource, Imported, catalogue_record, repository_record,
                                repository_records)
from ils.catalogue.importer import MarcImporter
from ils.catalogue.models import BibRecord
from repository.resources import Audiobook, Collection, DigitalItem, Page, Root, Site
from tests.fixtures.marc.make_fixtures import HERE, KOHA_BMT, book, iso2709, marcxml


@pytest.fixture
def session(dbsession, sql_backend):
    """A migrated database, on SQLite and on PostgreSQL."""
    return dbsession


def imported(session, records, library, fmt=iso2709, **kwargs):
    report = MarcImporter(session, library, **kwargs).run(fmt(records))
    session.flush()
    assert not report.rejected, report.rejected
    return report.changed_ids


def test_a_catalogue_record_with_copies_in_two_libraries(session):
    record = book("bmt-1", "Lịch sử Tây Nguyên", subtitle="từ thời tiền sử",
                  author="Nguyễn Văn Giàu", year=2001, isbns=["604-1-00004-3"],
                  subjects=["Lịch sử -- Tây Nguyên"], copies=[
                      {"a": "BMT", "p": "B1", "o": "959.76 L302S", "c": "Kho mở"},
                      {"a": "BMT", "p": "B2", "o": "959.76 L302S", "q": "2026-12-01"},
                      {"a": "BMT", "p": "B3", "0": "1"},                      # withdrawn
                      {"a": "EAKAO", "p": "X1"}])
    record.add_field(Field("520", Indicators(" ", " "),
                           [Subfield("a", "Tổng quan lịch sử vùng đất Tây Nguyên.")]))
    record.add_field(Field("856", Indicators("4", "2"), [Subfield("u", "http://review")]))
    record.add_field(Field("856", Indicators("4", "0"), [Subfield("u", "http://sach.vn/1")]))
    [record_id] = imported(session, [record], "bmt", branches={"EAKAO": "xa-ea-kao"})
    found = CatalogueSource(session, sites=("bmt", "tuy-hoa")).records([record_id, 999])
    assert list(found) == [f"ils:{record_id}"]
    r = found[f"ils:{record_id}"]
    assert r.title == "Lịch sử Tây Nguyên : từ thời tiền sử"
    assert (r.authors, r.year, r.isbns) == (["Nguyễn Văn Giàu"], 2001, ["9786041000049"])
    assert r.subjects == ["Lịch sử -- Tây Nguyên"]
    assert r.description == "Tổng quan lịch sử vùng đất Tây Nguyên."
    assert r.url == "http://sach.vn/1"                  # not the review (856 ind. 2 = 2)
    assert r.source == "ils:bmt" and r.provenance == [f"ils:{record_id}"]
    assert [(h.library, h.site, h.items, h.available, h.call_number, h.location)
            for h in r.holdings] == [
        ("bmt", "bmt", 2, 1, "959.76 L302S", "Kho mở"),   # the withdrawn copy is not held
        ("xa-ea-kao", "", 1, 1, "", "")]
    assert r.available_at == ["bmt", "xa-ea-kao", "online"]


def test_a_record_without_items_is_still_held_by_its_library(session):
    [record_id] = imported(session, [book("x-1", "Truyện cổ Ê Đê", year=1999)], "xa-ea-kao")
    r = CatalogueSource(session).records([record_id])[f"ils:{record_id}"]
    assert [(h.library, h.items, h.available) for h in r.holdings] == [("xa-ea-kao", 0, 0)]


def test_a_record_whose_every_copy_is_withdrawn_is_held_by_no_one(session):
    ids = imported(session, [book("w-1", "Sách đã thanh lý", year=1980,
                                  copies=[{"a": "BMT", "p": "W1", "0": "1"},
                                          {"a": "BMT", "p": "W2", "0": "1"}]),
                             book("w-2", "Sách bị mất", year=1980,
                                  copies=[{"a": "BMT", "p": "W3", "0": "1"},
                                          {"a": "BMT", "p": "W4", "1": "1"}]),       # lost
                             book("w-3", "Sách thất lạc", year=1980,
                                  copies=[{"a": "BMT", "p": "W5", "1": "4"}])],      # missing
                   "bmt")
    found = CatalogueSource(session).records(ids)
    assert list(found) == [f"ils:{ids[1]}", f"ils:{ids[2]}"]
    assert [(h.library, h.items, h.available) for h in found[f"ils:{ids[1]}"].holdings] == [
        ("bmt", 0, 0)]
    assert [(h.library, h.items, h.available) for h in found[f"ils:{ids[2]}"].holdings] == [
        ("bmt", 1, 0)]


def test_a_record_too_long_for_iso2709_still_gives_its_summary(session):
    record = book("long-1", "Địa chí Đắk Lắk", year=2010)
    long_text = "Địa chí. " * 12000                              # > 99,999 bytes
    record.add_field(Field("520", Indicators(" ", " "), [Subfield("a", long_text)]))
    [record_id] = imported(session, [record], "bmt", fmt=marcxml)
    assert session.get(BibRecord, record_id).marc_format == "marcxml"
    r = CatalogueSource(session).records([record_id])[f"ils:{record_id}"]
    assert r.description.startswith("Địa chí. Địa chí.") and len(r.description) > 90000


def test_batches_walk_every_record_in_order(session):
    ids = imported(session, [book(f"b-{n}", f"Sách {n}", year=2000 + n) for n in range(7)],
                   "bmt")
    seen = [key for batch in CatalogueSource(session).batches(size=3) for key, _r in batch]
    assert seen == [f"ils:{i}" for i in sorted(ids)]


def varied_books():
    """Copies in several libraries and states, none, no call number, an e-resource link."""
    with_link = book("v-4", "Sách điện tử", year=2021)
    with_link.add_field(Field("856", Indicators("4", "0"), [Subfield("u", "http://sach.vn/4")]))
    return [
        book("v-1", "Lịch sử Tây Nguyên", author="Nguyễn Văn Giàu", year=2001,
             isbns=["604-1-00004-3", "978-604-1-00004-9"], subjects=["Lịch sử -- Tây Nguyên"],
             copies=[{"a": "BMT", "p": "V1", "o": "959.76 L302S", "c": "Kho mở"},
                     {"a": "BMT", "p": "V2", "o": "959.76 A", "q": "2026-12-01"},
                     {"a": "BMT", "p": "V3", "0": "1"},
                     {"a": "BMT", "p": "V4", "c": "Kho đóng"},
                     {"a": "EAKAO", "p": "V5", "1": "1"}]),
        book("v-2", "Truyện cổ Ê Đê", year=1999),
        book("v-3", "Sách đã thanh lý", copies=[{"a": "BMT", "p": "V6", "0": "1"}]),
        with_link,
        book("v-5", "Sổ tay", copies=[{"a": "BMT", "p": ""}, {"a": "BMT", "p": "V1"}])]


def normalized(item):
    row, isbns, copies = item
    return tuple(row), isbns, None if copies is None else sorted(copies)


def test_what_an_import_writes_is_what_the_catalogue_reads_back(session):
    """The records an import hands to the union catalogue update that follows it
    (``MarcImporter(written=…)``) are exactly what reading them back gives."""
    written = Imported()
    importer = MarcImporter(session, "bmt", branches={"EAKAO": "xa-ea-kao"}, written=written)
    report = importer.run(iso2709(varied_books() + KOHA_BMT))
    with open(f"{HERE}/marc8-vi.mrc", "rb") as data:       # MARC-8, stored as UTF-8
        report.changed_ids += MarcImporter(session, "tuy-hoa", written=written).run(
            data).changed_ids
    session.flush()
    made = written.items()
    assert sorted(made) == sorted(report.changed_ids) and len(made) > 5
    read = {item[0][0]: item for item in CatalogueSource(session).items_of(made)}
    assert {i: normalized(item) for i, item in made.items()} == {
        i: normalized(item) for i, item in read.items()}
    sites = frozenset({"bmt", "tuy-hoa"})
    assert {i: catalogue_record(item, sites) for i, item in made.items()} == {
        i: catalogue_record(item, sites) for i, item in read.items()}
    # the source takes them instead of reading, the others it reads
    [other] = imported(session, [book("o-1", "Đầm Ô Loan", year=2015)], "tuy-hoa")
    source = CatalogueSource(session, written=made)
    assert [item[0][0] for item in source.items(size=3)] == sorted([*made, other])
    assert all(item is made[item[0][0]] for item in source.items_of(made))


def test_an_import_hands_over_only_the_records_it_created_whole(session):
    """Updated records, a record one of whose copies moved from another record,
    and records past the limit are read back instead."""
    first = imported(session, [book("h-1", "Sách một", copies=[{"a": "BMT", "p": "H1"}])], "bmt")
    written = Imported(limit=2)
    report = MarcImporter(session, "bmt", written=written).run(iso2709([
        book("h-1", "Sách một (tái bản)", copies=[{"a": "BMT", "p": "H1"}]),      # updated
        book("h-2", "Sách hai", copies=[{"a": "BMT", "p": "H2"}]),
        book("h-3", "Sách ba"),
        book("h-4", "Sách bốn")]))                                             # past the limit
    assert report.updated == 1 and report.created == 3
    assert first[0] not in written.items() and len(written) == 2
    written = Imported()
    report = MarcImporter(session, "bmt", written=written).run(iso2709([
        book("m-1", "Sách chuyển", copies=[{"a": "BMT", "p": "H2"}])]))        # H2 moves here
    assert report.created == 1 and report.items_updated == 1 and written.items() == {}


@pytest.mark.parametrize("workers", [0, 1], ids=["in-process", "in-workers"])
def test_members_made_ahead_are_what_the_catalogue_makes(session, monkeypatch, workers):
    """A handover has the workers make its members while the import commits
    (``Handover.prepare``); the union update takes them, except for a record
    forgotten since (read back and made again), and makes a member asked for
    twice (an attempt retried) again."""
    import federation.workers
    from federation.members import member_texts
    from federation.sources import Handover
    if workers:
        monkeypatch.setattr(federation.workers, "PARALLEL_ABOVE", 1)
        monkeypatch.setattr(federation.workers, "CHUNK", 2)
    written = Imported()
    MarcImporter(session, "bmt", written=written).run(iso2709(varied_books() + KOHA_BMT))
    session.flush()
    sites = ("bmt", "tuy-hoa")
    handover = Handover(written.items(), batch="b1")
    handover.prepare(sites)
    ids = sorted(handover.items)
    forgotten = next(i for i in ids[1:] if member_texts(handover.items[i], frozenset(sites)))
    session.get(BibRecord, forgotten).title = "Tên đã sửa"
    session.flush()
    handover.forget([(f"ils:{forgotten}", "b2")])
    source = CatalogueSource(session, sites, written=handover)
    expected = [member_texts(item, frozenset(sites)) for item in
                CatalogueSource(session, sites).items_of(ids)]
    assert list(source.member_answers(source.items_of(ids))) == expected
    assert "Tên đã sửa" in expected[ids.index(forgotten)][1]
    assert list(source.member_answers(source.items_of(ids[:3]))) == expected[:3]
    # made for other sites: not taken
    other = CatalogueSource(session, ("bmt",), written=handover)
    assert list(other.member_answers(other.items_of(ids))) == [
        member_texts(item, frozenset({"bmt"})) for item in
        CatalogueSource(session).items_of(ids)]


# --- the repository ---------------------------------------------------------------------

def repository():
    root = Root(title="Thư viện tỉnh Đắk Lắk")
    site = root.add("bmt", Site(title="Cơ sở Buôn Ma Thuột", code="BMT"))
    local = site.add("dia-chi", Collection(title="Địa chí"))
    local.state = "published"
    epics = local.add("su-thi", Collection(title="Sử thi"))
    epics.state = "published"
    item = epics.add("dam-san", DigitalItem(title="Sử thi Đăm San", creators=["Y Điêng"],
                                            year=1988, isbn="9786041000049", language="vie",
                                            call_number="398.2 Đ114S"))
    item.state = "published"
    drafts = site.add("nhap", Collection(title="Bản nháp"))           # private
    hidden = drafts.add("an", DigitalItem(title="Tài liệu chưa công bố"))
    hidden.state = "published"
    talk = local.add("nghe", Audiobook(title="Chuyện kể nhà dài"))
    talk.state = "published"
    page = site.add("gioi-thieu", Page(title="Giới thiệu"))
    page.state = "published"
    return root, site, local, item, hidden, talk


def test_a_published_digital_item_is_a_record_readers_can_open():
    root, _site, _local, item, _hidden, _talk = repository()
    r = repository_record(item, "http://thuvien.example/")
    assert r.id == f"repository:{item.uid}" and r.provenance == [r.id]
    assert (r.title, r.format, r.authors, r.year) == ("Sử thi Đăm San", "digital",
                                                      ["Y Điêng"], 1988)
    assert r.url == "http://thuvien.example/bmt/dia-chi/su-thi/dam-san/"
    assert r.collections == ["Địa chí", "Sử thi"]
    assert [(h.library, h.library_name, h.site, h.items, h.call_number) for h in r.holdings] \
        == [("bmt", "Cơ sở Buôn Ma Thuột", "bmt", 0, "398.2 Đ114S")]
    assert r.available_at == ["online"]


def test_unpublished_below_unpublished_or_removed_is_no_record():
    root, _site, local, item, hidden, talk = repository()
    assert repository_record(hidden) is None            # its collection is private
    assert repository_record(talk).format == "audiobook"
    item.state = "internal"
    assert repository_record(item) is None
    item.state = "published"
    local.state = "private"
    assert repository_record(item) is None
    local.state = "published"
    local["su-thi"].remove("dam-san")
    assert repository_record(item) is None        # removed, though it still knows its parent


def test_the_walk_finds_exactly_what_readers_see():
    root, _site, _local, item, _hidden, talk = repository()
    found = dict(repository_records(root, "http://x"))
    assert set(found) == {f"repository:{item.uid}", f"repository:{talk.uid}"}

"""The union catalogue service on a real store: merging across libraries, stable ids,
staff splits, deletions tracked for OAI-PMH. Runs on SQLite and PostgreSQL."""
import base64
import datetime

import pytest
from sqlalchemy import delete, func, select

from federation.index.tantivy_index import TantivyIndex
from federation.models import UnionMember, UnionRecord, UnionSet
from federation.records import Record, SearchQuery
from federation.services import SplitError, UnionCatalogue
from ils.catalogue.importer import MarcImporter
from ils.catalogue.models import BibRecord, Item, ItemStatus
from tests.fixtures.marc.make_fixtures import book, iso2709, marcxml

SITES = ("bmt", "tuy-hoa")
HISTORY = dict(subtitle="từ thời tiền sử đến năm 1945", author="Nguyễn Văn Giàu", year=2001)


class Clock:
    def __init__(self):
        self.now = datetime.datetime(2026, 11, 27, 8, 0, 0, 250000, tzinfo=datetime.timezone.utc)

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += datetime.timedelta(seconds=seconds)


@pytest.fixture
def session(dbsession, sql_backend):
    """A migrated database, on SQLite and on PostgreSQL."""
    return dbsession


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def index(tmp_path):
    index = TantivyIndex(tmp_path / "index", writer_heap=15_000_000)
    yield index
    index.close()


@pytest.fixture
def union(session, index, clock):
    return UnionCatalogue(session, index, sites=SITES, clock=clock)


def imported(session, records, library, fmt=iso2709):
    report = MarcImporter(session, library).run(fmt(records))
    session.flush()
    assert not report.rejected
    return report.changed_ids


def import_bmt(session):
    return imported(session, [
        book("bmt-1", "Lịch sử Tây Nguyên", isbns=["978-604-1-00004-9"], copies=[
            {"a": "BMT", "p": "BMT-01", "o": "959.76 L302S"},
            {"a": "BMT", "p": "BMT-02", "o": "959.76 L302S", "q": "2026-12-01"}], **HISTORY),
        book("bmt-2", "Cà phê Buôn Ma Thuột", author="Nguyễn Thị Lan", year=2012,
             isbns=["978-604-2-00003-1"], copies=[{"a": "BMT", "p": "BMT-03"}])], "bmt")


def import_tuy_hoa(session):
    # the other site exported MARCXML, the ISBN written as ISBN-10, copies in 852
    return imported(session, [book("TH0077", "Lịch sử Tây Nguyên", isbns=["604-1-00004-3"],
                                   tag="852", copies=[{"a": "TH", "p": "TH-77", "h": "959.76"}],
                                   **HISTORY)], "tuy-hoa", fmt=marcxml)


def import_commune(session):
    # a commune library's copy: no ISBN, no subtitle, title in capitals
    return imported(session, [book("EK-5", "LỊCH SỬ TÂY NGUYÊN", author="Nguyễn Văn Giàu",
                                   year=2001, copies=[{"a": "EK", "p": "EK-5"}])], "xa-ea-kao")


def history_id(union, session):
    bmt = session.scalars(select(BibRecord.id).where(BibRecord.control_number == "bmt-1")).one()
    return union.union_id_of(f"ils:{bmt}")


def test_one_book_in_three_libraries_is_one_record_with_three_holdings(session, union):
    import_bmt(session)
    import_tuy_hoa(session)
    import_commune(session)
    report = union.rebuild()
    assert (report.members, report.records, report.merged) == (4, 2, 3)
    record = union.get(history_id(union, session))
    assert record.title == "Lịch sử Tây Nguyên : từ thời tiền sử đến năm 1945"
    assert [(h.library, h.items, h.available) for h in record.holdings] == [
        ("bmt", 2, 1), ("tuy-hoa", 1, 1), ("xa-ea-kao", 1, 1)]
    assert record.holdings[0].call_number == "959.76 L302S"
    assert len(record.provenance) == 3 and all(p.startswith("ils:") for p in record.provenance)
    assert [m.record.source for m in union.members(record.id)] == [
        "ils:bmt", "ils:tuy-hoa", "ils:xa-ea-kao"]
    assert union.set_specs() == {"library:xa-ea-kao": 1, "site:bmt": 2, "site:tuy-hoa": 1}


def test_rebuild_is_idempotent_and_gives_the_same_ids(session, union, clock):
    import_bmt(session)
    import_tuy_hoa(session)
    import_commune(session)
    union.rebuild()
    before = {c.id: (c.datestamp, c.record) for c in union.changes()}
    clock.advance(3600)
    again = union.rebuild(in_memory=0)              # members read back from the store this time
    assert (again.created, again.changed, again.deleted) == (0, 0, 0)
    assert {c.id: (c.datestamp, c.record) for c in union.changes()} == before
    # from an empty store: the same ids again
    for table in (UnionSet, UnionMember, UnionRecord):
        session.execute(delete(table))
    union.rebuild()
    assert {c.id for c in union.changes()} == set(before)


def test_an_update_after_commit_agrees_with_a_rebuild(session, union, clock):
    import_bmt(session)
    union.rebuild()
    first = history_id(union, session)
    changed = import_tuy_hoa(session) + import_commune(session)
    clock.advance(10)
    touched = union.update_members([f"ils:{i}" for i in changed])
    assert first in touched
    assert history_id(union, session) == first                  # the record keeps its id
    assert [h.library for h in union.get(first).holdings] == ["bmt", "tuy-hoa", "xa-ea-kao"]
    report = union.rebuild()
    assert (report.created, report.changed, report.deleted, report.records) == (0, 0, 0, 2)


def test_a_corrected_record_leaves_the_merge_and_a_rebuild_agrees(session, union, clock):
    import_bmt(session)
    [tuy_hoa] = import_tuy_hoa(session)
    union.rebuild()
    merged = history_id(union, session)
    record = session.get(BibRecord, tuy_hoa)
    record.title, record.year = "Lịch sử Phú Yên", 1999        # it was another book after all
    record.isbn_rows.clear()
    session.flush()
    clock.advance(5)
    union.update_members([f"ils:{tuy_hoa}"])
    assert history_id(union, session) == merged
    assert [h.library for h in union.get(merged).holdings] == ["bmt"]
    alone = union.get(union.union_id_of(f"ils:{tuy_hoa}"))
    assert alone.title == "Lịch sử Phú Yên" and alone.id != merged
    report = union.rebuild()
    assert (report.created, report.changed, report.deleted, report.records) == (0, 0, 0, 3)


def test_staff_split_a_wrong_merge_and_it_stays_split(session, union, clock):
    import_bmt(session)
    import_tuy_hoa(session)
    [commune] = import_commune(session)
    union.rebuild()
    merged = history_id(union, session)
    told = []
    union.on_change = told.append
    new_id = union.split(merged, f"ils:{commune}", actor="thuthu.bmt")
    assert new_id != merged and history_id(union, session) == merged
    assert [h.library for h in union.get(merged).holdings] == ["bmt", "tuy-hoa"]
    assert [h.library for h in union.get(new_id).holdings] == ["xa-ea-kao"]
    assert told == [{merged, new_id}]
    # neither a rebuild nor a later change merges them again
    clock.advance(5)
    union.rebuild()
    assert union.union_id_of(f"ils:{commune}") == new_id
    union.update_members([f"ils:{commune}"])
    assert union.union_id_of(f"ils:{commune}") == new_id
    with pytest.raises(SplitError):
        union.split(merged, f"ils:{commune}")                   # no longer in it
    with pytest.raises(SplitError):
        union.split(new_id, f"ils:{commune}")                   # alone


def test_a_removed_record_is_flagged_deleted_not_erased(session, union, clock):
    ids = import_bmt(session)
    union.rebuild()
    coffee = union.union_id_of(f"ils:{ids[1]}")
    stamp = union.changes()[0].datestamp
    session.execute(delete(Item).where(Item.record_id == ids[1]))
    session.execute(delete(BibRecord).where(BibRecord.id == ids[1]))
    clock.advance(60)
    assert coffee in union.update_members([f"ils:{ids[1]}"])
    assert union.get(coffee) is None
    assert union.get(coffee, deleted=True).title.startswith("Cà phê")
    [gone] = [c for c in union.changes() if c.id == coffee]
    assert gone.deleted and gone.record is None and gone.sets == ["site:bmt"]
    assert gone.datestamp == stamp + datetime.timedelta(seconds=60)
    assert union.set_specs() == {"site:bmt": 1}
    # a rebuild keeps the tombstone and its datestamp
    clock.advance(60)
    union.rebuild()
    assert [c.datestamp for c in union.changes() if c.id == coffee] == [gone.datestamp]


def test_a_checkout_changes_availability_but_not_the_datestamp(session, union, clock):
    ids = import_bmt(session)
    union.rebuild()
    record_id = union.union_id_of(f"ils:{ids[0]}")
    stamp = union.changes()[0].datestamp
    copy = session.scalars(select(Item).where(Item.barcode == "BMT-01")).one()
    copy.status = ItemStatus.ON_LOAN
    session.flush()
    clock.advance(30)
    union.update_members([f"ils:{ids[0]}"])
    assert union.get(record_id).holdings[0].available == 0
    assert [c.datestamp for c in union.changes() if c.id == record_id] == [stamp]
    session.get(BibRecord, ids[0]).year = 2002            # what a harvester sees: it moves
    session.flush()
    union.update_members([f"ils:{ids[0]}"])
    [change] = [c for c in union.changes() if c.id == record_id]
    assert change.datestamp == stamp + datetime.timedelta(seconds=30)
    assert change.datestamp.microsecond == 0


def test_volumes_sharing_their_sets_isbn_stay_apart(session, union):
    imported(session, [book(f"v-{n}", f"Lịch sử Việt Nam. Tập {n}", author="Phan Huy Lê",
                            year=2017, isbns=["978-604-0-00001-9"]) for n in (1, 2)], "bmt")
    imported(session, [book("t-1", "Lịch sử Việt Nam. Tập 1", author="Phan Huy Lê", year=2017,
                            isbns=["9786040000019"])], "tuy-hoa")
    report = union.rebuild()
    assert report.records == 2
    assert sorted(len(union.get(c.id).holdings) for c in union.changes()) == [1, 2]


def test_changes_page_by_id_within_dates_and_sets(session, union, clock):
    import_bmt(session)
    union.rebuild()
    clock.advance(120)
    import_commune(session)
    union.update_members([f"ils:{i}" for i in session.scalars(
        select(BibRecord.id).where(BibRecord.library == "xa-ea-kao"))])
    every = union.changes()
    assert [c.id for c in every] == sorted(c.id for c in every) and len(every) == 2
    assert union.earliest_datestamp() == datetime.datetime(2026, 11, 27, 8, 0, 0,
                                                           tzinfo=datetime.timezone.utc)
    later = union.changes(from_=clock.now - datetime.timedelta(seconds=1))
    assert [c.id for c in later] == [history_id(union, session)]      # the merged one moved
    assert union.changes(until=datetime.datetime(2026, 11, 27, 8, 0, 0)) != []   # naive = UTC
    assert [c.id for c in union.changes(set_="library")] == [history_id(union, session)]
    assert len(union.changes(set_="site")) == 2 and union.changes(set_="site:tuy-hoa") == []
    first, = union.changes(limit=1)
    assert [c.id for c in union.changes(after_id=first.id)] == [every[1].id]


def test_reindex_fills_the_index_and_sync_removes_the_deleted(session, union, index):
    ids = import_bmt(session)
    import_commune(session)
    union.rebuild()
    assert union.reindex() == 2
    found = index.search(SearchQuery(text="lich su tay nguyen"))
    assert found.total == 1
    assert found.hits[0].record.provenance == sorted(found.hits[0].record.provenance,
                                                     key=lambda k: int(k[4:]))
    assert found.facet("library") == {"bmt": 1, "xa-ea-kao": 1}
    coffee = union.union_id_of(f"ils:{ids[1]}")
    session.execute(delete(Item).where(Item.record_id == ids[1]))
    session.execute(delete(BibRecord).where(BibRecord.id == ids[1]))
    union.sync_index(union.update_members([f"ils:{ids[1]}"]))
    assert index.get(coffee) is None and index.count() == 1
    assert session.scalar(select(func.count()).select_from(UnionRecord)) == 2


def test_a_new_record_never_takes_an_id_a_live_record_holds(session, union, clock):
    """The ids new records would get are looked up in one query: one already held
    by a live record elsewhere makes the new record take the next candidate."""
    from federation.merge import union_id_for
    from federation.records import Record
    squatter = union_id_for("isbn:9786041000049")    # the id the history book would get
    other = Record(id=squatter, title="Một bản ghi khác", source="oai:partner")
    session.add(UnionRecord(id=squatter, merge_key="work:mot ban ghi khac||", deleted=False,
                            record=other.to_dict(), fingerprint="x", datestamp=clock()))
    session.flush()
    ids = import_bmt(session)
    union.update_members([f"ils:{i}" for i in ids])
    history = union.union_id_of(f"ils:{ids[0]}")
    assert history not in (squatter, "", None)
    assert union.get(history).title.startswith("Lịch sử Tây Nguyên")
    assert union.get(squatter).title == "Một bản ghi khác"


@pytest.mark.parametrize("marc,marc_format", [
    (b"", "iso2709"), (b"00012nam", "iso2709"), (b"<record", "marcxml"),
    (b"<collection/>", "marcxml")])
def test_a_record_whose_stored_marc_is_damaged_still_joins_the_others(
        session, union, marc, marc_format):
    """One unreadable stored record must not keep a whole batch out of the union
    catalogue: it comes in with its key fields, without summary or link."""
    ids = import_bmt(session)
    session.execute(BibRecord.__table__.update().where(BibRecord.id == ids[0])
                    .values(marc=marc, marc_format=marc_format))
    session.flush()
    union.update_members([f"ils:{i}" for i in ids])
    broken, fine = (union.get(union.union_id_of(f"ils:{i}")) for i in ids)
    assert broken.title.startswith("Lịch sử Tây Nguyên") and broken.description == ""
    assert fine.title == "Cà phê Buôn Ma Thuột"


def test_merging_in_worker_processes_writes_what_the_main_process_writes(
        session, union, clock, monkeypatch, tmp_path):
    """A rebuild merges in the worker processes (forced here for three records)
    and the embedded index takes the documents analysed there: the same union
    records, datestamps, sets and search answers as merging in this process."""
    from federation import workers
    from federation.bulk import bulk_writer
    from federation.index.tantivy_index import document_json
    from federation.services import merged_texts
    from ils import jsontext

    import_bmt(session)
    import_tuy_hoa(session)
    import_commune(session)
    union.rebuild(in_memory=0)                 # in this process (members read back)
    before = {c.id: (c.datestamp, c.record) for c in union.changes()}
    sets = union.set_specs()
    clock.advance(3600)
    monkeypatch.setattr(workers, "PARALLEL_ABOVE", 1)
    index = TantivyIndex(tmp_path / "bulk", writer_heap=64_000_000)    # 2 writer threads
    with bulk_writer(index) as batch:
        again = union.rebuild(sink=batch.index, documents=batch)
    assert workers._pool is not None or workers.worker_count() == 0   # they did the merging
    assert (again.created, again.changed, again.deleted) == (0, 0, 0)
    assert {c.id: (c.datestamp, c.record) for c in union.changes()} == before
    assert union.set_specs() == sets
    found = index.search(SearchQuery(text="lich su tay nguyen", facets=("library",)))
    assert found.ids == [history_id(union, session)]
    assert found.facet("library") == {
        "bmt": 1, "tuy-hoa": 1, "xa-ea-kao": 1}
    # the text made in the worker is the JSON of the record, full text last
    record = union.get(history_id(union, session))
    record.full_text = 'Chữ "OCR"\n'
    text, _mark, _specs, document = merged_texts(
        (record.id, [("ils:1", jsontext.dumps(record.to_dict()))]), SITES, document_json)
    data = jsontext.loads(text)
    assert list(data)[-1] == "full_text" and data["full_text"] == 'Chữ "OCR"\n'
    # … and its document holds the record without the full text, and the full text
    fields = jsontext.loads(document)
    stored = jsontext.loads(base64.b64decode(fields["data"][0]))
    assert dict(stored, full_text=data["full_text"]) == data
    assert base64.b64decode(fields["full_text"][0]).decode() == 'Chữ "OCR"\n'
    with index.bulk() as batch:
        batch.index_analysed([(record.id, document)])
    assert index.search(SearchQuery(text="ocr")).ids == [record.id]
    assert index.get(record.id) == Record.from_dict(stored)
    index.close()


def test_updates_merged_in_worker_processes_write_what_a_rebuild_writes(
        session, union, index, clock, monkeypatch):
    """Many changes at once (a file's import: forced here for four records) are
    made into members and merged in the worker processes, and the embedded
    index reads and analyses the stored records there too: the store then holds
    what a rebuild in this process makes of it, and search finds the records."""
    from federation import workers

    monkeypatch.setattr(workers, "PARALLEL_ABOVE", 1)
    monkeypatch.setattr(workers, "CHUNK", 2)
    ids = import_bmt(session) + import_tuy_hoa(session) + import_commune(session)
    union.sync_index(union.update_members([f"ils:{i}" for i in ids]))
    assert workers._pool is not None or workers.worker_count() == 0   # they did the work
    before = {c.id: (c.datestamp, c.record) for c in union.changes()}
    sets = union.set_specs()
    monkeypatch.setattr(workers, "PARALLEL_ABOVE", 10**6)
    clock.advance(3600)
    again = union.rebuild(in_memory=0)                  # in this process, members read back
    assert (again.created, again.changed, again.deleted) == (0, 0, 0)
    assert {c.id: (c.datestamp, c.record) for c in union.changes()} == before
    assert union.set_specs() == sets
    found = index.search(SearchQuery(text="lich su tay nguyen", facets=("library",)))
    assert found.ids == [history_id(union, session)]
    assert found.facet("library") == {"bmt": 1, "tuy-hoa": 1, "xa-ea-kao": 1}
    assert index.get(history_id(union, session)) == union.get(history_id(union, session))
    # nothing changed: members compared as JSON text, nothing rewritten
    assert union.update_members([f"ils:{i}" for i in ids]) == set(before)
    assert {c.id: (c.datestamp, c.record) for c in union.changes()} == before

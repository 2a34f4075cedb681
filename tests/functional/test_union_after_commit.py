"""The union catalogue follows each commit: what a reader finds right after a
librarian's request, and what an aborted one leaves (nothing). SQLite and PostgreSQL."""
import contextlib
import datetime
import threading

import pytest
from sqlalchemy import func, select, update

from federation.index.tantivy_index import TantivyIndex
from federation.models import UnionQueue
from federation.records import SearchQuery
from federation.services import IUnionCatalogue
from ils.catalogue.importer import MarcImporter
from ils.catalogue.models import Item, ItemStatus
from repository.services import ContentService
from tests.conftest import csrf_token, sign_in
from tests.fixtures.marc.make_fixtures import book, iso2709

COLLECTION = "/bmt/dia-chi/"


@pytest.fixture
def librarian(demo, testapp, make_user, sql_backend):
    make_user("thuthu.bmt", site_roles=[("bmt", "Librarian")])
    sign_in(testapp, "thuthu.bmt")
    return testapp


@pytest.fixture(params=["one_by_one", "in_bulk"])
def union_path(request, monkeypatch):
    """How a commit's changes reach the union store and index: re-merged and read
    back, or, as for a file's many records, merged and analysed in one pass with
    the index writer held (``UnionPipeline._process_in_bulk``)."""
    import federation.subscribers
    if request.param == "in_bulk":
        monkeypatch.setattr(federation.subscribers, "PARALLEL_ABOVE", 1)
    return request.param


def search(app, text, **filters):
    index = app.registry["federation.search_index"]()
    return index.search(SearchQuery(text=text, filters=filters))


def queued(portal):
    with portal() as p:
        return p.request.dbsession.scalar(select(func.count()).select_from(UnionQueue))


def post(browser, url, data, status, page=None):
    token = csrf_token(browser, page or url)
    return browser.post(url, dict(data, csrf_token=token), status=status)


def add_item(librarian, title):
    response = post(librarian, COLLECTION + "add?type=DigitalItem",
                    {"title": title, "creators": "Y Điêng", "year": "1988"}, status=303)
    return response.location.replace("http://localhost", "")


def transition(librarian, url, name, status=303):
    return post(librarian, url + "transition", {"transition": name}, status=status, page=url)


def history(number, copies, isbns=("978-604-1-00004-9",)):
    return book(number, "Lịch sử Tây Nguyên", author="Nguyễn Văn Giàu", year=2001,
                isbns=list(isbns), copies=copies)


def test_a_digital_item_is_found_once_published_and_gone_once_retracted(librarian, app,
                                                                        portal):
    url = add_item(librarian, "Sử thi Xing Nhã bản chép tay")
    assert search(app, "xing nha chep tay").total == 0         # private: not for readers
    transition(librarian, url, "publish")
    found = search(app, "xing nha chep tay")
    assert found.total == 1
    record = found.hits[0].record
    assert (record.format, record.url) == ("digital", "http://localhost" + url)
    assert record.available_at == ["online"] and record.provenance[0].startswith("repository:")
    assert search(app, "xing nha", format="digital").total == 1
    transition(librarian, url, "retract")
    assert search(app, "xing nha chep tay").total == 0
    assert queued(portal) == 0


def test_moving_or_removing_follows_the_item_and_what_holds_it(librarian, app):
    url = add_item(librarian, "Sử thi Xing Nhã bản chép tay")
    transition(librarian, url, "publish")
    post(librarian, url + "move", {"target": "/bmt/quy-hiem"}, status=303)
    [hit] = search(app, "xing nha chep tay").hits
    assert hit.record.url == "http://localhost/bmt/quy-hiem/" + url.split("/")[-2] + "/"
    # removing a collection takes the published items in it out of search
    assert search(app, "luat tuc e de ban suu tam").total == 1
    post(librarian, "/bmt/dia-chi/su-thi/delete", {}, status=303,
         page="/bmt/dia-chi/su-thi/delete")
    assert search(app, "luat tuc e de ban suu tam").total == 0


def test_a_request_that_fails_changes_nothing_in_the_index(librarian, app, portal,
                                                           monkeypatch):
    url = add_item(librarian, "Luật tục M'nông bản chép tay")
    original = ContentService.transition

    def transition_then_fail(self, obj, name, comment=""):
        original(self, obj, name, comment)
        raise RuntimeError("hỏng sau khi đã công bố")
    monkeypatch.setattr(ContentService, "transition", transition_then_fail)
    transition(librarian, url, "publish", status=500)
    assert search(app, "luat tuc mnong chep tay").total == 0
    assert queued(portal) == 0


def test_an_import_is_searchable_after_its_commit_not_before(app, portal, sql_backend,
                                                             union_path):
    with portal() as p:
        session = p.request.dbsession
        MarcImporter(session, "bmt").run(iso2709([history("bmt-1", [
            {"a": "BMT", "p": "B1"}, {"a": "BMT", "p": "B2", "q": "2026-12-01"}])]))
        MarcImporter(session, "tuy-hoa").run(iso2709([history("th-1", [{"a": "TH", "p": "T1"}],
                                                              isbns=["6041000043"])]))
        MarcImporter(session, "xa-ea-kao").run(iso2709([history("ek-1", [{"a": "EK",
                                                                          "p": "E1"}], ())]))
        session.flush()
        assert search(app, "lich su tay nguyen").total == 0    # not committed yet
    found = search(app, "lich su tay nguyen")
    assert found.total == 1
    assert [(h.library, h.items, h.available) for h in found.hits[0].record.holdings] == [
        ("bmt", 2, 1), ("tuy-hoa", 1, 1), ("xa-ea-kao", 1, 1)]
    # a copy goes out at the commune library: it is no longer available there
    with portal() as p:
        copy = p.request.dbsession.scalars(select(Item).where(Item.barcode == "E1")).one()
        copy.status = ItemStatus.ON_LOAN
    assert search(app, "lich su tay nguyen", available=["xa-ea-kao"]).total == 0
    assert search(app, "lich su tay nguyen", available=["tuy-hoa"]).total == 1
    # a partner withdraws its copies with one statement (as a harvest of deletions does)
    with portal() as p:
        p.request.dbsession.execute(update(Item).where(Item.library == "tuy-hoa")
                                    .values(status=ItemStatus.WITHDRAWN))
    [hit] = search(app, "lich su tay nguyen").hits
    assert [(h.library, h.items) for h in hit.record.holdings] == [("bmt", 2), ("xa-ea-kao", 1)]


def test_an_aborted_import_leaves_nothing_behind(app, portal, sql_backend):
    with pytest.raises(RuntimeError):
        with portal() as p:
            MarcImporter(p.request.dbsession, "bmt").run(iso2709([history("bmt-1", [])]))
            p.request.dbsession.flush()
            raise RuntimeError("the librarian closed the tab")
    assert search(app, "lich su tay nguyen").total == 0
    assert queued(portal) == 0


def test_while_the_index_is_down_changes_wait_in_the_queue(app, portal, sql_backend,
                                                           monkeypatch, union_path):
    def down(self, *args, **kwargs):
        raise OSError("không ghi được chỉ mục")
    with monkeypatch.context() as patch:
        patch.setattr(TantivyIndex, "_writer", down)          # no writing of any kind
        with portal() as p:
            MarcImporter(p.request.dbsession, "bmt").run(iso2709([history("bmt-1", [])]))
    assert search(app, "lich su tay nguyen").total == 0
    assert queued(portal) == 1
    pipeline = app.registry["federation.union_pipeline"]
    assert pipeline.drain() == 1
    assert search(app, "lich su tay nguyen").total == 1
    assert queued(portal) == 0


def test_a_commit_marked_in_background_does_not_wait_for_the_index(app, portal, sql_backend,
                                                                   monkeypatch):
    """The SIP2 server's transactions: the machine has its answer before the index is
    written; the change follows, in order, and stays queued if the index fails."""
    from federation.subscribers import in_background
    writing, release = threading.Event(), threading.Event()
    real = TantivyIndex._writer

    @contextlib.contextmanager
    def held(self, *args, **kwargs):
        writing.set()
        assert release.wait(60)
        with real(self, *args, **kwargs) as writer:
            yield writer
    monkeypatch.setattr(TantivyIndex, "_writer", held)
    with portal() as p:
        in_background(p.request.tm)
        MarcImporter(p.request.dbsession, "bmt").run(iso2709([history("bmt-1", [
            {"a": "BMT", "p": "B1"}])]))
    assert writing.wait(60)          # committed; the index is being written meanwhile
    assert search(app, "lich su tay nguyen").total == 0
    with portal() as p:              # a second loan at the machine, while the first waits
        in_background(p.request.tm)
        copy = p.request.dbsession.scalars(select(Item).where(Item.barcode == "B1")).one()
        copy.status = ItemStatus.ON_LOAN
    release.set()
    assert app.registry["federation.union_pipeline"].wait(60)
    [hit] = search(app, "lich su tay nguyen").hits
    assert [(h.library, h.available) for h in hit.record.holdings] == [("bmt", 0)]
    assert queued(portal) == 0

    def down(self, *args, **kwargs):
        raise OSError("không ghi được chỉ mục")
    monkeypatch.setattr(TantivyIndex, "_writer", down)
    with portal() as p:
        in_background(p.request.tm)
        copy = p.request.dbsession.scalars(select(Item).where(Item.barcode == "B1")).one()
        copy.status = ItemStatus.AVAILABLE
    assert app.registry["federation.union_pipeline"].wait(60)
    assert queued(portal) == 1       # kept for the worker's replay
    monkeypatch.setattr(TantivyIndex, "_writer", real)
    assert app.registry["federation.union_pipeline"].drain() == 1
    assert search(app, "lich su tay nguyen", available=["bmt"]).total == 1


@pytest.mark.parametrize("failures", [1, 3], ids=["once", "every time"])
def test_a_bulk_update_whose_transaction_fails_leaves_no_trace_in_the_index(
        app, portal, sql_backend, monkeypatch, failures):
    """Many changes at once feed the index writer as their records are merged,
    before the store commits: after an attempt rolled back the retry writes
    them anew; when every attempt fails the index shows nothing and the
    changes stay queued for the next drain."""
    import federation.services
    import federation.subscribers
    from federation.services import UnionCatalogue
    monkeypatch.setattr(federation.subscribers, "PARALLEL_ABOVE", 1)
    monkeypatch.setattr(federation.services, "_WRITE_BATCH", 1)   # a document fed, then a failure
    write, calls = UnionCatalogue._write_texts, []

    def fails(self, merged, released=(), now=None):
        calls.append(len(merged))
        if len(calls) % 2 == 0 and len(calls) <= 2 * failures:
            raise RuntimeError("database is locked")
        return write(self, merged, released, now)
    with monkeypatch.context() as patch:
        patch.setattr(UnionCatalogue, "_write_texts", fails)
        with portal() as p:
            MarcImporter(p.request.dbsession, "bmt").run(iso2709([
                history("bmt-1", []), book("bmt-2", "Đầm Ô Loan", year=2015)]))
    found = [search(app, "lich su tay nguyen").total, search(app, "dam o loan").total]
    if failures == 1:
        assert found == [1, 1] and queued(portal) == 0
        return
    assert found == [0, 0] and queued(portal) == 2
    assert app.registry["federation.union_pipeline"].drain() == 2
    assert [search(app, "lich su tay nguyen").total, search(app, "dam o loan").total] == [1, 1]


def test_a_split_reaches_the_index_after_commit(app, portal, sql_backend, union_path):
    with portal() as p:
        session = p.request.dbsession
        MarcImporter(session, "bmt").run(iso2709([history("bmt-1", [])]))
        MarcImporter(session, "xa-ea-kao").run(iso2709([history("ek-1", [], ())]))
    [hit] = search(app, "lich su tay nguyen").hits
    with portal() as p:
        union = p.request.find_service(IUnionCatalogue)
        commune = union.members(hit.id)[1].key
        union.split(hit.id, commune, actor="thuthu.bmt")
        assert search(app, "lich su tay nguyen").total == 1      # not before the commit
    found = search(app, "lich su tay nguyen")
    assert found.total == 2
    assert hit.id in found.ids


def test_serepok_reindex_rebuilds_what_commits_built_with_the_same_ids(demo, app, portal,
                                                                       sql_backend):
    from federation.cli import reindex_union_catalogue
    demo_records = search(app, "").total        # the demo's digital items, audiobooks, books
    with portal() as p:
        MarcImporter(p.request.dbsession, "bmt").run(iso2709([history("bmt-1", [])]))
    index = app.registry["federation.search_index"]()
    total = search(app, "").total
    assert total == demo_records + 1
    before = {hit.id: hit.record for hit in search(app, "").hits}
    index.clear()                                # a lost index, say
    with portal() as p:
        outcome = reindex_union_catalogue(p.request, p.root, quiet=True)
        assert outcome.indexed is None           # the index waits for the commit
    assert outcome.error is None and outcome.indexed == total
    assert (outcome.report.created, outcome.report.changed, outcome.report.deleted) == (0, 0, 0)
    assert {hit.id: hit.record for hit in search(app, "").hits} == before
    assert any(f"{total} biểu ghi / records" in line for line in outcome.summary_lines())


@pytest.fixture
def big_commits_go_to_the_background(settings):
    return dict(settings, **{"federation.sync_limit": "2"})


def test_a_large_import_is_indexed_in_the_background(big_commits_go_to_the_background,
                                                     sql_backend):
    from portal import main
    from tests.conftest import Portal
    app = main({}, **big_commits_go_to_the_background)
    try:
        with Portal(app) as p:
            MarcImporter(p.request.dbsession, "bmt").run(iso2709([
                book(f"bmt-{n}", f"Tuyển tập truyện ngắn Đắk Lắk {n}", year=2000 + n)
                for n in range(5)]))
        app.registry["federation.union_pipeline"].wait(60)
        assert search(app, "tuyen tap truyen ngan").total == 5
    finally:
        app.registry["dbengine"].dispose()


def test_an_import_from_the_command_line_is_taken_by_the_portal(app, portal, settings,
                                                                sql_backend):
    import transaction

    from ils import db
    engine = db.make_engine(settings)          # `serepok import marc`: no portal, no index
    manager = transaction.TransactionManager(explicit=True)
    manager.begin()
    MarcImporter(db.tm_session(db.session_factory(engine), manager), "bmt").run(
        iso2709([history("bmt-1", [])]))
    manager.commit()
    engine.dispose()
    assert queued(portal) == 1 and search(app, "lich su tay nguyen").total == 0
    with portal() as p:                        # a minute later
        p.request.dbsession.execute(update(UnionQueue).values(
            queued=UnionQueue.queued - datetime.timedelta(seconds=61)))
    with portal() as p:                        # the portal's next catalogue change
        MarcImporter(p.request.dbsession, "tuy-hoa").run(iso2709([book("th-9", "Đầm Ô Loan",
                                                                       year=2015)]))
    app.registry["federation.union_pipeline"].wait(60)
    assert search(app, "lich su tay nguyen").total == 1
    assert queued(portal) == 0


def test_queued_changes_can_be_applied_from_the_command_line(demo, app, portal, settings,
                                                             sql_backend):
    import transaction

    from federation.cli import apply_queued_changes
    from ils import db
    engine = db.make_engine(settings)
    manager = transaction.TransactionManager(explicit=True)
    manager.begin()
    MarcImporter(db.tm_session(db.session_factory(engine), manager), "bmt").run(
        iso2709([history("bmt-1", [{"a": "BMT", "p": "B1"}])]))
    manager.commit()
    engine.dispose()
    assert apply_queued_changes(settings) == 1
    from federation.index import search_index_from_settings
    index = search_index_from_settings(settings)    # as another process opens it
    [hit] = index.search(SearchQuery(text="isbn:9786041000049")).hits
    assert hit.record.provenance[0].startswith("ils:")
    # the sites are those the store knows (the demo's digital items are held at both)
    assert [(h.library, h.site) for h in hit.record.holdings] == [("bmt", "bmt")]
    assert queued(portal) == 0


@pytest.mark.parametrize("in_bulk", [False, True], ids=["drained", "rebuilt"])
def test_an_import_hands_its_records_to_the_union_update_unless_changed_since(
        app, portal, settings, sql_backend, monkeypatch, in_bulk, union_path):
    """`serepok import marc` gives the union catalogue update that follows it the
    records it has just created, not read back, except those another transaction
    changed in between: a copy lent meanwhile is not shown on the shelf. Whether
    the queue is drained or the union store rebuilt (a large file)."""
    import transaction

    import federation.bulk
    if in_bulk:
        monkeypatch.setattr(federation.bulk, "BULK_ABOVE", 1)

    from federation.cli import apply_queued_changes
    from federation.index import search_index_from_settings
    from federation.sources import CatalogueSource, Imported
    from federation.subscribers import pending_for
    from ils import db
    engine = db.make_engine(settings)
    factory = db.session_factory(engine)
    manager = transaction.TransactionManager(explicit=True)
    manager.begin()
    written = Imported()
    MarcImporter(db.tm_session(factory, manager), "bmt", written=written).run(iso2709([
        history("bmt-1", [{"a": "BMT", "p": "B1"}]),
        book("bmt-2", "Đầm Ô Loan", year=2015, copies=[{"a": "BMT", "p": "B2"}])]))
    batch = pending_for(manager).batch
    manager.commit()
    manager.begin()                         # a loan, before the union update runs
    session = db.tm_session(factory, manager)
    lent = session.scalar(select(Item).where(Item.barcode == "B1"))
    lent.status = ItemStatus.ON_LOAN
    manager.commit()
    engine.dispose()
    read_back = []
    items = CatalogueSource._items
    monkeypatch.setattr(CatalogueSource, "_items", lambda source, rows: read_back.extend(
        row.id for row in rows) or items(source, rows))
    assert len(written) == 2
    assert apply_queued_changes(settings, written=written, batch=batch) == 3
    assert read_back == [lent.record_id]
    index = search_index_from_settings(settings)
    [hit] = index.search(SearchQuery(text="lich su tay nguyen")).hits
    assert [(h.library, h.items, h.available) for h in hit.record.holdings] == [("bmt", 1, 0)]
    [hit] = index.search(SearchQuery(text="dam o loan")).hits
    assert [(h.library, h.items, h.available) for h in hit.record.holdings] == [("bmt", 1, 1)]


def test_the_worker_replays_queued_changes_every_minute(app, portal, settings, sql_backend):
    """A change committed where no index was at hand reaches readers through the
    worker's periodic job, with no later commit on the portal needed."""
    import transaction

    from ils import db
    from ils.jobs import periodic_jobs
    engine = db.make_engine(settings)
    manager = transaction.TransactionManager(explicit=True)
    manager.begin()
    MarcImporter(db.tm_session(db.session_factory(engine), manager), "bmt").run(
        iso2709([history("bmt-1", [])]))
    manager.commit()
    engine.dispose()
    assert queued(portal) == 1 and search(app, "lich su tay nguyen").total == 0
    job, schedule = periodic_jobs(app.registry)["union-queue"]
    with portal() as p:
        vi, en = job(p.request)
    assert en == "Applied 1 queued changes to the union catalogue."
    assert queued(portal) == 0 and search(app, "lich su tay nguyen").total == 1


def test_what_a_rolled_back_attempt_wrote_to_the_index_is_read_back_unless_rewritten():
    """``_Written`` (the bulk path's index writer): documents of an attempt that
    rolled back stay marked for reading back from the store, unless a later
    attempt writes them again."""
    from federation.subscribers import _Written

    class Batch:
        analyse = None

        def __init__(self):
            self.written, self.deleted = [], []

        def index_analysed(self, documents):
            self.written.extend(documents)

        def delete(self, ids):
            self.deleted.extend(ids)
    written = _Written()
    written.batch = Batch()
    written.begin()
    written.index_analysed([("u1", "{}"), ("u2", "{}")])
    written.delete(["u3"])
    written.undo()                       # the transaction rolled back
    assert written.ids == set() and written.undone == {"u1", "u2", "u3"}
    written.begin()
    written.index_analysed([("u1", "{}")])   # the retry writes u1 again, not u2
    assert written.ids == {"u1"}
    assert ({"u1", "u2", "u3"} | written.undone) - written.ids == {"u2", "u3"}

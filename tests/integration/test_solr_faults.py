"""The Solr backend when Solr fails, on the real SolrCloud of scripts/solr-test:
a node stopped in the middle of a reindex, the whole cluster stopped while
records change. Nothing may be lost."""
import threading
import time
import uuid

import pytest
from sqlalchemy import func, insert, select

from federation.models import UnionQueue, UnionRecord, utcnow
from federation.records import Holding, Record, SearchQuery
from federation.solr.cli import Checkpoint, reindex_solr
from federation.solr.index import SolrIndex
from federation.solr.unavailable import SearchUnavailable

COLLECTION = "faults"


@pytest.fixture(scope="module")
def collection(solr_cluster):
    admin = solr_cluster.admin()
    admin.delete_collection(COLLECTION)
    admin.setup(COLLECTION, shards=1, replicas=2)   # a replica on each node
    yield COLLECTION
    for node in range(len(solr_cluster.urls)):
        solr_cluster.start_node(node)
    admin.wait_active(COLLECTION)
    admin.delete_collection(COLLECTION)


@pytest.fixture
def index(solr_cluster, collection):
    index = SolrIndex(urls=solr_cluster.urls, collection=collection, timeout=5)
    index.clear()
    yield index
    index.close()


@pytest.fixture
def factory(engine):
    from ils import db
    db.upgrade(engine)
    return db.session_factory(engine)


def record(n):
    return Record(id=f"r{n:06d}", title=f"Lịch sử buôn làng số {n}", year=1950 + n % 70,
                  authors=[f"Y Tác Giả {n % 97}"], subjects=["Tây Nguyên"],
                  holdings=[Holding("bmt", 1, n % 2)], language="vie")


def store(factory, count):
    session = factory()
    rows = [{"id": r.id, "merge_key": r.id, "record": r.to_dict(full_text=False),
             "fingerprint": "", "datestamp": utcnow(), "deleted": False}
            for r in map(record, range(count))]
    session.execute(insert(UnionRecord), rows)
    session.commit()
    session.close()


def counts_on_each_node(solr_cluster):
    import pysolr
    found = []
    for url in solr_cluster.urls:
        client = pysolr.Solr(f"{url}/{COLLECTION}", timeout=10)
        found.append(client.search("*:*", rows=0, distrib="false").hits)
    return found


def test_a_node_stopped_mid_reindex_loses_nothing(solr_cluster, index, factory, tmp_path):
    store(factory, 3000)
    checkpoint = Checkpoint(str(tmp_path / "checkpoint.json"))
    seen = []
    stopped = threading.Event()

    def progress(_phase, done, _total):
        seen.append(done)
        if done >= 600 and not stopped.is_set():
            stopped.set()
            solr_cluster.stop_node(1)       # mid-reindex: the other replica takes over

    written = reindex_solr(factory, index, checkpoint, progress=progress, batch_size=200,
                           retry_for=120)
    assert stopped.is_set() and written == 3000 and seen[-1] == 3000
    assert index.count() == 3000
    solr_cluster.start_node(1)
    solr_cluster.admin().wait_active(COLLECTION, timeout=120)
    # the node that was down caught up: each replica holds every record
    deadline = time.monotonic() + 60
    while counts_on_each_node(solr_cluster) != [3000, 3000] and time.monotonic() < deadline:
        time.sleep(1)
    assert counts_on_each_node(solr_cluster) == [3000, 3000]
    assert checkpoint.load() is None


def test_an_interrupted_reindex_resumes_where_it_stopped(index, factory, tmp_path):
    store(factory, 1000)
    checkpoint = Checkpoint(str(tmp_path / "checkpoint.json"))

    class Failing:
        """Solr going away after record 300, for longer than the retries."""
        def __getattr__(self, name):
            return getattr(index, name)

        def add_documents(self, docs, visible=True):
            if docs[0]["id"] >= "r000300":
                raise SearchUnavailable("gone")
            index.add_documents(docs, visible)

    with pytest.raises(SearchUnavailable):
        reindex_solr(factory, Failing(), checkpoint, batch_size=100, retry_for=0)
    assert checkpoint.load() == {"last": "r000299", "done": 300}
    assert reindex_solr(factory, index, checkpoint, batch_size=100) == 700
    assert index.count() == 1000 and checkpoint.load() is None


def queue(factory, records):
    """Changes as a committed transaction leaves them in the union queue."""
    session = factory()
    batch = uuid.uuid4().hex
    session.execute(insert(UnionQueue), [
        {"key": f"repository:{r.id}", "snapshot": True, "batch": batch, "queued": utcnow(),
         "record": r.to_dict(full_text=False)} for r in records])
    session.commit()
    session.close()


def queued(factory):
    session = factory()
    try:
        return session.scalar(select(func.count()).select_from(UnionQueue))
    finally:
        session.close()


def test_the_whole_cluster_down_while_records_change(solr_cluster, index, factory):
    from federation.subscribers import UnionPipeline
    pipeline = UnionPipeline(factory, lambda: index, sites=("bmt",))
    queue(factory, [record(n) for n in range(5)])
    assert pipeline.drain() == 5 and queued(factory) == 0
    assert index.search(SearchQuery(text="buon lang", rows=0)).total == 5

    for node in range(len(solr_cluster.urls)):
        solr_cluster.stop_node(node)
    try:
        with pytest.raises(SearchUnavailable):
            index.search(SearchQuery(text="buon lang"))
        changed = [record(n) for n in range(3, 12)]       # 2 changed, 7 new
        for r in changed:
            r.title = f"Sử thi Ê Đê {r.id}"
        queue(factory, changed[:4])
        queue(factory, changed[4:])
        assert pipeline.drain() == 0            # Solr is down: the queue keeps them
        assert queued(factory) == 9
    finally:
        for node in range(len(solr_cluster.urls)):
            solr_cluster.start_node(node)
    solr_cluster.admin().wait_active(COLLECTION, timeout=120)
    index.wait_until_up(60)
    assert pipeline.drain() == 9 and queued(factory) == 0
    # union ids are the merge's: compare what readers see, the titles
    found = index.search(SearchQuery(text="su thi e de", rows=50))
    assert {hit.record.title for hit in found.hits} == {r.title for r in changed}
    assert index.count() == 12

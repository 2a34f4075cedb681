"""Work spread over worker processes comes back complete and in order."""
import pytest

import federation.workers as workers
from federation.index.tantivy_index import TantivyIndex
from federation.records import SearchQuery
from tests.contract.search_index_contract import RECORDS


@pytest.fixture
def in_workers(monkeypatch):
    monkeypatch.setattr(workers, "PARALLEL_ABOVE", 1)
    monkeypatch.setattr(workers, "CHUNK", 3)
    if workers.worker_count() < 1:
        pytest.skip("worker processes are turned off (SEREPOK_WORKERS=0)")


def test_ordered_map_keeps_the_order(in_workers):
    items = list(range(100))
    assert list(workers.ordered_map(abs, [-i for i in items])) == items


def test_ordered_map_reads_an_iterable_as_it_goes(in_workers):
    read = []

    def numbers():
        for i in range(60):
            read.append(i)
            yield -i

    answers = workers.ordered_map(abs, numbers(), chunk=5)
    assert next(answers) == 0
    assert len(read) < 60                   # a few chunks ahead, not everything
    assert [0, *answers] == list(range(60))


def _marked(item):
    import os
    directory, number = item
    open(os.path.join(directory, str(number)), "w").close()
    return number


def test_the_workers_start_before_the_first_answer_is_asked_for(in_workers, tmp_path):
    """The caller writes what it has while the workers compute (a rebuild writes
    its members while they merge), and they work at a lower priority than it."""
    import os
    import time
    answers = workers.ordered_map(_marked, [(str(tmp_path), i) for i in range(12)], ahead=2)
    deadline = time.monotonic() + 30
    while len(os.listdir(tmp_path)) < 12 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sorted(int(name) for name in os.listdir(tmp_path)) == list(range(12))
    assert list(answers) == list(range(12))
    assert set(workers.ordered_map(_niceness, range(4))) == {min(19, os.nice(0) + 5)}


def _niceness(_item):
    import os
    return os.nice(0)


def _dies_in_a_worker(item):
    import os
    number, parent = item
    if number == 40 and os.getpid() != parent:
        os._exit(3)
    return number


def test_a_worker_that_dies_leaves_the_rest_to_this_process(in_workers):
    import os
    items = [(i, os.getpid()) for i in range(100)]
    assert list(workers.ordered_map(_dies_in_a_worker, iter(items), chunk=7)) == \
        list(range(100))


class _PoolBreakingAt:
    """A pool whose ``n``-th submission finds it broken (a worker died meanwhile)."""

    def __init__(self, n):
        self.left = n

    def submit(self, function, *args):
        from concurrent.futures import Future
        from concurrent.futures.process import BrokenProcessPool
        self.left -= 1
        if self.left <= 0:
            raise BrokenProcessPool("a worker died")
        future = Future()
        future.set_result(function(*args))
        return future

    def shutdown(self, **options):
        pass


@pytest.mark.parametrize("breaking_at", [1, 2, 5, 9, 12])
def test_a_pool_found_broken_when_submitting_loses_nothing(monkeypatch, breaking_at):
    monkeypatch.setattr(workers, "PARALLEL_ABOVE", 1)
    monkeypatch.setattr(workers, "_get_pool", lambda: _PoolBreakingAt(breaking_at))
    assert list(workers.ordered_map(abs, (-i for i in range(100)), chunk=7)) == \
        list(range(100))


def test_a_bulk_write_analysed_in_workers_finds_what_a_plain_write_finds(tmp_path,
                                                                          in_workers, monkeypatch):
    import federation.index.tantivy_index as tantivy_index
    monkeypatch.setattr(tantivy_index, "PARALLEL_ABOVE", 1)
    bulk, plain = TantivyIndex(tmp_path / "bulk"), TantivyIndex(tmp_path / "plain")
    with bulk.bulk() as batch:
        batch.index(RECORDS[:10])
        batch.index(RECORDS[10:])
        batch.delete([RECORDS[0].id])
    plain.index(RECORDS[1:])
    for text in ("", "dak lak", "lịch sử", "isbn:9786040000019", "su thi"):
        query = SearchQuery(text=text, rows=100)
        a, b = bulk.search(query), plain.search(query)
        assert (a.ids, a.facets) == (b.ids, b.facets), text
    assert bulk.get(RECORDS[1].id) == plain.get(RECORDS[1].id)


def test_a_failed_bulk_write_leaves_the_index_as_it_was(tmp_path, in_workers):
    index = TantivyIndex(tmp_path / "index")
    index.index(RECORDS[:3])
    with pytest.raises(RuntimeError):
        with index.bulk() as batch:
            batch.index(RECORDS[3:])
            raise RuntimeError("the SQL store could not commit")
    assert index.count() == 3


def test_a_bulk_write_after_clear_holds_only_what_it_wrote(tmp_path, in_workers):
    """A whole rebuild clears the index first and writes every record again,
    without deleting each one's previous version: no record twice, none left
    over; a failed block keeps what was there."""
    index = TantivyIndex(tmp_path / "index")
    index.index(RECORDS[:6])
    with pytest.raises(RuntimeError):
        with index.bulk() as batch:
            batch.clear()
            batch.index(RECORDS[2:3])
            raise RuntimeError("the SQL store could not commit")
    assert index.count() == 6
    with index.bulk() as batch:
        batch.clear()
        batch.index(RECORDS[2:])                # 2 to 5 again, the rest new
    assert index.count() == len(RECORDS) - 2
    assert index.get(RECORDS[0].id) is None and index.get(RECORDS[2].id) == RECORDS[2]
    found = index.search(SearchQuery(text="", rows=100))
    assert sorted(found.ids) == sorted(r.id for r in RECORDS[2:])


def test_a_worker_imports_only_what_it_runs():
    """A worker process starts from the command's module (``portal.cli``) and
    imports the modules of the functions it is handed: none of them may pull
    in SQLAlchemy or Pyramid's configuration (that cost each worker most of a
    second of CPU at the start of every ``serepok import marc``)."""
    import os
    import subprocess
    import sys
    code = ("import sys, portal.cli, ils.catalogue.prepare, federation.members, "
            "federation.index.tantivy_documents, federation.workers\n"
            "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('sqlalchemy', 'alembic', 'pyramid', 'tantivy', 'webob', 'argon2'))))")
    # this process's path: under buildout the packages are not the interpreter's own
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    heavy = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True, env=env).stdout.split()
    assert heavy == []


def test_warm_up_starts_the_workers_with_their_imports(in_workers):
    import os
    workers.warm_up("colorsys")            # a module nothing here imports
    seen = set(workers.ordered_map(_pid_and_module, ["colorsys"] * 40, chunk=1))
    assert os.getpid() not in {pid for pid, _has in seen}
    assert any(has for _pid, has in seen)


def _pid_and_module(name):
    import os
    import sys
    return os.getpid(), name in sys.modules

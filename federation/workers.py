"""Work on many records spread over every core: reading a large MARC file's
records, and the Vietnamese analysis of documents for the search index.

Analysing a record (folding, syllable tokens, collation keys) is pure Python
and takes longer than tantivy's own indexing; one process uses one core.
``ordered_map`` hands chunks of a long list to a small pool of worker
processes (started once, on first use, with ``spawn``: nothing of the
caller's open databases or threads is copied into them) and yields the
answers in order while the caller goes on with its own work. Short lists, and
any machine where worker processes cannot start, are done in-process.

The workers run at a lower scheduling priority than the caller: its thread
(reading and writing SQL, feeding the index) is the one everything else
waits for, and with the workers at the same priority it got a third of a
core less where they competed (``bench/union_rebuild.py``, measured).

Settings (environment): ``SEREPOK_WORKERS`` — the number of worker
processes (default: the number of cores; ``0`` turns them off);
``SEREPOK_WORKER_NICE`` — how much lower their priority is (default 5).
"""
import atexit
import importlib
import logging
import multiprocessing
import os
import threading
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import chain, islice

from ils.gcpause import paused_gc

log = logging.getLogger(__name__)

__all__ = ["ordered_map", "chunked", "worker_count", "warm_up", "PARALLEL_ABOVE", "CHUNK"]

PARALLEL_ABOVE = 1500     # fewer items than this are done in-process
CHUNK = 400               # items per task sent to a worker
_AHEAD = 4                # tasks per worker in flight

_pool = None
_broken = False
_lock = threading.Lock()


def worker_count():
    try:
        wanted = int(os.environ.get("SEREPOK_WORKERS", ""))
    except ValueError:
        wanted = os.cpu_count() or 1
    return max(0, wanted)


def _shutdown():
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=False, cancel_futures=True)
        _pool = None


def _get_pool():
    global _pool, _broken
    with _lock:
        if _pool is None and not _broken:
            count = worker_count()
            if count < 1:
                return None
            try:
                _pool = ProcessPoolExecutor(
                    max_workers=count, mp_context=multiprocessing.get_context("spawn"),
                    initializer=_yield_to_caller)
                atexit.register(_shutdown)
            except (OSError, ValueError, NotImplementedError):
                log.warning("no worker processes: working in-process", exc_info=True)
                _broken = True
        return _pool


def _yield_to_caller():
    """In a worker process: a lower scheduling priority than the process that
    hands out the work, whose thread is the one everything waits for."""
    try:
        os.nice(int(os.environ.get("SEREPOK_WORKER_NICE", "5")))
    except (OSError, ValueError):
        pass


def _imported(names):
    for name in names:
        importlib.import_module(name)


def warm_up(*modules):
    """Start the worker processes now, each importing ``modules`` (those of
    the functions it will be handed), while the caller goes on setting up:
    starting a process and its imports takes a few tenths of a second the
    caller would otherwise wait for at its first ``ordered_map``. Nothing
    happens when they run already or are turned off."""
    pool = _get_pool()
    if pool is None:
        return
    try:
        for _ in range(worker_count()):
            pool.submit(_imported, modules)
    except BrokenProcessPool:
        _forget_pool(pool)


def _run_chunk(function, items):
    with paused_gc():
        return [function(item) for item in items]


def ordered_map(function, items, chunk=CHUNK, ahead=_AHEAD):
    """``function(item)`` for each of ``items`` (any iterable, read as the
    answers are taken, a few chunks ahead), in order, as an iterator.
    ``function`` must be a module-level function (or a ``functools.partial``
    of one) and items and answers picklable when there are many (they cross
    processes).

    With worker processes the first chunks (``ahead`` per worker) are handed
    to them at once, before the first answer is asked for: the caller may
    write what it has meanwhile. Items are read from ``items`` at once too
    (the first ``PARALLEL_ABOVE``, to decide), so a caller reading them from
    its database must not change it in between."""
    iterator = iter(items)
    head = list(islice(iterator, PARALLEL_ABOVE))
    pool = _get_pool() if len(head) >= PARALLEL_ABOVE else None
    if pool is None:
        return (function(item) for item in chain(head, iterator))
    return _Answers(pool, function, chunked(chain(head, iterator), chunk),
                    ahead * max(1, worker_count()))


class _Answers:
    """The answers of ``ordered_map`` from the worker processes, in order."""

    def __init__(self, pool, function, chunks, in_flight):
        self.pool, self.function, self.chunks = pool, function, chunks
        self.pending = deque()          # [future, items] in order
        self.ready = deque()
        self.local = None               # the pool broke: the rest done here
        try:
            for _ in range(in_flight):
                if not self._submit():
                    break
        except BrokenProcessPool:
            self._go_local()

    def _submit(self):
        part = next(self.chunks, None)
        if part is None:
            return False
        entry = [None, part]
        self.pending.append(entry)      # before submitting: a broken pool raises there
        entry[0] = self.pool.submit(_run_chunk, self.function, part)
        return True

    def _go_local(self):
        """A worker died (out of memory, killed): go on in this process."""
        log.warning("worker processes failed; going on in-process", exc_info=True)
        _forget_pool(self.pool)
        left = [item for _future, part in self.pending for item in part]
        self.pending.clear()
        self.local = (self.function(item) for item in
                      chain(left, (item for part in self.chunks for item in part)))

    def __iter__(self):
        return self

    def __next__(self):
        if self.ready:
            return self.ready.popleft()
        if self.local is not None:
            return next(self.local)
        if not self.pending:
            raise StopIteration
        try:
            answers = self.pending[0][0].result()
            self.pending.popleft()      # taken: nothing is lost if submitting fails
            self.ready.extend(answers)
            self._submit()
        except BrokenProcessPool:
            self._go_local()
        return next(self)

    def close(self):
        """Cancel what has not started (the caller stopped reading)."""
        for future, _part in self.pending:
            if future is not None:
                future.cancel()
        self.pending.clear()

    def __del__(self):
        self.close()


def chunked(items, size):
    """``items`` (any iterable) as lists of ``size`` (the last one shorter)."""
    iterator = iter(items)
    while True:
        part = list(islice(iterator, size))
        if not part:
            return
        yield part


def _forget_pool(pool):
    global _pool
    with _lock:
        if _pool is pool:
            _pool = None
    pool.shutdown(wait=False, cancel_futures=True)

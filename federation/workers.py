"""Work on many records spread over every core: reading a large MARC file's
records, and the Vietnamese analysis of documents for the search index.

Analysing a record (folding, syllable tokens, collation keys) is pure Python
and takes longer than tantivy's own indexing; one process uses one core.
``ordered_map`` hands chunks of a long list to a small pool of worker
processes (started once, on first use, with ``spawn``: nothing of the
caller's open databases or threads is copied into them) and yields the
answers in order while the caller goes on with its own work. Short lists, and
any machine where worker processes cannot start, are done in-process.

Setting: ``SEREPOK_WORKERS`` (environment) — the number of worker
processes (default: the number of cores; ``0`` turns them off).
"""
import atexit
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

__all__ = ["ordered_map", "chunked", "worker_count", "PARALLEL_ABOVE", "CHUNK"]

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
                    max_workers=count, mp_context=multiprocessing.get_context("spawn"))
                atexit.register(_shutdown)
            except (OSError, ValueError, NotImplementedError):
                log.warning("no worker processes: working in-process", exc_info=True)
                _broken = True
        return _pool


def _run_chunk(function, items):
    with paused_gc():
        return [function(item) for item in items]


def ordered_map(function, items, chunk=CHUNK):
    """``function(item)`` for each of ``items`` (any iterable, read as the
    answers are taken, a few chunks ahead), in order, as a generator.
    ``function`` must be a module-level function (or a ``functools.partial``
    of one) and items and answers picklable when there are many (they cross
    processes)."""
    iterator = iter(items)
    head = list(islice(iterator, PARALLEL_ABOVE))
    pool = _get_pool() if len(head) >= PARALLEL_ABOVE else None
    if pool is None:
        for item in chain(head, iterator):
            yield function(item)
        return
    chunks = chunked(chain(head, iterator), chunk)
    pending = deque()            # (future, items) in order
    in_flight = _AHEAD * max(1, worker_count())

    def submit():
        part = next(chunks, None)
        if part is None:
            return False
        entry = [None, part]
        pending.append(entry)          # before submitting: a broken pool raises there
        entry[0] = pool.submit(_run_chunk, function, part)
        return True

    try:
        for _ in range(in_flight):
            if not submit():
                break
        while pending:
            answers = pending[0][0].result()
            pending.popleft()
            yield from answers         # before submitting more: nothing taken is lost
            submit()
    except BrokenProcessPool:      # a worker died (out of memory, killed): go on here
        log.warning("worker processes failed; going on in-process", exc_info=True)
        _forget_pool(pool)
        left = [item for _future, part in pending for item in part]
        pending.clear()
        for item in chain(left, (item for part in chunks for item in part)):
            yield function(item)
    finally:
        for future, _part in pending:
            if future is not None:
                future.cancel()


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

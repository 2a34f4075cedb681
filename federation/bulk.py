"""Many catalogue changes at once (a whole MARC file): into the union store
and the search index in one pass.

``serepok import marc`` commits a file's records and queues them
(``federation.subscribers``). Re-merging them one batch at a time
(``IUnionCatalogue.update_members``) looks each up in the store: right for
the few records a librarian edits, slow for a file. When the queue holds a
large share of the catalogue, ``apply_queued`` rebuilds the union store from
the catalogue instead (the repository's members are kept as stored) and
feeds every merged record to an index writer while the rebuild goes on: the
worker processes (``federation.workers``) build, merge and analyse the
records, this one reads and writes SQL and feeds the writer.

Order of commits: the SQL store first, then the index (nothing of it is
visible before), then the queue rows are removed. A failure before the
store commits leaves store and index as they were; a failure of the index
after it leaves the queue rows, so the next drain or ``serepok reindex``
brings the index up to date.
"""
import logging
from contextlib import contextmanager

from sqlalchemy import delete, func, select

from federation.models import UnionMember, UnionQueue
from ils.gcpause import paused_gc

__all__ = ["bulk_writer", "apply_queued", "rebuild_with_index", "BULK_ABOVE", "BULK_SHARE"]

log = logging.getLogger(__name__)

BULK_ABOVE = 2000        # fewer queued changes than this: one by one
BULK_SHARE = 0.25        # … or fewer than this share of the members


class _Collected:
    """``bulk_writer`` for a backend without its own bulk writer."""

    def __init__(self):
        self.records, self.ids = [], []

    def index(self, records):
        self.records.extend(records)

    def delete(self, ids):
        self.ids.extend(ids)


@contextmanager
def bulk_writer(index):
    """``with bulk_writer(index) as batch: batch.index(records); batch.delete(ids)``:
    written when the block ends without an error, nothing when it fails. Uses
    the backend's ``bulk()`` when it has one (the embedded index does)."""
    bulk = getattr(index, "bulk", None)
    if bulk is not None:
        with bulk() as batch:
            yield batch
        return
    batch = _Collected()
    yield batch
    for start in range(0, len(batch.records), 5000):
        index.index(batch.records[start:start + 5000])
    if batch.ids:
        index.delete(batch.ids)


@paused_gc()
def rebuild_with_index(pipeline, root=None, progress=None):
    """Rebuild the union store (``root=None``: the repository's members as
    stored) and write every record to the index in the same pass; returns the
    ``RebuildReport``. Commits the store, then the index, then forgets the
    queued changes the rebuild took in."""
    index = pipeline.open_index()
    session = pipeline.session_factory()
    try:
        catalogue = pipeline.catalogue(session)
        with bulk_writer(index) as batch:
            if hasattr(batch, "clear"):     # every live record is written again below
                batch.clear()
            # the embedded index takes documents analysed where records are merged
            report = catalogue.rebuild(
                root, base_url=pipeline.base_url, progress=progress, sink=batch.index,
                documents=batch if hasattr(batch, "index_analysed") else None,
                forget_queued=False)
            batch.delete(report.deleted_ids)
            session.commit()
        if report.queued_until is not None:
            session.execute(delete(UnionQueue).where(UnionQueue.id <= report.queued_until))
            session.commit()
        return report
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def worth_rebuilding(session):
    """True when the queue holds so many changes that a rebuild is faster."""
    queued = session.scalar(select(func.count()).select_from(UnionQueue))
    if queued < BULK_ABOVE:
        return False
    members = session.scalar(select(func.count()).select_from(UnionMember))
    return queued >= BULK_SHARE * members


@paused_gc()
def apply_queued(pipeline, progress=None):
    """Bring the queued changes into the union store and the index, in bulk
    when there are many; returns the number of queued rows taken."""
    session = pipeline.session_factory()
    try:
        queued = session.scalar(select(func.count()).select_from(UnionQueue))
        bulk = worth_rebuilding(session)
    finally:
        session.close()
    if not bulk:
        return pipeline.drain()
    log.info("%d queued union catalogue changes: rebuilding in bulk", queued)
    rebuild_with_index(pipeline, progress=progress)
    # changes queued while the rebuild ran (another process) are drained as usual
    return queued + pipeline.drain()

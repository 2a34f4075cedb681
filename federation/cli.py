"""``serepok reindex``, the union catalogue's part: rebuild it from its sources.

``portal.cli.cmd_reindex`` calls ``reindex_union_catalogue`` inside its
environment: the union store is rebuilt in the command's transaction
(members from the catalogue and the repository, merged, in batches); the
search index is refilled from the store right after that transaction
commits, so a failed rebuild leaves store and index as they were. A
progress bar (tqdm, on standard error) follows each phase.
"""
import sys
import time

__all__ = ["reindex_union_catalogue", "UnionReindex", "apply_queued_changes"]

PHASES = {
    "members": "Đọc nguồn / reading sources",
    "records": "Gộp biểu ghi / merging records",
    "index": "Lập chỉ mục / indexing",
}


class _Progress:
    """One tqdm bar per phase of ``rebuild`` and ``reindex``."""

    def __init__(self, err, disable=False):
        self.err, self.disable = err, disable
        self.bars = {}

    def __call__(self, phase, done, total):
        if self.disable:
            return
        bar = self.bars.get(phase)
        if bar is None:
            from tqdm import tqdm
            for other in self.bars.values():
                other.close()
            bar = self.bars[phase] = tqdm(total=total, unit=" bg", file=self.err,
                                          desc=PHASES.get(phase, phase), disable=None)
        bar.total = max(bar.total or 0, total or 0)
        bar.update(max(0, done - bar.n))

    def close(self):
        for bar in self.bars.values():
            bar.close()


class UnionReindex:
    """What ``reindex_union_catalogue`` did: ``report`` (a ``RebuildReport``),
    ``indexed`` (records written to the index), ``error`` (why the index could
    not be refilled, or None), ``seconds`` per phase."""

    def __init__(self):
        self.report = None
        self.indexed = None
        self.error = None
        self.index_seconds = 0.0

    def summary_lines(self):
        r = self.report
        if r is None:
            return ["Mục lục liên hợp: chưa lập lại / union catalogue: not rebuilt"]
        lines = [
            f"Mục lục liên hợp / union catalogue: {r.members} biểu ghi nguồn / source records → "
            f"{r.records} biểu ghi / records ({r.merged} được gộp / merged; {r.created} mới / "
            f"new, {r.changed} đổi / changed, {r.deleted} đã xóa / deleted) "
            f"trong / in {r.seconds.get('total', 0):.1f} s",
        ]
        if self.error is not None:
            lines.append(f"Chỉ mục tìm kiếm: lỗi / search index: failed: {self.error}")
        elif self.indexed is not None:
            lines.append(f"Chỉ mục tìm kiếm / search index: {self.indexed} biểu ghi / records "
                         f"trong / in {self.index_seconds:.1f} s")
        return lines


def reindex_union_catalogue(request, root, quiet=False, err=None, clear_index=False):
    """Rebuild the union store in ``request``'s transaction and refill the
    index after it commits; returns a ``UnionReindex`` (filled in by then)."""
    from federation.services import IUnionCatalogue

    outcome = UnionReindex()
    progress = _Progress(err or sys.stderr, disable=quiet)
    pipeline = request.registry["federation.union_pipeline"]
    catalogue = request.find_service(IUnionCatalogue)
    try:
        outcome.report = catalogue.rebuild(
            root, base_url=request.registry.settings.get("serepok.base_url", ""),
            progress=progress)
    except BaseException:
        progress.close()
        raise

    def refill(success):
        if not success:
            progress.close()
            return
        started = time.perf_counter()
        session = pipeline.session_factory()
        try:
            outcome.indexed = pipeline.catalogue(session).reindex(progress=progress,
                                                                 clear=clear_index)
        except Exception as error:       # reported by the command, not lost in a log
            outcome.error = error
        finally:
            session.close()
            progress.close()
        outcome.index_seconds = time.perf_counter() - started

    request.tm.get().addAfterCommitHook(refill)
    return outcome


def count_merged(settings, member_keys, batch=None):
    """``IUnionCatalogue.merged_among(member_keys, batch)`` in the store the
    settings name, for the report of an import from the command line."""
    from ils import db

    from federation.services import merged_among

    engine = db.make_engine(settings)
    try:
        session = db.session_factory(engine)()
        try:
            return merged_among(session, member_keys, batch)
        finally:
            session.close()
    finally:
        engine.dispose()


def apply_queued_changes(settings, quiet=True, err=None, written=None, batch=None):
    """Apply the changes other processes queued (``serepok import marc``
    commits its records with no index at hand) to the union store and the
    search index the settings name; returns how many queued rows were taken.
    Many changes (a whole file) are applied in bulk (``federation.bulk``).
    For the end of an import command, or a timer.

    ``written``: the records the import just committed under the queue
    ``batch`` (``federation.sources.Imported``, or already a
    ``federation.sources.Handover``), used instead of reading them back,
    except those another transaction has queued a change for since."""
    from ils import db

    from federation.bulk import apply_queued
    from federation.index import search_index_from_settings
    from federation.sources import Handover
    from federation.subscribers import pipeline_from_settings

    engine = db.make_engine(settings)
    index = search_index_from_settings(settings)
    try:
        factory = db.session_factory(engine)
        if written is not None and not isinstance(written, Handover):
            written = Handover(written.items(), batch) if written else None
        pipeline = pipeline_from_settings(settings, factory, lambda: index, written=written)
        progress = _Progress(err or sys.stderr, disable=quiet)
        try:
            return apply_queued(pipeline, progress=progress)
        finally:
            progress.close()
    finally:
        index.close()
        engine.dispose()

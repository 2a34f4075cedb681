"""Rebuilding the union store from its sources at once (``serepok reindex``, a
whole MARC file: ``federation.bulk``), for ``UnionCatalogue.rebuild``.

Three steps, each timed in the report: the members (the catalogue's records
made in the worker processes, the repository's kept as stored or read from
the tree), their merging (clusters by shared match keys, union ids kept from
before where they can be), and the union records (merged in the worker
processes, written here, and handed to the index writer in the same pass).
"""
import time
from functools import partial

from sqlalchemy import delete, func, select, update

from federation import merge as merging
from federation.models import KeepApart, UnionMatchKey, UnionMember, UnionQueue, UnionRecord
from federation.members import _dict, _stored, merged_texts
from federation.services import RebuildReport, _chunks
from federation.sources import CatalogueSource, repository_records
from federation.workers import chunked, ordered_map
from ils import jsontext
from ils.db import insert_rows, update_rows

__all__ = ["rebuild"]

# chunks of clusters per worker process merging ahead while a rebuild writes its
# members (the workers were idle then): 16 × 400 clusters, about 40 MB of answers
_MERGE_AHEAD = 16


def _tally(report, clusters, part, created, changed, done, progress):
    """Count a batch of merged clusters ``part`` in a rebuild's report; returns
    the number of clusters done."""
    report.created += created
    report.changed += changed
    report.merged += sum(len(clusters[i]) for i in part if len(clusters[i]) > 1)
    done += len(part)
    if progress:
        progress("records", done, len(clusters))
    return done


def _start_merging(union, clusters, ids, order, texts, documents):
    """The union records of ``clusters`` (in ``order``), merged in the
    worker processes (``merged_texts``): started at once and many chunks
    ahead, so that they merge while this process writes the members."""
    work = partial(merged_texts, sites=union.sites,
                   analyse=documents.analyse if documents is not None else None)
    return ordered_map(work, [(ids[i], [(k, texts[k]) for k in clusters[i]]) for i in order],
                       ahead=_MERGE_AHEAD)


def _write_merged(union, answers, clusters, ids, merge_keys, order, stamp, documents,
                  report, progress, batch_size):
    """The records step of ``rebuild``: ``_start_merging``'s answers written."""
    done = 0
    for start in range(0, len(order), batch_size):
        part = order[start:start + batch_size]
        made = [next(answers) for _i in part]
        created, changed = union._write_texts(
            [(ids[i], merge_keys[i], text, mark, specs)
             for i, (text, mark, specs, _document) in zip(part, made)],
            now=stamp)
        if documents is not None:
            documents.index_analysed([(ids[i], document)
                                      for i, (_t, _m, _s, document) in zip(part, made)])
        done = _tally(report, clusters, part, created, changed, done, progress)


def rebuild(union, root=None, base_url="", progress=None, batch_size=2000,
            in_memory=250_000, sink=None, forget_queued=True, documents=None):
    """``IUnionCatalogue.rebuild`` of ``union`` (a ``UnionCatalogue``).
    ``sink(records)``, when given, is handed every live union record as it
    is merged (to fill an index writer while the rebuild goes on:
    ``federation.bulk``); the ids flagged
    deleted are in ``report.deleted_ids``. ``forget_queued=False`` leaves
    the queued changes for the caller to remove once the index has them.

    Up to ``in_memory`` members, the merging is done in the worker
    processes (``merged_texts``) when there is no ``sink``, or when
    ``documents`` is given too (and then used instead of ``sink``): an
    index writer with ``analyse`` (a module-level ``(record, its JSON text
    without the full text) → document`` function, run in the workers as
    well) and ``index_analysed([(id, document)])``, as the embedded
    index's bulk writer has."""
    report, clock = RebuildReport(), time.perf_counter()
    started = clock
    queued_until = union.db.scalar(select(func.max(UnionQueue.id)))
    if union.written is not None:       # changed since the import: read them back
        union.written.forget_changed(union.db, upto=queued_until)
    previous = dict(union.db.execute(select(UnionMember.key, UnionMember.union_id)).all())
    if root is None:
        rebuilt = UnionMember.key.startswith(merging.ILS + ":")
        kept = select(UnionMember.key).where(~rebuilt)
        match = {k: [] for k in union.db.scalars(kept)}
        for member_key, match_key in union.db.execute(
                select(UnionMatchKey.member_key, UnionMatchKey.match_key)
                .where(UnionMatchKey.member_key.in_(kept))):
            match[member_key].append(match_key)
        union.db.execute(delete(UnionMatchKey).where(UnionMatchKey.member_key.in_(
            select(UnionMember.key).where(rebuilt))))
        union.db.execute(delete(UnionMember).where(rebuilt))
    else:
        match = {}
        union.db.execute(delete(UnionMatchKey))
        union.db.execute(delete(UnionMember))
    now = union.clock()
    catalogue = CatalogueSource(union.db, union.sites, union.written)
    total = catalogue.count()
    # up to ``in_memory`` members are kept for the merge, not read back, and
    # written once their union id is known (not written, then moved)
    kept_records = {} if total <= in_memory else None
    waiting = []
    # … and merged in the worker processes, as JSON text, when the index (if
    # any) takes documents analysed there too (``documents``)
    kept_texts = ({} if kept_records is not None and (sink is None or documents is not None)
                  else None)

    def store(batch):
        """Members ``[(key, Record)]`` made here."""
        for key, record in batch:
            record.id, record.provenance = key, [key]
            match[key] = merging.match_keys(record)
        if kept_records is None:
            write_members([key for key, _r in batch], previous,
                          {key: jsontext.dumps(_dict(record)) for key, record in batch})
        elif kept_texts is not None:
            kept_texts.update((key, jsontext.dumps(_dict(record))) for key, record in batch)
            waiting.append([key for key, _record in batch])
        else:
            kept_records.update(batch)
            waiting.append([key for key, _record in batch])
        report.members += len(batch)
        if progress:
            progress("members", report.members, total)

    def store_texts(batch):
        """Members ``[(key, JSON text, match keys)]`` made in the workers."""
        for key, text, found in batch:
            match[key] = found
            kept_texts[key] = text
        waiting.append([key for key, _text, _found in batch])
        report.members += len(batch)
        if progress:
            progress("members", report.members, total)

    def write_members(keys, union_of, texts):
        insert_rows(union.db, UnionMember, [
            {"key": key, "union_id": union_of.get(key, ""), "record": texts[key],
             "updated": now} for key in keys], json_text=("record",))
        rows = [{"member_key": key, "match_key": m} for key in keys for m in match[key]]
        if rows:
            insert_rows(union.db, UnionMatchKey, rows)

    if kept_texts is not None:
        # the catalogue's records built, keyed and turned into JSON in the workers
        made = catalogue.member_answers(catalogue.items(batch_size))
        for batch in chunked((m for m in made if m is not None), batch_size):
            store_texts(batch)
    else:
        for batch in catalogue.batches(batch_size):
            store(batch)
    if root is not None:
        for batch in chunked(repository_records(root, base_url), batch_size):
            store(batch)
    report.seconds["members"] = time.perf_counter() - clock
    clock = time.perf_counter()

    apart = union.db.execute(select(KeepApart.first, KeepApart.second)).all()
    clusters = merging.cluster(match, apart)
    merge_keys = [merging.merge_key(c, match) for c in clusters]
    ids = merging.assign_ids(clusters, merge_keys, previous)
    union_of = {k: union_id for keys, union_id in zip(clusters, ids) for k in keys}
    order = sorted(range(len(clusters)), key=lambda i: ids[i])
    answers = None
    if kept_texts is not None:
        # members not rebuilt (the repository's, kept)
        kept_texts.update(union._member_texts(
            [k for keys in clusters for k in keys if k not in kept_texts]))
        answers = _start_merging(union, clusters, ids, order, kept_texts, documents)
    written = set()
    for keys in waiting:
        write_members(keys, union_of, kept_texts if kept_texts is not None else
                      {key: jsontext.dumps(_dict(kept_records[key])) for key in keys})
        written.update(keys)
    waiting.clear()
    if kept_texts is not None:
        kept_texts.clear()
    moves = [{"key": k, "union_id": union_id} for k, union_id in union_of.items()
             if k not in written and previous.get(k, "") != union_id]
    for chunk in _chunks(moves, 5000):
        update_rows(union.db, UnionMember, chunk)
    report.seconds["merge"] = time.perf_counter() - clock
    clock = time.perf_counter()

    stamp = union._now()
    done = 0
    if answers is not None:
        _write_merged(union, answers, clusters, ids, merge_keys, order, stamp, documents,
                      report, progress, batch_size)
        order = []
    for start in range(0, len(order), batch_size):
        part = order[start:start + batch_size]
        wanted = [k for i in part for k in clusters[i]]
        records = {}
        if kept_records is not None:
            records = {k: kept_records[k] for k in wanted if k in kept_records}
            wanted = [k for k in wanted if k not in records]
        for chunk in _chunks(wanted, 2000):
            records.update((k, _stored(r)) for k, r in union.db.execute(
                select(UnionMember.key, UnionMember.record)
                .where(UnionMember.key.in_(chunk))))
        merged = [(ids[i], merge_keys[i],
                   merging.merge(ids[i], [(k, records[k]) for k in clusters[i]], union.sites))
                  for i in part]
        created, changed = union._write_records(merged, now=stamp)
        if sink is not None:
            sink([record for _id, _key, record in merged])
        done = _tally(report, clusters, part, created, changed, done, progress)
    live = set(ids)
    stale = [u for u in union.db.scalars(select(UnionRecord.id)
                                         .where(UnionRecord.deleted.is_(False)))
             if u not in live]
    for chunk in _chunks(stale):
        union.db.execute(update(UnionRecord).where(UnionRecord.id.in_(chunk))
                         .values(deleted=True, datestamp=stamp))
    report.deleted = len(stale)
    report.deleted_ids = stale
    report.records = len(clusters)
    report.queued_until = queued_until
    if queued_until is not None and forget_queued:
        # everything queued before the rebuild started is in it now
        union.db.execute(delete(UnionQueue).where(UnionQueue.id <= queued_until))
    report.seconds["records"] = time.perf_counter() - clock
    report.seconds["total"] = time.perf_counter() - started
    return report

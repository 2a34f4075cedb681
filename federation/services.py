"""The union catalogue service: sources → members → merged union records → index.

Views, providers (OAI-PMH, SRU) and jobs get it with
``request.find_service(IUnionCatalogue)``. Like every service it works on the
session it is given and never commits; the after-commit pipeline
(``federation.subscribers``) and ``serepok reindex`` (``federation.cli``) own
their transactions.
"""
import datetime
import logging
from dataclasses import dataclass, field
from functools import partial

from sqlalchemy import UnicodeText, cast, delete, exists, func, or_, select, update
from pyramid.i18n import TranslationStringFactory
from zope.interface import Interface, implementer

from federation import merge as merging
from federation.models import (KeepApart, UnionMatchKey, UnionMember, UnionQueue, UnionRecord,
                               UnionSet, utcnow)
from federation.records import Record
from federation.members import _dict, _stored, merged_texts  # noqa: F401 (tests)
from federation.sources import CatalogueSource
from federation.workers import ordered_map
from ils import jsontext
from ils.db import insert_rows, update_rows
from ils.gcpause import paused_gc

__all__ = ["IUnionCatalogue", "UnionCatalogue", "Member", "Change", "RebuildReport",
           "SplitError"]

log = logging.getLogger(__name__)
_ = TranslationStringFactory("serepok")
_CHUNK = 500
_WRITE_BATCH = 800      # merged union records written at a time while the workers merge on


class IUnionCatalogue(Interface):
    """The union catalogue: one record per book, whatever the sources.

    Ids are stable: a rebuild gives the same ids, a merge keeps the id most
    of the members had, a split leaves it with the members that stay.
    """

    def get(union_id):
        """The ``Record`` (with ``provenance``, without full text), or None when
        unknown or deleted."""

    def members(union_id):
        """The source records merged into it, as ``[Member]`` in source order."""

    def union_id_of(member_key):
        """The union id of a member (``ils:12``, ``repository:<uid>``), or None."""

    def merged_among(member_keys, batch=None):
        """How many of ``member_keys`` share their union record with another
        member (the same book from another catalogue, or a duplicate): what an
        import reports as merged. None while changes queued under ``batch``
        (the import's) wait in the queue: the union store has not taken
        them in yet."""

    def split(union_id, member_key, actor=""):
        """Take ``member_key`` out of ``union_id`` into a record of its own and
        remember it: no later update or rebuild merges the two again. Returns
        the member's new union id. Raises ``SplitError``."""

    def update_members(keys, snapshots=None, documents=None):
        """Bring members up to date from their sources and re-merge what they
        touch. ``keys``: member keys; ``ils:*`` are read from the catalogue,
        ``snapshots`` maps other keys to their ``Record`` (None: gone). Returns
        the union ids whose records changed or may have (for the index).
        ``documents``: an index writer taking the records it merges as they
        are written (``analyse`` and ``index_analysed``, as ``rebuild``'s),
        and the ids of records it releases (``delete``)."""

    def rebuild(root=None, base_url="", progress=None, batch_size=2000):
        """Rebuild the union store from every source, in batches; the same ids
        for the same sources. ``root``: the repository root (None keeps the
        repository's members as stored). ``progress(phase, done, total)``.
        Returns a ``RebuildReport``. The index is refilled by ``reindex``
        once this has committed."""

    def reindex(progress=None, batch_size=5000, clear=False):
        """Write every live union record to the search index and remove the
        deleted ones; returns the number indexed."""

    def sync_index(union_ids, batch=None):
        """Write these union records to the index as the store has them (index
        live ones, delete deleted or unknown ones); through ``batch`` (of
        ``federation.bulk.bulk_writer``) when given."""

    def changes(from_=None, until=None, set_=None, after_id=None, limit=100):
        """Union records (deleted ones too) whose datestamp is within
        [from_, until] (UTC, whole seconds, inclusive), in the set ``set_``
        (``site``, ``site:bmt``, ``library:xa-ea-kao``; a prefix before ``:``
        takes all below it), with id above ``after_id``, ordered by id, at most
        ``limit``: a list of ``Change`` (for OAI-PMH)."""

    def earliest_datestamp():
        """The oldest datestamp, or None when the store is empty."""

    def set_specs():
        """``{spec: number of live records}`` of every set."""


class SplitError(ValueError):
    """A split that cannot be done: the member is not in that record, or alone
    in it. ``message`` is a translation string for the staff page."""

    def __init__(self, message, **mapping):
        self.message = _(message, mapping=mapping)
        super().__init__(message.replace("${member}", mapping.get("member", "")))


@dataclass
class Member:
    key: str
    record: Record
    union_id: str


@dataclass
class Change:
    id: str
    datestamp: datetime.datetime
    deleted: bool
    sets: list
    record: Record | None      # None for a deleted record


@dataclass
class RebuildReport:
    members: int = 0
    records: int = 0
    created: int = 0
    changed: int = 0
    deleted: int = 0
    merged: int = 0                 # members sharing a record with another
    seconds: dict = field(default_factory=dict)
    deleted_ids: list = field(default_factory=list)
    queued_until: int | None = None     # the last queued change the rebuild took in


def as_utc(value):
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=datetime.timezone.utc)
    return value.astimezone(datetime.timezone.utc)


# above this many keys one pass over the members beats looking each one up
_MERGED_SCAN_ABOVE = 5000


def merged_among(session, member_keys, batch=None):
    """``IUnionCatalogue.merged_among`` on ``session``."""
    if batch is not None and session.scalar(
            select(UnionQueue.id).where(UnionQueue.batch == batch).limit(1)) is not None:
        return None
    keys = set(member_keys)
    if not keys:
        return 0
    if len(keys) > _MERGED_SCAN_ABOVE:
        shared = (select(UnionMember.union_id).where(UnionMember.union_id != "")
                  .group_by(UnionMember.union_id).having(func.count() > 1))
        # a whole file: every member of a merged record, kept if it is one of these
        return sum(1 for key in session.scalars(
            select(UnionMember.key).where(UnionMember.union_id.in_(shared))) if key in keys)
    other = UnionMember.__table__.alias("other")
    found = 0
    for chunk in _chunks(sorted(keys)):
        found += session.scalar(
            select(func.count()).select_from(UnionMember)
            .where(UnionMember.key.in_(chunk), UnionMember.union_id != "",
                   exists().where(other.c.union_id == UnionMember.union_id,
                                  other.c.key != UnionMember.key)))
    return found


def _chunks(values, size=_CHUNK):
    values = list(values)
    for i in range(0, len(values), size):
        yield values[i:i + size]


def _as_text(column):
    """A JSON column read as its text, compared with new JSON text as text:
    what SQLite keeps, and PostgreSQL's ``json`` (kept as written) gives
    without the driver parsing it. A text of another key order, written
    before, counts as different: rewritten once, its datestamp kept."""
    return cast(column, UnicodeText)


@implementer(IUnionCatalogue)
class UnionCatalogue:
    """``IUnionCatalogue`` on the SQL store (``federation.models``).

    ``index``: the ``ISearchIndex`` (needed by ``reindex``/``sync_index``);
    ``sites``: library codes that are sites of the provincial library;
    ``on_change(union_ids)``: told of records ``split`` changed, so they reach
    the index after the transaction commits; ``written``: catalogue records
    an import in this process has just committed (``CatalogueSource``).
    """

    def __init__(self, session, index=None, sites=(), on_change=None, clock=utcnow,
                 written=None):
        self.db = session
        self.index = index
        self.sites = tuple(sites)
        self.on_change = on_change
        self.clock = clock
        self.written = written

    def _now(self):
        return as_utc(self.clock()).replace(microsecond=0)

    # --- reading -------------------------------------------------------------------

    def get(self, union_id, deleted=False):
        row = self.db.get(UnionRecord, str(union_id))
        if row is None or (row.deleted and not deleted):
            return None
        return _stored(row.record)

    def members(self, union_id):
        rows = self.db.execute(select(UnionMember.key, UnionMember.record)
                               .where(UnionMember.union_id == str(union_id))).all()
        found = [Member(key, _stored(record), str(union_id)) for key, record in rows]
        return sorted(found, key=lambda m: merging.member_order(m.key))

    def union_id_of(self, member_key):
        return self.db.scalar(select(UnionMember.union_id).where(UnionMember.key == member_key))

    def merged_among(self, member_keys, batch=None):
        return merged_among(self.db, member_keys, batch)

    def changes(self, from_=None, until=None, set_=None, after_id=None, limit=100):
        query = select(UnionRecord).order_by(UnionRecord.id).limit(max(1, int(limit)))
        if from_ is not None:
            query = query.where(UnionRecord.datestamp >= as_utc(from_))
        if until is not None:
            query = query.where(UnionRecord.datestamp <= as_utc(until))
        if after_id:
            query = query.where(UnionRecord.id > after_id)
        if set_:
            query = query.where(exists(select(UnionSet.union_id).where(
                UnionSet.union_id == UnionRecord.id,
                or_(UnionSet.spec == set_, UnionSet.spec.startswith(set_ + ":")))))
        rows = self.db.scalars(query).all()
        sets = {}
        for chunk in _chunks([r.id for r in rows]):
            for union_id, spec in self.db.execute(
                    select(UnionSet.union_id, UnionSet.spec).where(UnionSet.union_id.in_(chunk))
                    .order_by(UnionSet.spec)):
                sets.setdefault(union_id, []).append(spec)
        return [Change(r.id, as_utc(r.datestamp), r.deleted, sets.get(r.id, []),
                       None if r.deleted else _stored(r.record)) for r in rows]

    def earliest_datestamp(self):
        return as_utc(self.db.scalar(select(func.min(UnionRecord.datestamp))))

    def known_sites(self):
        """The sites (``site:<code>`` sets) records of the store are held at:
        what a process without the repository at hand takes for the sites."""
        specs = self.db.scalars(select(UnionSet.spec).distinct()
                                .where(UnionSet.spec.startswith("site:")))
        return tuple(sorted(spec[len("site:"):] for spec in specs))

    def set_specs(self):
        rows = self.db.execute(
            select(UnionSet.spec, func.count())
            .join(UnionRecord, UnionRecord.id == UnionSet.union_id)
            .where(UnionRecord.deleted.is_(False)).group_by(UnionSet.spec).order_by(UnionSet.spec))
        return dict(rows.all())

    # --- staff: split a wrong merge ------------------------------------------------------

    def split(self, union_id, member_key, actor=""):
        keys = [m.key for m in self.members(union_id)]
        if member_key not in keys:
            raise SplitError("The source record ${member} is not part of this record.",
                             member=member_key)
        if len(keys) < 2:
            raise SplitError("This record has only one source record: there is nothing to "
                             "split.", member=member_key)
        pairs = {tuple(sorted((member_key, other))) for other in keys if other != member_key}
        known = set(self.db.execute(select(KeepApart.first, KeepApart.second).where(
            or_(KeepApart.first == member_key, KeepApart.second == member_key))).all())
        rows = [{"first": a, "second": b, "union_id": union_id, "actor": str(actor)[:200],
                 "created": self.clock()} for a, b in sorted(pairs - known)]
        if rows:
            insert_rows(self.db, KeepApart, rows)
        touched = self._recompute(keys, leaving={member_key})
        if self.on_change is not None:
            self.on_change(touched)
        return self.union_id_of(member_key)

    # --- incremental updates ---------------------------------------------------------------

    def update_members(self, keys, snapshots=None, documents=None):
        snapshots = dict(snapshots or {})
        keys = set(keys) | set(snapshots)
        if not keys:
            return set()
        # {member key: (JSON text, match keys)}, None for a member no longer there;
        # the catalogue's many records of an import made in the worker processes,
        # started first: they work while the stored members are read here
        catalogue = CatalogueSource(self.db, self.sites, self.written)
        answers = catalogue.member_answers(catalogue.items_of(
            int(k.split(":", 1)[1]) for k in keys
            if k.startswith(merging.ILS + ":") and k.split(":", 1)[1].isdigit()))
        stored, old_match = {}, {}
        stored_record = _as_text(UnionMember.record)
        for chunk in _chunks(keys):
            stored.update((key, (union_id, data)) for key, union_id, data in self.db.execute(
                select(UnionMember.key, UnionMember.union_id, stored_record)
                .where(UnionMember.key.in_(chunk))))
            for member_key, match_key in self.db.execute(
                    select(UnionMatchKey.member_key, UnionMatchKey.match_key)
                    .where(UnionMatchKey.member_key.in_(chunk))):
                old_match.setdefault(member_key, set()).add(match_key)
        fresh = {made[0]: made[1:] for made in answers if made is not None}
        for key in keys:
            if key in snapshots:
                record = snapshots[key]
                if record is not None:
                    record.id, record.provenance = key, [key]
                    record = (jsontext.dumps(_dict(record)), merging.match_keys(record))
                fresh[key] = record
            elif key.startswith(merging.ILS + ":"):
                fresh.setdefault(key, None)           # no longer in the catalogue
        now = self.clock()
        gone, written = [], []
        for key, made in fresh.items():
            if made is None:
                if key in stored:
                    gone.append(key)
                continue
            text, new_match = made[0], set(made[1])
            before = stored.get(key)
            if (before is not None and before[1] == text
                    and old_match.get(key, set()) == new_match):
                continue
            written.append((key, text, new_match, before))
        for chunk in _chunks(gone):
            self.db.execute(delete(UnionMatchKey).where(UnionMatchKey.member_key.in_(chunk)))
            self.db.execute(delete(UnionMember).where(UnionMember.key.in_(chunk)))
        if written:
            for chunk in _chunks([w[0] for w in written]):
                self.db.execute(delete(UnionMatchKey).where(UnionMatchKey.member_key.in_(chunk)))
            new_rows = [{"key": k, "union_id": "", "record": t, "updated": now}
                        for k, t, _m, before in written if before is None]
            changed_rows = [{"key": k, "record": t, "updated": now}
                            for k, t, _m, before in written if before is not None]
            if new_rows:
                insert_rows(self.db, UnionMember, new_rows, json_text=("record",))
            if changed_rows:
                update_rows(self.db, UnionMember, changed_rows, json_text=("record",))
            match_rows = [{"member_key": k, "match_key": m} for k, _t, ms, _b in written
                          for m in sorted(ms)]
            if match_rows:
                insert_rows(self.db, UnionMatchKey, match_rows)
        seeds = set(gone) | {w[0] for w in written}
        touched = set()
        if seeds:
            extra = {m for k in seeds for m in old_match.get(k, ())}
            touched = self._recompute(seeds, extra_match=extra,
                                      old_ids={stored[k][0] for k in seeds if k in stored},
                                      documents=documents,
                                      known={k: (t, sorted(m)) for k, t, m, _b in written})
        # unchanged members too: a replay after the index failed must index them
        return touched | self._union_ids_of(keys)

    def _recompute(self, seeds, extra_match=(), old_ids=(), leaving=(), documents=None,
                   known=None):
        """Re-cluster every member connected to ``seeds`` (by match keys or by
        sharing a union record) and write the union records they make (merged
        in the worker processes when they are many: ``merged_texts``), and,
        with ``documents`` (see ``update_members``), to the index. ``known``:
        ``{member key: (JSON text, match keys)}`` of members this transaction
        has just written (not read back)."""
        known = known or {}
        old_ids = set(old_ids) | set(self._union_ids_of(seeds))
        seeds = set(seeds)
        for chunk in _chunks(old_ids):
            seeds.update(self.db.scalars(select(UnionMember.key)
                                         .where(UnionMember.union_id.in_(chunk))))
        match = self._component(seeds, extra_match, known)
        previous = {}
        for chunk in _chunks(match):
            previous.update(self.db.execute(select(UnionMember.key, UnionMember.union_id)
                                            .where(UnionMember.key.in_(chunk))).all())
        old_ids |= {u for u in previous.values() if u}
        apart = set()
        for chunk in _chunks(match):
            apart.update(self.db.execute(select(KeepApart.first, KeepApart.second).where(
                or_(KeepApart.first.in_(chunk), KeepApart.second.in_(chunk)))).all())
        clusters = merging.cluster(match, apart)
        merge_keys = [merging.merge_key(c, match) for c in clusters]

        # the id each new cluster would get first, looked up at once (one query per
        # cluster cost more than the rest of the merge); others, rare, one by one
        first_choice = {merging.union_id_for(k) for k in merge_keys} - old_ids
        live = set()
        for chunk in _chunks(first_choice):
            live.update(self.db.scalars(select(UnionRecord.id).where(
                UnionRecord.id.in_(chunk), UnionRecord.deleted.is_(False))))

        def is_taken(union_id):
            if union_id in old_ids:
                return False
            if union_id in first_choice:
                return union_id in live
            row = self.db.get(UnionRecord, union_id)
            return row is not None and not row.deleted

        ids = merging.assign_ids(clusters, merge_keys, previous, is_taken, leaving=leaving)
        texts = {k: known[k][0] for k in match if k in known}
        texts.update(self._member_texts([k for k in match if k not in known]))
        # merged (and analysed for ``documents``) in the worker processes, started at
        # once: what they send back is written here batch by batch while they go on
        analyse = documents.analyse if documents is not None else None
        answers = ordered_map(partial(merged_texts, sites=self.sites, analyse=analyse), [
            (union_id, [(k, texts[k]) for k in keys]) for keys, union_id in zip(clusters, ids)])
        moves = [{"key": k, "union_id": union_id} for keys, union_id in zip(clusters, ids)
                 for k in keys if previous.get(k) != union_id]
        if moves:
            update_rows(self.db, UnionMember, moves)
        for start in range(0, len(ids), _WRITE_BATCH):
            part = ids[start:start + _WRITE_BATCH]
            made = [next(answers) for _union_id in part]
            self._write_texts([(union_id, key, text, mark, specs) for union_id, key,
                               (text, mark, specs, _document)
                               in zip(part, merge_keys[start:start + _WRITE_BATCH], made)])
            if documents is not None:
                documents.index_analysed([(union_id, answer[3]) for union_id, answer
                                          in zip(part, made)])
        released = old_ids - set(ids)
        if released:
            self._write_texts([], released=released)
            if documents is not None:
                documents.delete(sorted(released))
        return set(ids) | old_ids

    def _member_texts(self, keys):
        """``{member key: its stored record as JSON text}``."""
        texts = {}
        stored_record = _as_text(UnionMember.record)
        for chunk in _chunks(keys):
            for key, data in self.db.execute(select(UnionMember.key, stored_record)
                                             .where(UnionMember.key.in_(chunk))):
                texts[key] = data
        return texts

    def _union_ids_of(self, keys):
        found = set()
        for chunk in _chunks(keys):
            found.update(u for u in self.db.scalars(
                select(UnionMember.union_id).where(UnionMember.key.in_(chunk))) if u)
        return found

    def _component(self, seeds, extra_match=(), known=None):
        """``{member key: [match keys]}`` of every member reachable from ``seeds``
        through shared match keys (members that no longer exist are left out);
        ``known`` as for ``_recompute``."""
        match, seen_keys = {}, set()
        todo_members, todo_keys = set(seeds), set(extra_match)
        for key in todo_members & set(known or ()):
            match[key] = list(known[key][1])
            todo_keys.update(match[key])
        todo_members -= set(match)
        while todo_members or todo_keys:
            for chunk in _chunks(todo_members):
                present = set(self.db.scalars(select(UnionMember.key)
                                              .where(UnionMember.key.in_(chunk))))
                for key in present:
                    match.setdefault(key, [])
                for member_key, match_key in self.db.execute(
                        select(UnionMatchKey.member_key, UnionMatchKey.match_key)
                        .where(UnionMatchKey.member_key.in_(chunk))):
                    match[member_key].append(match_key)
                    todo_keys.add(match_key)
            todo_keys -= seen_keys
            seen_keys |= todo_keys
            found = set()
            for chunk in _chunks(todo_keys):
                found.update(self.db.scalars(select(UnionMatchKey.member_key)
                                             .where(UnionMatchKey.match_key.in_(chunk))))
            todo_members = found - set(match)
            todo_keys = set()
        return match

    def _write_records(self, merged, released=(), now=None):
        """Insert or update union records ``[(id, merge key, Record)]``; flag
        ``released`` ids (no members left) deleted. The datestamp moves only
        when the fingerprint (or the deleted flag) does."""
        written = []
        for union_id, merge_key, record in merged:
            data = _dict(record)
            written.append((union_id, merge_key, jsontext.dumps(data), merging.fingerprint(data),
                            merging.sets_of(record, self.sites)))
        return self._write_texts(written, released, now)

    def _write_texts(self, merged, released=(), now=None):
        """``_write_records`` for records already turned into ``[(id, merge key,
        JSON text, fingerprint, OAI sets)]`` (by ``merged_texts``, in a worker)."""
        now = now or self._now()
        ids = [union_id for union_id, *_rest in merged]
        existing = {}
        for chunk in _chunks(ids):
            existing.update((row.id, row) for row in self.db.execute(
                select(UnionRecord.id, UnionRecord.merge_key, UnionRecord.fingerprint,
                       UnionRecord.deleted)
                .where(UnionRecord.id.in_(chunk))))
        # the stored text only where the fingerprint is the same (copies on the shelf
        # may still have changed), compared as text, not parsed (what it cost to parse
        # was a tenth of a rebuild)
        same = [union_id for union_id, _key, _text, mark, _specs in merged
                if union_id in existing and not existing[union_id].deleted
                and existing[union_id].fingerprint == mark]
        stored_texts = {}
        stored_record = _as_text(UnionRecord.record)
        for chunk in _chunks(same):
            stored_texts.update(self.db.execute(
                select(UnionRecord.id, stored_record).where(UnionRecord.id.in_(chunk))).all())
        inserts, updates, new_sets, reset_sets = [], [], [], []
        for union_id, merge_key, text, mark, specs in merged:
            before = existing.get(union_id)
            merge_key = merge_key[:400]
            if before is None:
                inserts.append({"id": union_id, "merge_key": merge_key, "record": text,
                                "fingerprint": mark, "deleted": False, "datestamp": now})
                new_sets.extend({"union_id": union_id, "spec": spec} for spec in specs)
                continue
            # only the columns that change: SQLite rewrites the index of every column
            # an UPDATE sets, changed or not (the merge key's, a random one)
            row = {"id": union_id, "record": text}
            if before.merge_key != merge_key:
                row["merge_key"] = merge_key
            if before.deleted or before.fingerprint != mark:
                updates.append(dict(row, fingerprint=mark, deleted=False, datestamp=now))
                reset_sets.append(union_id)
                new_sets.extend({"union_id": union_id, "spec": spec} for spec in specs)
            elif "merge_key" in row or stored_texts.get(union_id) != text:
                updates.append(row)                  # copies on the shelf changed only
        if inserts:
            insert_rows(self.db, UnionRecord, inserts, json_text=("record",))
        if updates:
            update_rows(self.db, UnionRecord, updates, json_text=("record",))
        for chunk in _chunks(reset_sets):
            self.db.execute(delete(UnionSet).where(UnionSet.union_id.in_(chunk)))
        if new_sets:
            insert_rows(self.db, UnionSet, new_sets)
        released = sorted(set(released) - set(ids))
        for chunk in _chunks(released):
            self.db.execute(update(UnionRecord)
                            .where(UnionRecord.id.in_(chunk), UnionRecord.deleted.is_(False))
                            .values(deleted=True, datestamp=now))
        return len(inserts), len(updates)

    # --- the index -------------------------------------------------------------------------

    def sync_index(self, union_ids, batch=None):
        # read back, not taken from the merge that wrote them: another process may have
        # committed a newer version since, and the index must show the latest
        union_ids = sorted(set(union_ids))
        if not union_ids or (self.index is None and batch is None):
            return
        live, dead = [], set(union_ids)
        # the embedded index reads and analyses the stored text in the worker processes
        index_stored = getattr(self.index, "index_stored", None)
        if batch is not None:
            index_stored = getattr(batch, "index_stored", None)
        stored_record = UnionRecord.record
        if index_stored is not None:
            stored_record = _as_text(UnionRecord.record)
        for chunk in _chunks(union_ids):
            for union_id, data in self.db.execute(
                    select(UnionRecord.id, stored_record)
                    .where(UnionRecord.id.in_(chunk), UnionRecord.deleted.is_(False))):
                live.append(_stored(data) if index_stored is None else data)
                dead.discard(union_id)
        writer = batch if batch is not None else self.index
        if live:
            (index_stored or writer.index)(live)
        if dead:
            writer.delete(sorted(dead))

    @paused_gc()
    def reindex(self, progress=None, batch_size=5000, clear=False):
        if clear:
            self.index.clear()
        total = self.db.scalar(select(func.count()).select_from(UnionRecord)
                               .where(UnionRecord.deleted.is_(False)))
        done, last = 0, ""
        while True:
            rows = self.db.execute(
                select(UnionRecord.id, UnionRecord.record)
                .where(UnionRecord.deleted.is_(False), UnionRecord.id > last)
                .order_by(UnionRecord.id).limit(batch_size)).all()
            if not rows:
                break
            last = rows[-1].id
            self.index.index([_stored(data) for _id, data in rows])
            done += len(rows)
            if progress:
                progress("index", done, total)
        if not clear:
            deleted = list(self.db.scalars(select(UnionRecord.id)
                                           .where(UnionRecord.deleted.is_(True))))
            for chunk in _chunks(deleted, 5000):
                self.index.delete(chunk)
        return done

    # --- rebuild ---------------------------------------------------------------------------

    @paused_gc()
    def rebuild(self, root=None, base_url="", progress=None, batch_size=2000,
                in_memory=250_000, sink=None, forget_queued=True, documents=None):
        """See ``IUnionCatalogue.rebuild`` and ``federation.rebuild``."""
        from federation.rebuild import rebuild
        return rebuild(self, root=root, base_url=base_url, progress=progress,
                       batch_size=batch_size, in_memory=in_memory, sink=sink,
                       forget_queued=forget_queued, documents=documents)

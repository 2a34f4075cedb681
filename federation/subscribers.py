"""Keep the union catalogue and its index current after each commit.

During a transaction the members it touches are collected: repository events
(a digital item or audiobook added, edited, published, retracted, moved,
removed; a collection's state or removal reaches everything below it) and
writes to the library's catalogue (``BibRecord``, ``Item``, ``RecordIsbn``:
ORM objects at flush, and the importer's bulk statements).

Just before the transaction commits, the members are written to the SQL
queue (``union_queue``) in that same transaction, with the repository's
records as they stand (the repository cannot be read after the commit). So an
aborted transaction queues nothing and a committed one loses nothing, even if
the process dies the next moment.

After a successful commit the pipeline re-merges the members in a
transaction of its own, commits, writes the index, and only then removes the
queued rows. When the store or the index fails (the index held by another
writer, a full disk) the rows stay; ``UnionPipeline.drain`` replays them, and
so does the next commit of the process, and ``serepok reindex`` rebuilds
everything. A transaction touching very many members (a whole MARC file) is
handed to a background thread instead of delaying its response; so is every
transaction marked ``in_background`` (a self-check machine's loan: the machine
gets its answer first, the union catalogue follows a moment later).

Bulk statements are followed too: rows given by key, inserts whose ids the
database assigns (every record above the largest id before them), and
UPDATE/DELETE … WHERE (the rows are selected with the same clause first).
Raw SQL text is not seen: announce such changes with ``queue_members``.
"""
import collections
import logging
import threading
import time
import uuid
import weakref

from sqlalchemy import delete, event, func, inspect, select
from sqlalchemy.orm import Session

from federation.bulk import bulk_writer
from federation.merge import ILS
from federation.models import UnionQueue, utcnow
from federation.services import UnionCatalogue
from federation.sources import (REPOSITORY_TYPES, CatalogueSource, ils_key, repository_key,
                                repository_record)
from federation.workers import PARALLEL_ABOVE
from ils.db import insert_rows

__all__ = ["UnionPipeline", "queue_members", "queue_union_ids", "pending_for",
           "install_session_events", "in_background", "pipeline_from_settings",
           "follow_engine"]

log = logging.getLogger(__name__)

_PENDING = object()         # key of the pending changes in a transaction's data
_SESSIONS = object()        # key of the SQL sessions a transaction has begun
_PIPELINES = weakref.WeakKeyDictionary()   # engine -> UnionPipeline


class UnionPipeline:
    """Brings committed changes into the union store and the search index.

    ``session_factory``: plain SQLAlchemy sessions (the pipeline commits them
    itself); ``open_index()``: the process's ``ISearchIndex``; ``sites``:
    library codes of the provincial library's sites; ``base_url``: the
    portal, for the links of digital items; ``sync_limit``: above this many
    members a commit's changes go to the background thread; ``written``: the
    records an import in this process has just committed, not read back
    (``federation.sources.Handover``).
    """

    settle = 0.5    # seconds ``process_soon`` waits for the commits that follow

    def __init__(self, session_factory, open_index, sites=(), base_url="", sync_limit=2000,
                 retries=3, written=None):
        self.session_factory = session_factory
        self.open_index = open_index
        self.sites = tuple(sites)
        self.base_url = base_url
        self.sync_limit = sync_limit
        self.retries = retries
        self.written = written
        self._thread = None
        self._lock = threading.Lock()
        # commits handed over by ``process_soon``, oldest first, until processed
        self._soon = threading.Condition()
        self._waiting = collections.deque()
        self._soon_thread = None

    def catalogue(self, session, on_change=None):
        return UnionCatalogue(session, self.open_index(), sites=self.sites, on_change=on_change,
                              written=self.written)

    def _in_transaction(self, work, on_failure=None):
        """Run ``work(catalogue)`` in a transaction of its own, retrying when a
        concurrent one got in the way; returns its result, or raises.
        ``on_failure()`` is called after each attempt rolled back."""
        for attempt in range(1, self.retries + 1):
            session = self.session_factory()
            try:
                result = work(self.catalogue(session))
                session.commit()
                return result
            except Exception:
                session.rollback()
                if on_failure is not None:
                    on_failure()
                if attempt == self.retries:
                    raise
                log.info("union catalogue update retried (%s)", attempt, exc_info=True)
            finally:
                session.close()

    def process(self, keys, snapshots=None, union_ids=(), batch=None, row_ids=None):
        """Update the store for ``keys``, then the index; then forget the queued
        rows (``batch``, a list of batches, or ``row_ids``). Returns True when
        all went through."""
        keys, snapshots = sorted(set(keys)), dict(snapshots or {})
        try:
            index = self.open_index()
        except Exception:           # the store is still updated; the index is retried later
            index = None
        if len(keys) >= PARALLEL_ABOVE and hasattr(index, "bulk"):
            done = self._process_in_bulk(index, keys, snapshots, union_ids)
        else:
            done = self._process(keys, snapshots, union_ids)
        if done and (batch is not None or row_ids):
            self._forget(batch, row_ids)
        return done

    @staticmethod
    def _chunks(keys, most=2000):
        """``keys`` in transactions of up to ``most`` members, of equal size: none
        so short that its members are made in this process rather than by
        the workers."""
        size = -(-len(keys) // max(1, -(-len(keys) // most))) or 1
        return [keys[start:start + size] for start in range(0, len(keys), size)]

    def _process(self, keys, snapshots, union_ids):
        touched = set(union_ids)
        try:
            for chunk in self._chunks(keys):
                part = {k: snapshots[k] for k in chunk if k in snapshots}
                touched |= self._in_transaction(lambda c: c.update_members(chunk, part))
        except Exception:
            log.exception("the union catalogue could not take %d changes; they stay queued",
                          len(keys))
            return False
        try:
            self._in_transaction(lambda c: c.sync_index(touched))
        except Exception:
            log.exception("the search index could not take %d records; they stay queued",
                          len(touched))
            return False
        return True

    def _process_in_bulk(self, index, keys, snapshots, union_ids):
        """``_process`` for many changes (a file's records): the index writer is
        held from the start, and each merged record goes to it as it is
        written, analysed where it was merged (the worker processes), instead
        of being read back and analysed again after the commits. Another
        process writing the index meanwhile waits for the writer, so it
        writes after this one: the index still ends with the latest version.
        Records this pass did not merge (unchanged members, ``union_ids``)
        are read back. Nothing reaches the index when anything fails."""
        written = _Written()
        touched = set(union_ids)
        try:
            with bulk_writer(index) as batch:
                written.batch = batch
                # up to a drain's batch in one transaction: about a tenth less time than
                # in transactions of 2,000 (bench/union_rebuild.py, a 7,000-record file)
                for chunk in self._chunks(keys, 10_000):
                    part = {k: snapshots[k] for k in chunk if k in snapshots}

                    def work(catalogue):
                        written.begin()
                        return catalogue.update_members(chunk, part, documents=written)
                    touched |= self._in_transaction(work, on_failure=written.undo)
                rest = (touched | written.undone) - written.ids
                if rest:
                    self._in_transaction(lambda c: c.sync_index(rest, batch=batch))
        except Exception:
            log.exception("the union catalogue or its index could not take %d changes; "
                          "they stay queued", len(keys))
            return False
        return True

    def _forget(self, batch=None, row_ids=None):
        session = self.session_factory()
        try:
            batches = [batch] if isinstance(batch, str) else [b for b in batch or () if b]
            for start in range(0, len(batches), 500):
                session.execute(delete(UnionQueue).where(
                    UnionQueue.batch.in_(batches[start:start + 500])))
            for start in range(0, len(row_ids or ()), 500):
                session.execute(delete(UnionQueue).where(
                    UnionQueue.id.in_(row_ids[start:start + 500])))
            session.commit()
        finally:
            session.close()

    def drain(self, limit=None, batch_size=10000):
        """Replay queued changes, oldest first; returns how many rows were taken.
        Each batch ends with one index commit (a file's records: a few batches;
        10,000 rows keep the snapshots of digitized items, full text included,
        within a few hundred MB)."""
        done = 0
        while limit is None or done < limit:
            session = self.session_factory()
            try:
                rows = session.execute(
                    select(UnionQueue.id, UnionQueue.key, UnionQueue.record, UnionQueue.snapshot,
                           UnionQueue.batch)
                    .order_by(UnionQueue.id).limit(batch_size)).all()
            finally:
                session.close()
            if not rows:
                break
            if self.written is not None:    # changed since the import: read them back
                self.written.forget((row.key, row.batch) for row in rows)
            keys, snapshots, union_ids = set(), {}, set()
            for _id, key, data, snapshot, _batch in rows:
                if key.startswith("union:"):
                    union_ids.add(key[len("union:"):])
                    continue
                keys.add(key)
                if snapshot:
                    # rows come oldest first: the last one of a key wins
                    snapshots[key] = None if data is None else _record(data)
            if not self.process(keys, snapshots, union_ids, row_ids=[r[0] for r in rows]):
                break
            done += len(rows)
        return done

    def drain_soon(self):
        """Drain the queue in a background thread (one at a time per pipeline)."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._thread = threading.Thread(target=self._drain_quietly, daemon=True,
                                            name="serepok-union-drain")
            self._thread.start()

    def _drain_quietly(self):
        try:
            self.drain()
        except Exception:
            log.exception("draining the union catalogue queue failed")

    def process_soon(self, keys, snapshots=None, union_ids=(), batch=None):
        """``process`` a commit's changes on the pipeline's background thread,
        for a caller that must not wait for the index (a self-check machine
        waiting for its answer). The commits waiting when the thread is free
        are taken together, in the order given (the last snapshot of a
        member wins): one index commit for them all, so a busy hall of
        machines never leaves the thread behind. Changes that fail stay
        queued, as after ``process``."""
        with self._soon:
            self._waiting.append((keys, snapshots, union_ids, batch))
            if self._soon_thread is None:
                self._soon_thread = threading.Thread(
                    target=self._process_waiting, daemon=True, name="serepok-union-after-commit")
                self._soon_thread.start()
            self._soon.notify_all()

    def _process_waiting(self):
        while True:
            with self._soon:
                self._soon.wait_for(lambda: self._waiting)
            time.sleep(self.settle)     # the commits of the next moment come along
            with self._soon:
                taken = list(self._waiting)
            keys, snapshots, union_ids, batches = set(), {}, set(), []
            for their_keys, their_snapshots, their_union_ids, batch in taken:
                keys.update(their_keys)
                snapshots.update(their_snapshots or {})
                union_ids.update(their_union_ids)
                batches.append(batch)
            try:
                if self.process(keys, snapshots, union_ids, batch=batches):
                    self.check_leftovers(batches[-1])
            except Exception:
                log.exception("the union catalogue could not take %d commits' changes; "
                              "they stay queued", len(taken))
            finally:
                with self._soon:
                    for _ in taken:
                        self._waiting.popleft()
                    self._soon.notify_all()

    def wait(self, timeout=None):
        """Wait for the background threads (tests, the command line, a server
        stopping): True when nothing is left for them."""
        deadline = None if timeout is None else time.monotonic() + timeout
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        with self._soon:
            done = self._soon.wait_for(
                lambda: not self._waiting,
                None if deadline is None else max(0.0, deadline - time.monotonic()))
        return done and not (thread is not None and thread.is_alive())

    def check_leftovers(self, batch, grace=60):
        """Changes queued by others more than ``grace`` seconds ago (an import
        from the command line, a crash, an index that was down) are drained in
        the background. (Younger ones are probably being applied right now by
        the commit that queued them.)"""
        import datetime
        before = utcnow() - datetime.timedelta(seconds=grace)
        session = self.session_factory()
        try:
            waiting = session.scalar(select(UnionQueue.id).where(
                UnionQueue.batch != batch, UnionQueue.queued < before).limit(1))
        finally:
            session.close()
        if waiting is not None:
            log.info("queued union catalogue changes from before: draining")
            self.drain_soon()


class _Written:
    """The index writer of ``UnionPipeline._process_in_bulk`` as
    ``update_members`` sees it, noting the ids it has written or deleted:
    ``ids`` in transactions that committed or may yet, ``undone`` those an
    attempt that rolled back had written (read back from the store once the
    transactions are done, unless a later attempt writes them again: reading
    back indexes what was committed, or deletes what never was)."""

    def __init__(self):
        self.batch, self.ids, self.attempt, self.undone = None, set(), set(), set()

    @property
    def analyse(self):
        return self.batch.analyse

    def begin(self):
        self.attempt = set()

    def undo(self):
        self.ids -= self.attempt
        self.undone |= self.attempt
        self.attempt = set()

    def _noted(self, ids):
        ids = set(ids)
        self.ids |= ids
        self.attempt |= ids

    def index_analysed(self, documents):
        documents = list(documents)
        self.batch.index_analysed(documents)
        self._noted(union_id for union_id, _document in documents)

    def delete(self, ids):
        ids = list(ids)
        self.batch.delete(ids)
        self._noted(ids)


def _record(data):
    from federation.records import Record
    return Record.from_dict(data)


# --- what one transaction changed ------------------------------------------------------

class _Pending:
    """The members one transaction touched; queued before it commits, applied after."""

    def __init__(self, txn, pipeline):
        self.pipeline = pipeline
        self.batch = uuid.uuid4().hex
        self.ils_ids, self.item_ids, self.union_ids = set(), set(), set()
        self.inserted_above = None     # records inserted in bulk: every id above this
        self.objects = {}              # repository member key -> object
        self.sessions = []             # SQL sessions joined to this transaction
        self.request = None
        self.transaction_manager = None
        self.keys = self.snapshots = None
        self.background = False        # ``in_background``
        txn.addBeforeCommitHook(self.before_commit)
        txn.addAfterCommitHook(self.after_commit)

    def add_session(self, session):
        if session not in self.sessions:
            self.sessions.append(session)

    def _writer(self):
        if self.sessions:
            return self.sessions[0]
        if self.request is not None and "dbsession_factory" in self.request.registry:
            return self.request.dbsession
        if self.pipeline is not None and self.transaction_manager is not None:
            from ils.db import tm_session
            return tm_session(self.pipeline.session_factory, self.transaction_manager)
        return None

    def before_commit(self):
        for session in list(self.sessions):
            session.flush()      # unflushed catalogue changes announce themselves now
        session = self._writer()
        ids = set(self.ils_ids)
        if session is not None and (self.item_ids or self.inserted_above is not None):
            source = CatalogueSource(session)
            if self.item_ids:
                ids |= source.record_ids_of_items(self.item_ids)
            if self.inserted_above is not None:
                ids.update(source.ids_after(self.inserted_above))
        base_url = self.pipeline.base_url if self.pipeline is not None else ""
        self.snapshots = {key: repository_record(obj, base_url)
                          for key, obj in self.objects.items()}
        if self.pipeline is not None:
            self.pipeline.sites = _sites_seen(self.objects.values(), self.pipeline.sites)
        self.keys = {ils_key(i) for i in ids} | set(self.snapshots)
        if session is None:
            if self.keys:
                log.warning("no SQL session to queue %d union catalogue changes in",
                            len(self.keys))
            return
        now = utcnow()
        rows = [{"key": key, "record": None, "snapshot": False, "batch": self.batch,
                 "queued": now} for key in sorted(self.keys - set(self.snapshots))]
        rows += [{"key": key, "snapshot": True, "batch": self.batch, "queued": now,
                  "record": None if record is None else record.to_dict()}
                 for key, record in sorted(self.snapshots.items())]
        rows += [{"key": f"union:{u}", "record": None, "snapshot": False, "batch": self.batch,
                  "queued": now} for u in sorted(self.union_ids)]
        if rows:
            insert_rows(session, UnionQueue, rows)

    def after_commit(self, success):
        if not success or self.pipeline is None or self.keys is None:
            return
        if not self.keys and not self.union_ids:
            return
        pipeline = self.pipeline
        if len(self.keys) + len(self.union_ids) > pipeline.sync_limit:
            pipeline.drain_soon()
            return
        if self.background:
            pipeline.process_soon(self.keys, self.snapshots, self.union_ids, batch=self.batch)
            return
        if pipeline.process(self.keys, self.snapshots, self.union_ids, batch=self.batch):
            pipeline.check_leftovers(self.batch)


def _sites_seen(objects, sites):
    """The sites of the repository, as seen from the objects of a transaction."""
    for obj in objects:
        node = obj
        while getattr(node, "__parent__", None) is not None:
            node = node.__parent__
        if getattr(node, "type_name", "") == "Root":
            return tuple(name for name, child in node.items()
                         if getattr(child, "type_name", "") == "Site")
    return sites


def pending_for(transaction_manager, pipeline=None):
    """The pending changes of the current transaction of ``transaction_manager``."""
    txn = transaction_manager.get()
    try:
        pending = txn.data(_PENDING)
    except KeyError:
        pending = _Pending(txn, pipeline)
        pending.transaction_manager = transaction_manager
        txn.set_data(_PENDING, pending)
        try:
            for session in txn.data(_SESSIONS):
                pending.add_session(session)
        except KeyError:
            pass
    if pending.pipeline is None and pipeline is not None:
        pending.pipeline = pipeline
    return pending


def in_background(transaction_manager):
    """Mark the current transaction of ``transaction_manager``: its changes
    reach the union catalogue on the pipeline's background thread after the
    commit, which returns without waiting for them (the SIP2 server: a
    self-check machine waits for each answer, a reader at its screen)."""
    pending_for(transaction_manager).background = True


def queue_members(request, keys):
    """Announce changed members (``ils:<id>``) the pipeline cannot see itself;
    they reach the union catalogue after ``request``'s transaction commits."""
    pending = pending_for(request.tm, request.registry.get("federation.union_pipeline"))
    pending.request = pending.request or request
    for key in keys:
        source, _, ident = key.partition(":")
        if source == ILS and ident.isdigit():
            pending.ils_ids.add(int(ident))


def queue_union_ids(request, union_ids):
    """Union records changed in the store (a split): indexed after the commit."""
    pending = pending_for(request.tm, request.registry.get("federation.union_pipeline"))
    pending.request = pending.request or request
    pending.union_ids.update(union_ids)


# --- the repository ------------------------------------------------------------------------

def _members_below(obj):
    if getattr(obj, "type_name", "") in REPOSITORY_TYPES:
        yield obj
    elif getattr(obj, "is_container", False):
        for child in obj.values():
            yield from _members_below(child)


def _transaction_manager_of(event):
    request = getattr(event, "request", None)
    if request is not None:
        return request.tm, request
    node = event.object
    while node is not None:
        jar = getattr(node, "_p_jar", None)
        if jar is not None:
            return jar.transaction_manager, None
        node = getattr(node, "__parent__", None)
    return None, None


class RepositoryWatcher:
    """Subscriber of the repository's object events."""

    def __init__(self, pipeline):
        self.pipeline = pipeline

    def __call__(self, event):
        members = list(_members_below(event.object))
        if not members:
            return
        manager, request = _transaction_manager_of(event)
        if manager is None:
            log.warning("repository change outside a transaction: not in the union catalogue")
            return
        pending = pending_for(manager, self.pipeline)
        pending.request = pending.request or request
        for obj in members:
            pending.objects[repository_key(obj.uid)] = obj


# --- the library's catalogue in SQL --------------------------------------------------------

def _watched():
    from ils.catalogue.models import BibRecord, Item, RecordIsbn
    return BibRecord, Item, RecordIsbn


def _pending_of_session(session):
    manager = session.info.get("transaction_manager")
    if manager is None:
        return None
    try:
        engine = session.get_bind()
    except Exception:
        engine = None
    pending = pending_for(manager, _PIPELINES.get(engine))
    pending.add_session(session)
    return pending


def _after_begin(session, transaction, connection):
    manager = session.info.get("transaction_manager")
    if manager is None:
        return
    txn = manager.get()
    try:
        sessions = txn.data(_SESSIONS)
    except KeyError:
        sessions = []
        txn.set_data(_SESSIONS, sessions)
    if session not in sessions:
        sessions.append(session)
        if len(sessions) == 1:
            # flush before commit, so unflushed catalogue changes are seen
            txn.addBeforeCommitHook(_flush_all, (sessions,))
    try:
        txn.data(_PENDING).add_session(session)
    except KeyError:
        pass


def _flush_all(sessions):
    for session in sessions:
        session.flush()


def _after_flush(session, flush_context):
    if "transaction_manager" not in session.info:
        return
    BibRecord, Item, RecordIsbn = _watched()
    ils_ids = set()
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, BibRecord):
            ils_ids.add(obj.id)
        elif isinstance(obj, (Item, RecordIsbn)):
            if obj.record_id is not None:
                ils_ids.add(obj.record_id)
            history = inspect(obj).attrs.record_id.history
            ils_ids.update(i for i in history.deleted or () if i is not None)
    ils_ids.discard(None)
    if ils_ids:
        _pending_of_session(session).ils_ids.update(ils_ids)


def _do_orm_execute(state):
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    session = state.session
    if "transaction_manager" not in session.info:
        return
    mapper = state.bind_mapper
    if mapper is None:
        return
    params = state.parameters
    rows = params if isinstance(params, (list, tuple)) else [params] if params else []
    _seen_write(session, mapper.local_table, rows, state.is_insert,
                getattr(state.statement, "whereclause", None), params)


def _rows_inserted(session, table, rows):
    """``ils.db.insert_rows`` listener: the catalogue rows a bulk insert adds."""
    if "transaction_manager" in session.info:
        _seen_write(session, table, rows, True)


def _seen_write(session, table, rows, is_insert, where=None, params=None):
    """Collect the catalogue records a bulk statement on ``table`` touches."""
    BibRecord, Item, RecordIsbn = _watched()
    if table not in (BibRecord.__table__, Item.__table__, RecordIsbn.__table__):
        return
    pending = _pending_of_session(session)
    if where is not None:
        # UPDATE/DELETE … WHERE: the rows it is about to touch, asked the same way
        column = table.c.id if table is BibRecord.__table__ else table.c.record_id
        single = params if isinstance(params, dict) else {}
        pending.ils_ids.update(i for i in session.connection().scalars(
            select(column).where(where), single) if i is not None)
        return
    if table is BibRecord.__table__:
        with_ids = [row["id"] for row in rows if row.get("id") is not None]
        pending.ils_ids.update(with_ids)
        if is_insert and len(with_ids) < len(rows):
            # ids come from the database: everything above the largest id now
            highest = session.connection().scalar(
                select(func.coalesce(func.max(table.c.id), 0)))
            if pending.inserted_above is None or highest < pending.inserted_above:
                pending.inserted_above = highest
        return
    for row in rows:
        if row.get("record_id") is not None:
            pending.ils_ids.add(row["record_id"])
        elif table is Item.__table__ and row.get("id") is not None:
            pending.item_ids.add(row["id"])


_installed = []


def install_session_events():
    """Listen to every SQLAlchemy session (once per process); only sessions
    joined to a transaction manager (``ils.db.tm_session``) are followed."""
    if _installed:
        return
    event.listen(Session, "after_begin", _after_begin)
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "do_orm_execute", _do_orm_execute)
    from ils.db import on_insert_rows
    on_insert_rows(_rows_inserted)
    _installed.append(True)


def register_pipeline(engine, pipeline):
    """Changes written through ``engine`` are applied by ``pipeline`` after commit."""
    _PIPELINES[engine] = pipeline


def follow_engine(settings, engine, session_factory):
    """What a process outside the portal (a command, the SIP2 server) commits
    through ``engine``, in sessions joined to a transaction manager
    (``ils.db.tm_session``), reaches the union catalogue after the commit, by
    the pipeline returned (``pipeline_from_settings``)."""
    install_session_events()
    pipeline = pipeline_from_settings(settings, session_factory)
    register_pipeline(engine, pipeline)
    return pipeline


def pipeline_from_settings(settings, session_factory, open_index=None, **options):
    """A ``UnionPipeline`` for a process without the portal's registry (a
    command, the SIP2 server) on the search index the settings name (opened
    on first use unless ``open_index`` is given). The sites: setting
    ``federation.sites``, else those the union store knows (the repository
    may be locked by the portal)."""
    if open_index is None:
        opened, lock = [], threading.Lock()

        def open_index():
            from federation.index import search_index_from_settings
            with lock:
                if not opened:
                    opened.append(search_index_from_settings(settings))
                return opened[0]
    sites = (settings.get("federation.sites") or "").split()
    if not sites:           # without the index: the process runs while it is down
        session = session_factory()
        try:
            sites = UnionCatalogue(session).known_sites()
        finally:
            session.close()
    return UnionPipeline(session_factory, open_index, sites=sites,
                         base_url=settings.get("serepok.base_url", ""),
                         sync_limit=int(settings.get("federation.sync_limit", 2000)), **options)


def includeme(config):
    from repository.interfaces import (IObjectAdded, IObjectModified, IObjectMoved,
                                       IObjectWillBeRemoved)
    pipeline = config.registry.get("federation.union_pipeline")
    if pipeline is None:
        return
    watcher = RepositoryWatcher(pipeline)
    for event_type in (IObjectAdded, IObjectModified, IObjectMoved, IObjectWillBeRemoved):
        config.add_subscriber(watcher, event_type)
    install_session_events()
    engine = config.registry.get("dbengine")
    if engine is not None:
        register_pipeline(engine, pipeline)

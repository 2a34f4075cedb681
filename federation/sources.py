"""Source adapters: each turns its own records into ``federation.records.Record``.

- ``CatalogueSource``: the library's own catalogue in SQL (``ils.catalogue``):
  bibliographic records with their items. Every other source (MARC files,
  spreadsheets of commune libraries, OAI-PMH harvests) writes there first, so
  this one adapter covers them all. Member key ``ils:<bib_records.id>``.
- ``repository_record`` / ``repository_records``: published digital items and
  audiobooks of the ZODB repository, format ``digital`` / ``audiobook``, with
  the portal page as ``url`` (so they count as available ``online``).
  Member key ``repository:<uid>``.

The repository is read through attributes every content object has
(``type_name``, ``state``, ``__parent__``), not through its classes.
"""
import logging
from functools import partial
from itertools import islice

from sqlalchemy import func, select
from pyramid.traversal import resource_path

from federation.members import (COLUMNS, HELD_STATUSES, catalogue_record, ils_key,
                                member_texts, repository_key)
from federation.merge import ILS, REPOSITORY
from federation.records import Holding, Record, normalize_isbn
from federation.workers import CHUNK, chunked, ordered_map, worker_count

__all__ = ["CatalogueSource", "Handover", "Imported", "catalogue_record", "repository_record",
           "repository_records", "REPOSITORY_TYPES", "ils_key", "repository_key",
           "HELD_STATUSES"]

log = logging.getLogger(__name__)

REPOSITORY_TYPES = {"DigitalItem": "digital", "Audiobook": "audiobook"}
PUBLISHED = "published"


# --- the library's own catalogue ------------------------------------------------

class CatalogueSource:
    """Records of ``ils.catalogue`` (``BibRecord`` with ``Item``) as ``Record``.

    ``sites``: library codes that are sites of the provincial library (their
    holdings carry ``site``). Copies withdrawn or lost do not count in
    ``items``. A record with no copies at all is held by its own library
    (``items=0``: a commune list without barcodes, an e-resource); a library
    whose copies are all withdrawn no longer holds the record, and a record
    whose every copy is withdrawn is left out (a partner deleted it).
    """

    def __init__(self, session, sites=(), written=None):
        self.db = session
        self.sites = frozenset(sites)
        # records an import in this process has just written and committed
        # (a ``Handover``): taken from there instead of read back
        self.written = written if written is not None else {}

    def records(self, ids):
        """``{member key: Record}`` of the bibliographic records with these ids
        (ids no longer in the catalogue are left out)."""
        return self._build(self.items_of(ids))

    def items_of(self, ids):
        """``items`` of the bibliographic records with these ids, in id order
        (ids no longer in the catalogue are left out)."""
        from ils.catalogue.models import BibRecord
        ids = sorted({int(i) for i in ids})
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            unknown = [i for i in chunk if i not in self.written]
            read = {}
            if unknown:
                rows = self.db.execute(self._select().where(BibRecord.id.in_(unknown))).all()
                read = {item[0][0]: item for item in self._items(rows)}
            for record_id in chunk:
                item = self.written.get(record_id) or read.get(record_id)
                if item is not None:
                    yield item

    def batches(self, size=2000):
        """Every record, in id order, as lists of ``(member key, Record)``."""
        items = self.items(size)
        while True:
            part = list(islice(items, size))
            if not part:
                return
            yield list(self._build(part).items())

    def _rows(self, size):
        """The rows of every record, in id order, ``size`` at a time."""
        from ils.catalogue.models import BibRecord
        last = 0
        while True:
            rows = self.db.execute(self._select().where(BibRecord.id > last)
                                   .order_by(BibRecord.id).limit(size)).all()
            if not rows:
                return
            last = rows[-1].id
            yield rows

    def count(self):
        from ils.catalogue.models import BibRecord
        return self.db.scalar(select(func.count()).select_from(BibRecord))

    def ids_after(self, last_id):
        """Ids of records above ``last_id`` (records a bulk insert just added)."""
        from ils.catalogue.models import BibRecord
        return list(self.db.scalars(select(BibRecord.id).where(BibRecord.id > last_id)))

    def record_ids_of_items(self, item_ids):
        from ils.catalogue.models import Item
        item_ids, found = sorted(set(item_ids)), set()
        for start in range(0, len(item_ids), 500):
            found.update(self.db.scalars(select(Item.record_id).where(
                Item.id.in_(item_ids[start:start + 500]))))
        return found

    def _select(self):
        from ils.catalogue.models import BibRecord
        return select(*(getattr(BibRecord, column) for column in COLUMNS))

    def member_answers(self, items):
        """``member_texts`` of each of ``items`` (those of ``items`` or
        ``items_of``), in order: made in the worker processes, or taken from
        what the handover made of the same items ahead (``Handover.prepare``)."""
        made = partial(member_texts, sites=self.sites)
        ahead = getattr(self.written, "prepared", None)
        if ahead is None or ahead.sites != self.sites:
            return ordered_map(made, items)
        return ahead.answers_for(items, made)

    def _build(self, items):
        """``{member key: Record}`` of ``items`` (those someone holds)."""
        found = {}
        for item in items:
            record = catalogue_record(item, self.sites)
            if record is not None:
                found[record.id] = record
        return found

    def items(self, size=2000):
        """What ``catalogue_record`` needs for every record, in id order: plain
        tuples (they may go to a worker process), read ``size`` records at a time."""
        if not self.written:
            for rows in self._rows(size):
                yield from self._items(rows)
            return
        from ils.catalogue.models import BibRecord
        last = 0
        while True:
            ids = self.db.scalars(select(BibRecord.id).where(BibRecord.id > last)
                                  .order_by(BibRecord.id).limit(size)).all()
            if not ids:
                return
            last = ids[-1]
            yield from self.items_of(ids)

    def _items(self, rows):
        """``(row values, ISBNs, copies)`` of each of ``rows``, copies as
        ``(library, status, count, smallest call number, smallest location)``."""
        from ils.catalogue.models import Item, RecordIsbn
        ids = [row.id for row in rows]
        isbns, copies = {}, {}
        for record_id, isbn in self.db.execute(
                select(RecordIsbn.record_id, RecordIsbn.isbn)
                .where(RecordIsbn.record_id.in_(ids))
                .order_by(RecordIsbn.record_id, RecordIsbn.position)):
            isbns.setdefault(record_id, []).append(isbn)
        for record_id, library, status, count, call_number, location in self.db.execute(
                select(Item.record_id, Item.library, Item.status, func.count(),
                       func.min(func.nullif(Item.call_number, "")),
                       func.min(func.nullif(Item.location, "")))
                .where(Item.record_id.in_(ids))
                .group_by(Item.record_id, Item.library, Item.status)):
            copies.setdefault(record_id, []).append(
                (library, getattr(status, "value", status), count, call_number, location))
        return [(tuple(row), isbns.get(row.id, []), copies.get(row.id)) for row in rows]


class Handover:
    """Catalogue records an import in this process has just committed under
    the union queue's ``batch``: ``{record id: item}`` (``Imported.items``),
    read from here instead of SQL, except a record another transaction has
    since queued a change for (a loan, an edit): those the users of the
    handover forget (``forget``, ``forget_changed``) before they read."""

    def __init__(self, items, batch):
        self.items, self.batch = dict(items), batch
        self.prepared = None

    def prepare(self, sites, most=60_000):
        """Have the worker processes make the members of the first ``most``
        records (``member_texts``) now, while the import commits: the union
        update that follows takes them (``CatalogueSource.member_answers``)."""
        self.prepared = _Prepared(self.items, sites, most)

    def __len__(self):
        return len(self.items)

    def __contains__(self, record_id):
        return record_id in self.items

    def get(self, record_id):
        return self.items.get(record_id)

    def forget(self, rows):
        """Forget the records of queue rows ``[(key, batch)]`` of other batches."""
        for key, batch in rows:
            source, _, ident = key.partition(":")
            if batch != self.batch and source == ILS and ident.isdigit():
                self.items.pop(int(ident), None)

    def forget_changed(self, session, upto=None):
        """``forget`` every queued row (up to the row id ``upto``) of other batches."""
        from federation.models import UnionQueue
        query = select(UnionQueue.key, UnionQueue.batch).where(UnionQueue.batch != self.batch)
        if upto is not None:
            query = query.where(UnionQueue.id <= upto)
        self.forget(session.execute(query).all())


class _Prepared:
    """``member_texts`` of a handover's records, made ahead in the worker
    processes, in record id order."""

    def __init__(self, items, sites, most):
        # the handover's own dict (it forgets records from it), not the handover:
        # no reference cycle, so all is freed as soon as the import is done with it
        self.items, self.sites = items, frozenset(sites)
        ids = sorted(items)[:most]
        self.ids = set(ids)
        self.answers = ordered_map(partial(member_texts, sites=sites),
                                   [items[i] for i in ids], ahead=_ahead_of(most))
        self.order = iter(ids)
        self.early = {}         # answers taken out of order

    def _take(self, record_id):
        """The answer made ahead for ``record_id``, or None when it was taken
        before (an attempt retried)."""
        if record_id in self.early:
            return self.early.pop(record_id)
        for found in self.order:
            answer = next(self.answers)
            if found == record_id:
                return answer
            self.early[found] = answer
        return None

    def answers_for(self, items, made, size=2000):
        """``made(item)`` for each of ``items``, in order; the answer made
        ahead for an item still handed over (not forgotten)."""
        for part in chunked(items, size):
            ours = [item[0][0] in self.ids and self.items.get(item[0][0]) is item
                    for item in part]
            others = ordered_map(made, [item for item, mine in zip(part, ours) if not mine])
            for item, mine in zip(part, ours):
                if not mine:
                    yield next(others)
                    continue
                answer = self._take(item[0][0])
                if answer is None:
                    self.ids.discard(item[0][0])
                    answer = made(item)
                yield answer


def _ahead_of(count):
    """Chunks per worker in flight to make ``count`` items without waiting."""
    return max(4, -(-count // (CHUNK * max(1, worker_count()))))


class Imported:
    """What an import creates (``MarcImporter(written=…)`` tells it), kept as
    ``CatalogueSource.items`` would read it back and no more (the ``BibRecord``
    columns a member is made of, the ISBNs, the copies grouped by library and
    status): up to ``limit`` records, each of whose copies are all new (one
    that took a copy from another record is dropped, and read back)."""

    def __init__(self, limit=250_000):
        self.limit = limit
        # record id -> (row values, ISBNs, {(library, status): [count, call number, location]})
        self.records = {}

    def __len__(self):
        return len(self.records)

    def created(self, record_id, row, isbns):
        if len(self.records) < self.limit:
            self.records[record_id] = (
                (record_id, *(row[c] for c in COLUMNS[1:])), list(isbns), {})

    def copy_created(self, item):
        found = self.records.get(item["record_id"])
        if found is None:
            return
        status = getattr(item["status"], "value", item["status"])
        group = found[2].setdefault((item["library"], status), [0, None, None])
        group[0] += 1
        for i, value in ((1, item["call_number"] or None), (2, item["location"] or None)):
            if value is not None and (group[i] is None or value < group[i]):
                group[i] = value

    def copy_moved(self, record_id):
        self.records.pop(record_id, None)

    def items(self):
        """``{record id: item}`` as ``CatalogueSource.items`` reads them."""
        return {record_id: (row, isbns, [(library, status, *group) for (library, status), group
                                         in copies.items()] if copies else None)
                for record_id, (row, isbns, copies) in self.records.items()}


# --- the repository -------------------------------------------------------------

def _lineage(obj):
    while obj is not None:
        yield obj
        obj = getattr(obj, "__parent__", None)


def _public_and_in_place(obj):
    """Published, as is everything above it, and still in the tree (not removed)."""
    for node in _lineage(obj):
        if getattr(node, "state", None) != PUBLISHED:
            return False
        parent = getattr(node, "__parent__", None)
        if parent is None:
            return getattr(node, "type_name", "") == "Root"
        if parent.get(node.__name__) is not node:
            return False
    return False


def repository_record(obj, base_url=""):
    """The ``Record`` of a digital item or audiobook readers can see, else None
    (another type, not published, below something unpublished, or removed)."""
    kind = REPOSITORY_TYPES.get(getattr(obj, "type_name", ""))
    if kind is None or not _public_and_in_place(obj):
        return None
    site, collections = None, []
    for node in list(_lineage(obj))[1:]:
        if node.type_name == "Site":
            site = node
            break
        if node.type_name == "Collection":
            collections.insert(0, node.title)
    holdings = []
    if site is not None:
        holdings.append(Holding(library=site.__name__, library_name=site.title,
                                site=site.__name__, call_number=obj.call_number or "",
                                items=0, available=0))
    key = repository_key(obj.uid)
    return Record(
        id=key, title=obj.title, authors=list(obj.creators or ()),
        subjects=list(obj.subjects or ()), publisher=obj.publisher or "", year=obj.year,
        language=obj.language or "",
        isbns=[normalize_isbn(obj.isbn) or obj.isbn] if obj.isbn else [], format=kind,
        description=obj.description or "", holdings=holdings, collections=collections,
        source=REPOSITORY, url=base_url.rstrip("/") + resource_path(obj) + "/",
        provenance=[key], full_text=repository_full_text(obj))


def repository_full_text(obj):
    """The OCR text of a digitized item's pages (searched; the source of result snippets)."""
    from repository.pages import pages_of
    return "\n\n".join(c.text for c in pages_of(obj) if c.text)


def repository_records(root, base_url=""):
    """``(member key, Record)`` of every published digital item and audiobook,
    skipping whatever lies below an unpublished collection."""
    def walk(container):
        for child in container.values():
            if getattr(child, "state", None) != PUBLISHED:
                continue
            if child.type_name in REPOSITORY_TYPES:
                record = repository_record(child, base_url)
                if record is not None:
                    yield record.id, record
            elif getattr(child, "is_container", False):
                yield from walk(child)
    yield from walk(root)

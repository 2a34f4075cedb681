"""Which source records are the same book, and the one record made of them.

Pure functions, no store: ``federation.services`` feeds them members and
writes what they return.

Match keys (``match_keys``):

- ``isbn:<ISBN-13>`` for every valid ISBN (ISBN-10s converted), followed by
  ``/<numbers>`` when the title has numbers (``Tập 2``): the volumes of a set
  share the set's ISBN;
- ``work:<folded title proper>|<first author's surname>|<year>`` when the
  record has a title and an author or a year. The title proper stops at the
  ISBD ``:``/``=``/``/``/``;`` (a commune library's spreadsheet rarely has the
  subtitle); the surname is the name before a comma, else the first word
  (Vietnamese order, "Nguyễn Văn Giàu" → "nguyen").

Clusters (``cluster``), in a fixed order so any run over the same members
gives the same answer: members sharing an ISBN are one book; a member with
no ISBN joins the first record (by member order) with its work key that has
an ISBN, else the first without; two members with *different* ISBNs are never
joined by their work key (two editions). A pair of members staff split apart
(``keep_apart``) never ends up in one cluster.

Ids (``assign_ids``): a cluster keeps the id of the union record most of its
members were in before (a split leaves the id with the members that stay);
a new cluster gets an id derived from its merge key, so a rebuild into an
empty store gives the same ids again.
"""
import hashlib
import json
import re

import orjson

from federation.analysis import tokens
from federation.records import Holding, Record, normalize_isbn

__all__ = ["match_keys", "work_key", "surname", "title_proper", "member_order", "cluster",
           "merge_key", "assign_ids", "merge", "fingerprint", "sets_of", "union_id_for",
           "ILS", "REPOSITORY"]

ILS = "ils"
REPOSITORY = "repository"
_TITLE_END = re.compile(r"\s+[:=/;]\s*|\s+[:=/;]$")
_TITLE_MAX = 200


def title_proper(title):
    """The title before the ISBD punctuation that starts the subtitle or the
    statement of responsibility."""
    return _TITLE_END.split(title or "", maxsplit=1)[0]


def surname(author):
    """The folded surname of an author as catalogued ("Trần, Văn Giàu",
    "Nguyễn Văn Giàu" → "tran"/"nguyen"; "Smith, John" → "smith")."""
    name = (author or "").split(",", 1)[0] if "," in (author or "") else (author or "")
    words = tokens(name)
    return words[0] if words else ""


def work_key(record, words=None):
    """``<folded title proper>|<surname>|<year>``, or None when the record has
    no title, or neither an author nor a year (too weak to merge on).
    ``words``: the tokens of the title proper, when the caller has them."""
    if words is None:
        words = tokens(title_proper(record.title))
    title = " ".join(words)[:_TITLE_MAX]
    if not title:
        return None
    author = surname(record.authors[0]) if record.authors else ""
    year = str(record.year) if record.year is not None else ""
    if not author and not year:
        return None
    return f"{title}|{author}|{year}"


def _isbn13(value):
    if len(value) == 13 and value.isdigit():     # as the catalogue stores them: check only
        total = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(value[:12]))
        return value if (10 - total % 10) % 10 == int(value[12]) else None
    return normalize_isbn(value)


def isbns_of(record):
    """The record's valid ISBNs as ISBN-13s, in order."""
    return list(dict.fromkeys(i for i in map(_isbn13, record.isbns) if i))


_VOLUME_WORDS = frozenset(("tap", "quyen", "phan", "vol", "volume", "part", "book", "t"))
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9,
          "x": 10, "xi": 11, "xii": 12}


def volume_numbers(title, words=None):
    """The numbers in a title ("Tập 2", "Quyển II", "Kỷ yếu 2015"), as a string:
    the volumes of a set often share the set's ISBN, their numbers tell them apart.
    ``words``: the tokens of ``title``, when the caller has them."""
    if words is None:
        words = tokens(title or "")
    numbers = []
    for i, word in enumerate(words):
        if word.isdigit():
            numbers.append(str(int(word)))
        elif word in _ROMAN and i and words[i - 1] in _VOLUME_WORDS:
            numbers.append(str(_ROMAN[word]))
    return ".".join(numbers)


def match_keys(record):
    """The keys ``record`` can be merged on, ISBNs first. An ISBN key carries
    the numbers of the title (``isbn:<ISBN-13>/2`` for "Tập 2"), so volumes
    sharing their set's ISBN stay apart."""
    words = tokens(title_proper(record.title) or "")
    numbers = volume_numbers("", words)
    suffix = f"/{numbers}" if numbers else ""
    keys = [f"isbn:{isbn}{suffix}" for isbn in isbns_of(record)]
    work = work_key(record, words)
    if work:
        keys.append(f"work:{work}")
    return keys


def member_order(key):
    """Sort key of member keys: by source, then numerically where the id is a number
    (``ils:9`` before ``ils:10``)."""
    source, _, ident = key.partition(":")
    return (source != ILS, source, (0, int(ident), "") if ident.isdigit() else (1, 0, ident))


# --- clustering ----------------------------------------------------------------

class _Clusters:
    """Union-find over member keys that refuses joins staff forbade. Most
    members stay alone: only clusters of two or more keep a set of their
    members, only members with keep-apart pairs a set of those."""

    def __init__(self, keys, apart):
        self.parent = {k: k for k in keys}
        self.members = {}               # root -> its members, once it has joined another
        self.apart = {k: set(others) for k, others in apart.items() if k in self.parent}

    def find(self, key):
        root = key
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[key] != root:
            self.parent[key], key = root, self.parent[key]
        return root

    def _members(self, root):
        return self.members.get(root) or {root}

    def can_join(self, a, b):
        ra, rb = self.find(a), self.find(b)
        if ra == rb or not self.apart:
            return True
        small, large = sorted((ra, rb), key=lambda r: len(self._members(r)))
        return self.apart.get(large, set()).isdisjoint(self._members(small))

    def join(self, a, b):
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        if not self.can_join(a, b):
            return False
        if len(self._members(ra)) < len(self._members(rb)):
            ra, rb = rb, ra
        self.parent[rb] = ra
        joined = self.members.get(ra)
        if joined is None:
            joined = self.members[ra] = {ra}
        joined |= self.members.pop(rb, None) or {rb}     # in place: a large cluster grows
        if rb in self.apart:
            self.apart.setdefault(ra, set()).update(self.apart.pop(rb))
        return True

    def groups(self, order):
        """The clusters, each in ``order``, ordered by their first member in it."""
        found = {}
        for key in order:
            found.setdefault(self.find(key), []).append(key)
        return list(found.values())


def cluster(members, keep_apart=()):
    """Group members into union records.

    ``members`` maps each member key to its match keys; ``keep_apart`` is an
    iterable of member-key pairs never to be joined. Returns the clusters as
    lists of member keys, each in ``member_order``, the list ordered by first
    member.
    """
    order = sorted(members, key=member_order)
    apart = {}
    for first, second in keep_apart:
        if first in members and second in members:
            apart.setdefault(first, set()).add(second)
            apart.setdefault(second, set()).add(first)
    clusters = _Clusters(order, apart)
    by_isbn, by_work, has_isbn = {}, {}, set()
    for key in order:
        for match in members[key]:
            if match.startswith("isbn:"):
                by_isbn.setdefault(match, []).append(key)
                has_isbn.add(key)
            elif match.startswith("work:"):
                by_work.setdefault(match, []).append(key)
    for match in sorted(by_isbn):
        first, *others = by_isbn[match]
        refused = [other for other in others if not clusters.join(first, other)]
        for other in refused:
            # kept apart from the first: join another record sharing the ISBN
            for candidate in by_isbn[match]:
                if candidate != other and clusters.join(candidate, other):
                    break
    for match in sorted(by_work):
        keys = by_work[match]
        anchors = [k for k in keys if k in has_isbn]
        loners = [k for k in keys if k not in has_isbn]
        for loner in loners:
            for target in anchors + [k for k in loners if k != loner]:
                if clusters.join(target, loner):
                    break
    # ``order`` is member order: each group comes out sorted, the groups by first member
    return clusters.groups(order)


def merge_key(keys, match):
    """The merge key of a cluster: its smallest ISBN key, else the work key of
    its first member that has one, else its first member."""
    isbns = sorted(m for k in keys for m in match.get(k, ()) if m.startswith("isbn:"))
    if isbns:
        return isbns[0]
    for key in keys:
        for m in match.get(key, ()):
            if m.startswith("work:"):
                return m
    return f"member:{keys[0]}"


def union_id_for(text):
    """A union id: 16 hex digits of a hash (stable across rebuilds)."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def assign_ids(clusters, merge_keys, previous, is_taken=lambda union_id: False,
               leaving=()):
    """Give each cluster a union id.

    ``previous`` maps member keys to the union id they had; ``merge_keys`` is
    the merge key of each cluster (same order); ``is_taken(id)`` says an id is
    used by a live record outside these clusters; ``leaving`` are members
    split off by staff (their cluster does not keep the old id on a tie).
    Returns the ids, in the order of ``clusters``.
    """
    leaving = set(leaving)
    claims = []
    for index, keys in enumerate(clusters):
        counts = {}
        for key in keys:
            old = previous.get(key)
            if old:
                counts[old] = counts.get(old, 0) + 1
        for old, count in counts.items():
            claims.append((-count, bool(leaving.intersection(keys)), index, old))
    ids = [None] * len(clusters)
    used = set()
    for _count, _leaves, index, old in sorted(claims):
        if ids[index] is None and old not in used:
            ids[index] = old
            used.add(old)
    for index, keys in enumerate(clusters):
        if ids[index] is not None:
            continue
        candidates = [merge_keys[index], f"{merge_keys[index]}\n{keys[0]}"]
        n = 0
        while True:
            candidate = union_id_for(candidates[0] if n == 0 else
                                     candidates[1] if n == 1 else f"{candidates[1]}\n{n}")
            if candidate not in used and not is_taken(candidate):
                break
            n += 1
        ids[index] = candidate
        used.add(candidate)
    return ids


# --- the merged record -------------------------------------------------------------

def _richness(record):
    return sum(bool(v) for v in (record.description, record.subjects, record.publisher,
                                 record.year, record.authors, record.isbns, record.language))


def _primary_order(pair):
    key, record = pair
    return (key.startswith(REPOSITORY + ":"), -_richness(record), member_order(key))


def merge(union_id, members, sites=()):
    """The union record of ``members`` (``[(member key, Record)]``).

    The description comes from the richest source record (the library's
    catalogue before the repository), gaps filled from the others; ISBNs,
    subjects and collections are the union; holdings are summed per library,
    the provincial library's sites first; ``url`` is the digital copy, from a
    repository member when there is one.
    """
    if len(members) == 1:
        return _alone(union_id, *members[0], sites)
    ordered = sorted(members, key=_primary_order)
    primary = ordered[0][1]
    records = [r for _k, r in ordered]

    def first(name):
        for r in records:
            value = getattr(r, name)
            if value not in (None, "", []):
                return value
        return getattr(primary, name)

    ranked = _holdings((h for r in records for h in r.holdings), sites)
    digital = next((r.url for k, r in ordered if k.startswith(REPOSITORY + ":") and r.url), "")
    # the values come from Records, normalized already
    return Record.from_dict({
        "id": union_id,
        "title": primary.title or first("title"),
        "subtitle": primary.subtitle if primary.title else first("subtitle"),
        "authors": list(primary.authors or first("authors")),
        "subjects": _union(r.subjects for r in records),
        "publisher": first("publisher"),
        "year": first("year"),
        "language": first("language"),
        "isbns": _union(r.isbns for r in records),
        "format": primary.format or first("format"),
        "description": first("description"),
        "holdings": [vars(h) for h in ranked],
        "collections": _union(r.collections for r in records),
        "source": primary.source,
        "url": digital or first("url"),
        "provenance": sorted((k for k, _r in members), key=member_order),
        "full_text": "\n\n".join(r.full_text for r in records if r.full_text),
    }, normalized=True)


def _holdings(lines, sites):
    """Holdings summed per library (copies and copies on the shelf added, gaps in
    name, site, call number and location filled from later lines), the provincial
    library's sites first in their order, then the other libraries by code."""
    holdings = {}
    for h in lines:
        held = holdings.get(h.library)
        if held is None:
            holdings[h.library] = Holding(**vars(h))
            continue
        held.items += h.items
        held.available += h.available
        for name in ("library_name", "site", "call_number", "location"):
            if not getattr(held, name):
                setattr(held, name, getattr(h, name))
    site_order = {code: i for i, code in enumerate(sites)}
    return sorted(holdings.values(), key=lambda h: (h.library not in site_order,
                                                    site_order.get(h.library, 0), h.library))


def _alone(union_id, key, record, sites):
    """``merge`` of a record that is its own union record (most are): the same
    answer, without the comparing and summing."""
    # one library's copies may come in several lines
    ranked = _holdings(record.holdings, sites)
    merged = Record.__new__(Record)
    merged.__dict__.update(record.__dict__)
    merged.__dict__.update(
        id=union_id, authors=list(record.authors), subjects=_union([record.subjects]),
        isbns=_union([record.isbns]), collections=_union([record.collections]),
        holdings=ranked, full_text=record.full_text, provenance=[key])
    return merged


def _union(lists):
    return list(dict.fromkeys(v for values in lists for v in values if v))


def _shown(record):
    data = record.to_dict(full_text=False) if isinstance(record, Record) else record
    shown = {k: v for k, v in data.items() if k not in ("holdings", "full_text")}
    shown["holdings"] = [{k: v for k, v in h.items() if k != "available"}
                         for h in data["holdings"]]
    return shown


def fingerprint(record):
    """A hash of what a harvesting partner sees of ``record`` (a Record or its
    ``to_dict()``): everything but the copies on the shelf now (a checkout
    must not look like a new record). orjson with sorted keys: the standard
    library's encoder cost a tenth of a merge (migration 0015 recomputed the
    stored fingerprints when this changed)."""
    text = orjson.dumps(_shown(record), option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    return hashlib.blake2b(text, digest_size=16).hexdigest()


def fingerprint_v1(record):
    """``fingerprint`` before migration 0015 (the standard library's JSON);
    kept for its downgrade."""
    text = json.dumps(_shown(record), sort_keys=True, ensure_ascii=False)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def sets_of(record, sites=()):
    """OAI-PMH sets of a union record: ``site:<code>`` for each site of the
    provincial library holding it (copies or a digital item), ``library:<code>``
    for each other library."""
    sites = set(sites)
    specs = []
    for holding in record.holdings:
        if holding.site or holding.library in sites:
            specs.append(f"site:{holding.site or holding.library}")
        else:
            specs.append(f"library:{holding.library}")
    return sorted(set(specs))

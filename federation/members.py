"""Members of the union catalogue made from the library's catalogue, and union
records merged from members: the work on one record that needs no database,
done in the worker processes of a rebuild or a large update
(``federation.workers``).

Kept apart from ``sources`` and ``services`` (SQLAlchemy, Pyramid) so that a
worker process imports only what it runs: a heavy import chain cost each
worker most of a second of CPU at the start of every ``serepok import marc``.
"""
import logging

from federation import merge as merging
from federation.merge import ILS, REPOSITORY
from federation.records import Holding, Record
from ils import jsontext

__all__ = ["catalogue_record", "member_texts", "merged_texts", "ils_key", "repository_key",
           "HELD_STATUSES", "NOT_HELD", "WITHDRAWN", "COLUMNS"]

log = logging.getLogger(__name__)

# A copy withdrawn or lost is no longer held; every other status is a copy
# the library has (on the shelf only when "available"). A library whose copies
# are all lost still lists the record; one whose copies are all withdrawn does not.
NOT_HELD = ("withdrawn", "lost")
WITHDRAWN = "withdrawn"
HELD_STATUSES = ("available", "on_loan", "on_hold_shelf", "in_transit", "in_processing",
                 "not_for_loan", "damaged", "missing")
# the BibRecord columns a member is made of (``CatalogueSource.items``)
COLUMNS = ("id", "source", "library", "format", "title", "authors", "publisher", "year",
           "language", "subjects", "marc", "marc_format")


def ils_key(record_id):
    return f"{ILS}:{int(record_id)}"


def repository_key(uid):
    return f"{REPOSITORY}:{uid}"


# --- the library's own catalogue ------------------------------------------------

def _marc_fields(marc, tags):
    """``{tag: [(indicators, [(code, value)])]}`` for the data fields ``tags``
    of a UTF-8 ISO 2709 record, read from its directory without decoding the
    rest (the importer stores records that way)."""
    base = int(marc[12:17])
    directory = marc[24:base - 1]
    found = {}
    for i in range(0, len(directory) - 11, 12):
        tag = directory[i:i + 3].decode("ascii", "replace")
        if tag not in tags:
            continue
        length, start = int(directory[i + 3:i + 7]), int(directory[i + 7:i + 12])
        data = marc[base + start:base + start + length].rstrip(b"\x1e").decode("utf-8", "replace")
        indicators, *subfields = data.split("\x1f")
        found.setdefault(tag, []).append(
            (indicators, [(s[:1], s[1:].strip()) for s in subfields if s]))
    return found


def _extras(marc, marc_format):
    """The summary (520 $a) and the electronic location (856 $u) of a stored record;
    empty for a record whose stored MARC is missing or damaged (it still reaches the
    union catalogue with its key fields: one bad record must not hold back the rest)."""
    from ils.catalogue.marc import RecordError
    try:
        return _read_extras(marc or b"", marc_format)
    # SyntaxError: lxml's XMLSyntaxError; StopIteration: XML holding no record
    except (ValueError, IndexError, TypeError, UnicodeError, SyntaxError, StopIteration,
            RecordError):
        log.warning("stored MARC record unreadable (%d bytes, %s): no summary or link",
                    len(marc or b""), marc_format)
        return "", ""


def _read_extras(marc, marc_format):
    if marc_format == "iso2709":
        if b"520" not in marc[:int(marc[12:17])] and b"856" not in marc[:int(marc[12:17])]:
            return "", ""
        fields = _marc_fields(marc, ("520", "856"))
    else:
        from ils.catalogue.marcxml import from_marcxml
        fields = {}
        for field in from_marcxml(marc).fields:
            if not field.control and field.tag in ("520", "856"):
                fields.setdefault(field.tag, []).append((field.indicators, field.subfields))
    summary = " ".join(v for _ind, subs in fields.get("520", ()) for code, v in subs
                       if code == "a" and v)
    url = ""
    for indicators, subs in fields.get("856", ()):
        # second indicator 2 is a related resource (a review, a table of contents)
        if indicators[1:2] in ("0", "1", " ", ""):
            url = next((v for code, v in subs if code == "u" and v), "")
            if url:
                break
    return summary, url


def catalogue_record(item, sites=frozenset()):
    """The ``Record`` of one of ``CatalogueSource.items``, or None when no one
    holds it (every copy withdrawn). Needs no database: may run in a worker."""
    (record_id, source, library, format_, title, authors, publisher, year, language,
     subjects, marc, marc_format), isbns, copies = item
    if copies is None:          # no copies recorded: its library holds it
        holdings = {library: Holding(library=library, site=library if library in sites else "",
                                     items=0, available=0)}
    else:
        holdings = {}
        for held_by, status, count, call_number, location in copies:
            if status == WITHDRAWN:
                continue
            held = holdings.setdefault(held_by, Holding(
                library=held_by, site=held_by if held_by in sites else "", items=0,
                available=0))
            if status not in NOT_HELD:
                held.items += count
            if status == "available":
                held.available += count
            # the smallest call number and location of the library's copies, whatever
            # their status: the same answer whichever copy is out
            if call_number and (not held.call_number or call_number < held.call_number):
                held.call_number = call_number
            if location and (not held.location or location < held.location):
                held.location = location
        if not holdings:        # every copy withdrawn: no one holds it
            return None
    description, url = _extras(marc, marc_format)
    key = ils_key(record_id)
    return Record(
        id=key, title=title, authors=authors or [], subjects=subjects or [],
        publisher=publisher, year=year, language=language, isbns=isbns, format=format_,
        description=description, holdings=sorted(holdings.values(), key=lambda h: h.library),
        source=source if ":" in source else f"{ILS}:{source}", url=url, provenance=[key])


# --- members and union records as text ---------------------------------------------

def _dict(record):
    # members keep their full text (a digitized item's OCR text): merging rebuilds
    # the union record, whose index document searches it
    return record.to_dict()


def _stored(data):
    """A Record read back from the store (normalized when it was written)."""
    return Record.from_dict(data, normalized=True)


def member_texts(item, sites=frozenset()):
    """A catalogue record as a member, made in a worker process (a rebuild):
    ``item`` one of ``CatalogueSource.items``; returns ``(member key, JSON
    text, match keys)``, or None when no one holds the record."""
    record = catalogue_record(item, sites)
    if record is None:
        return None
    return record.id, jsontext.dumps(_dict(record)), merging.match_keys(record)


def merged_texts(item, sites=(), analyse=None):
    """The union record of one cluster, made in a worker process (a rebuild:
    ``federation.workers``). ``item``: ``(union id, [(member key, member JSON
    text)])``. Returns strings, cheap to send back: the union record's JSON
    text, the fingerprint, the OAI sets, and, with ``analyse`` (the index's
    ``(record, its JSON text without the full text) → document``), the
    record's index document."""
    union_id, members = item
    record = merging.merge(
        union_id, [(key, _stored(jsontext.loads(text))) for key, text in members], sites)
    data = record.to_dict(full_text=False)
    shown = jsontext.dumps(data)
    # to_dict puts the full text last: the whole record's text is this one's, plus it
    text = f'{shown[:-1]},"full_text":{jsontext.dumps(record.full_text)}}}'
    document = analyse(record, shown) if analyse is not None else None
    return text, merging.fingerprint(data), merging.sets_of(record, sites), document

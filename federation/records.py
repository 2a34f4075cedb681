"""The union catalogue's value types: one normalized record, a search query,
its result, and the error a bad query gets.

Every source (the library's own catalogue, the repository, MARC files,
spreadsheets of commune libraries, OAI-PMH partners) produces ``Record``;
every search backend (embedded, Solr) takes ``SearchQuery`` and answers
``SearchResult``. They are plain data: no backend types leak through them.
"""
import re
from dataclasses import dataclass, field, fields

from translationstring import TranslationStringFactory   # what pyramid.i18n gives, lighter

from federation.analysis import nfc

_ = TranslationStringFactory("serepok")

__all__ = [
    "Holding", "Record", "SearchQuery", "Hit", "FacetValue", "SearchResult", "Suggestion",
    "QueryError", "FACET_FIELDS", "FILTER_FIELDS", "SORTS", "YEAR_RANGES", "MAX_ROWS",
    "MAX_WINDOW", "normalize_isbn", "isbn_forms",
]

# Facets a result can count, in the order the search page shows them.
# ``library``: every library (or site) holding a copy; ``available``: every
# library where a copy is on the shelf now, plus ``online`` for a record with a
# digital link; ``year``: the labels of YEAR_RANGES.
FACET_FIELDS = ("library", "format", "language", "year", "subject", "author",
                "collection", "available")
FILTER_FIELDS = FACET_FIELDS
SORTS = ("relevance", "newest", "oldest", "title", "author")
# Periods of Vietnamese publishing: independence (1945), reunification
# (1975), Đổi Mới (1986). Labels are what ``year`` facets and filters use.
YEAR_RANGES = (
    ("-1944", None, 1944),
    ("1945-1974", 1945, 1974),
    ("1975-1985", 1975, 1985),
    ("1986-1999", 1986, 1999),
    ("2000-2009", 2000, 2009),
    ("2010-2019", 2010, 2019),
    ("2020-", 2020, None),
)
MAX_ROWS = 100        # one page holds at most this many hits
MAX_WINDOW = 10_000   # start + rows never passes this (deep paging is a crawler's game)
ONLINE = "online"     # the ``available`` value of a record with a digital link


@dataclass
class Holding:
    """Copies of a record held by one library (a site of the provincial
    library or a commune/ward library)."""
    library: str                 # stable code: "bmt", "tuy-hoa", "xa-ea-kao"
    library_name: str = ""       # display name: "Thư viện xã Ea Kao"
    site: str = ""               # the site of the provincial library, if it is one
    call_number: str = ""
    location: str = ""
    items: int = 1               # copies held
    available: int = 0           # copies on the shelf now


@dataclass
class Record:
    """One bibliographic record of the union catalogue, normalized.

    ``id`` is stable across harvests (the merge step owns it). ``authors`` are
    as catalogued ("Nguyễn Du", "Trần, Văn Giàu"); ``isbns`` may be written
    with or without hyphens, ISBN-10 or ISBN-13; ``language`` is an ISO 639
    code ("vie", "eng", "ede" for Ê Đê); ``format`` one of "book", "ebook",
    "digital", "audiobook", "serial", "map", "video" or another short code.
    """
    id: str
    title: str
    subtitle: str = ""
    authors: list = field(default_factory=list)
    subjects: list = field(default_factory=list)
    publisher: str = ""
    year: int | None = None
    language: str = ""
    isbns: list = field(default_factory=list)
    format: str = "book"
    description: str = ""
    holdings: list = field(default_factory=list)     # [Holding]
    collections: list = field(default_factory=list)  # collection names or codes
    source: str = ""             # where it came from: "ils:bmt", "repository", "oai:..."
    url: str = ""                # the digital copy or e-resource, when there is one
    full_text: str = ""          # searched, never stored in the index
    # The source records merged into this one: "ils:<bib_record id>",
    # "repository:<uid>" (the union catalogue's member keys).
    provenance: list = field(default_factory=list)

    def __post_init__(self):
        values = self.__dict__
        for name in ("id", "title", "subtitle", "publisher", "language", "format",
                     "description", "source", "url", "full_text"):
            values[name] = _clean_text(values[name])
        for name in ("authors", "subjects", "isbns", "collections", "provenance"):
            values[name] = [_clean_text(v) for v in values[name] or () if v]
        self.holdings = [h if isinstance(h, Holding) else Holding(**h)
                         for h in self.holdings or ()]
        if self.year is not None:
            self.year = int(self.year)

    @property
    def available_at(self):
        """Libraries with a copy on the shelf now, and ``online`` for a digital link."""
        places = [h.library for h in self.holdings if h.available > 0]
        if self.url:
            places.append(ONLINE)
        return list(dict.fromkeys(places))

    def to_dict(self, full_text=True):
        # by hand: dataclasses.asdict deep-copies, and rebuilding the union
        # catalogue calls this for every record (measured 3x slower)
        data = {name: getattr(self, name) for name in _SCALARS}
        for name in _LISTS:
            data[name] = list(getattr(self, name))
        data["holdings"] = [dict(vars(h)) for h in self.holdings]
        if full_text:
            data["full_text"] = self.full_text
        return data

    @classmethod
    def from_dict(cls, data, normalized=False):
        """The record of ``to_dict``'s ``data``. ``normalized=True`` trusts the
        values to be as ``Record`` left them (read back from our own store) and
        skips normalizing them again."""
        if not normalized:
            return cls(**{k: v for k, v in data.items() if k in _FIELDS})
        record = cls.__new__(cls)
        values = record.__dict__
        for name in _SCALARS:
            values[name] = data.get(name, _DEFAULTS[name])
        for name in _LISTS:
            values[name] = list(data.get(name) or ())
        values["holdings"] = [Holding(**h) for h in data.get("holdings") or ()]
        values["full_text"] = data.get("full_text") or ""
        return record


def _clean_text(value):
    """NFC without NUL characters (a record is built for every source record
    of a rebuild: ASCII, the common case, is let through at once)."""
    if not value:
        return ""
    if not value.isascii():
        value = nfc(value)
    return value.replace("\x00", "") if "\x00" in value else value


_FIELDS = frozenset(f.name for f in fields(Record))
_LISTS = ("authors", "subjects", "isbns", "collections", "provenance")
_SCALARS = tuple(f.name for f in fields(Record)
                 if f.name not in _LISTS and f.name not in ("holdings", "full_text"))
_DEFAULTS = {f.name: f.default for f in fields(Record) if f.name in _SCALARS}


@dataclass
class SearchQuery:
    """What a reader asked for.

    ``text`` uses the small syntax of ``docs/search-index.md``: words (all
    must match, with or without diacritics), ``"a phrase"``, and
    ``title:``, ``author:``, ``subject:``, ``isbn:`` before a word or a
    phrase. ``filters`` maps a facet field to the values wanted: any of the
    values of one field, all of the fields. ``year_from``/``year_to`` bound
    the year (inclusive). ``facets`` names the facets to count.
    """
    text: str = ""
    filters: dict = field(default_factory=dict)
    year_from: int | None = None
    year_to: int | None = None
    sort: str = "relevance"
    start: int = 0
    rows: int = 20
    facets: tuple = FACET_FIELDS
    facet_limit: int = 20


@dataclass
class Hit:
    id: str
    score: float
    record: Record
    # field name -> text with matched words wrapped in <mark>…</mark>
    # (the rest HTML-escaped), for "title" and "description" when they match.
    highlights: dict = field(default_factory=dict)


@dataclass
class FacetValue:
    value: str
    count: int


@dataclass
class SearchResult:
    total: int
    hits: list                   # [Hit]
    facets: dict                 # field -> [FacetValue], by count desc then value
    start: int = 0
    rows: int = 20
    # Facets whose counts were estimated (a backend may sample a facet with
    # many values when very many records match); the page shows them as "≈".
    approximate_facets: tuple = ()

    @property
    def ids(self):
        return [hit.id for hit in self.hits]

    def facet(self, name):
        """``{value: count}`` of one facet."""
        return {fv.value: fv.count for fv in self.facets.get(name, ())}


@dataclass
class Suggestion:
    text: str                    # what to put in the search box
    count: int                   # records it would find (approximately)


class QueryError(ValueError):
    """A query the index cannot answer; the message is for the reader.

    ``message`` is a TranslationString (English msgid) for the portal to
    localize; ``str(error)`` gives Vietnamese first, then English.
    """

    def __init__(self, message, vietnamese, **mapping):
        self.message = _(message, mapping=mapping)
        self.english = message.format(**mapping) if mapping else message
        self.vietnamese = vietnamese.format(**mapping) if mapping else vietnamese
        super().__init__(f"{self.vietnamese} / {self.english}")


# --- ISBN ------------------------------------------------------------------

_ISBN_CHARS = re.compile(r"[0-9Xx\-\u2010\u2011\u2012\u2013 ]+")


def _isbn10_ok(digits):
    total = sum((10 - i) * (10 if c in "Xx" else int(c)) for i, c in enumerate(digits))
    return total % 11 == 0


def _isbn13_check(first12):
    total = sum(map(int, first12[0::2])) + 3 * sum(map(int, first12[1::2]))
    return str((10 - total % 10) % 10)


def normalize_isbn(text):
    """Return the ISBN-13 of ``text`` (ISBN-10 or -13, hyphens or spaces
    allowed), or None when it is no valid ISBN. ``"604-1-12345-X"`` style
    ISBN-10s are converted (978 prefix, new check digit)."""
    if not text or not _ISBN_CHARS.fullmatch(text.strip()):
        return None
    digits = re.sub(r"[^0-9Xx]", "", text)
    if len(digits) == 10 and digits[:9].isdigit() and _isbn10_ok(digits):
        body = "978" + digits[:9]
        return body + _isbn13_check(body)
    if len(digits) == 13 and digits.isdigit() and _isbn13_check(digits[:12]) == digits[12]:
        return digits
    return None


def isbn_forms(values):
    """The ISBN-13 of each valid ISBN in ``values``, plus the digits as
    written (so an invalid but catalogued number still finds its record)."""
    forms = []
    for value in values:
        if value and len(value) == 13 and value.isdigit():
            # stored as ISBN-13 already: its ISBN-13 (when valid) is the digits as written
            forms.append(value)
            continue
        isbn = normalize_isbn(value)
        if isbn:
            forms.append(isbn)
        raw = re.sub(r"[^0-9Xx]", "", value or "").lower()
        if len(raw) >= 8:
            forms.append(raw)
    return list(dict.fromkeys(forms))

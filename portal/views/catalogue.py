"""The union catalogue for readers: one search box over every library, a page per record.

``/search`` keeps the whole search in its address (``q``, one parameter per
facet field, ``year_from``/``year_to``, ``sort``, ``page``), so a search can be
shared, bookmarked and walked back with the browser's Back button. Every facet
value is a link that adds or removes its filter. ``/record/{id}`` shows one
union record: holdings per library with availability, the digital copy, a QR
code back to the page, citations, and for staff the MARC of its sources.

The index is reached only through ``ISearchIndex``; bad page parameters come
back from it as ``QueryError`` and are shown to the reader in both languages.
"""
import io
import math
import re
from urllib.parse import urlencode, urlsplit

from pyramid.httpexceptions import HTTPNotFound
from pyramid.i18n import TranslationStringFactory
from pyramid.response import Response
from pyramid.view import view_config

from federation.analysis import fold, sort_key
from federation.interfaces import ISearchIndex
from federation.records import (FILTER_FIELDS, MAX_WINDOW, ONLINE, SORTS, YEAR_RANGES,
                                FacetValue, QueryError, SearchQuery)
from repository.security import Permission

from ..i18n import translate
from ..ratelimit import IRateLimiter
from .citations import apa, bibtex, ris
from .errors import render_error

_ = TranslationStringFactory("serepok")

PAGE_SIZE = 20
MAX_QUERY_CHARS = 500       # the index cuts here too; the page never echoes more
MAX_VALUE_CHARS = 200       # one filter value
MAX_VALUES = 10             # values of one filter field
FACET_SHOWN = 6             # values shown before "more"
SHOWN_SORTS = ("relevance", "newest", "title")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_YEAR = re.compile(r"-?[0-9]{1,4}")

FACET_TITLES = {
    "library": _("Library"), "format": _("Format"), "language": _("Language"),
    "year": _("Year"), "subject": _("Subjects"), "author": _("Authors"),
    "collection": _("Collection"), "available": _("Available now"),
}
SORT_TITLES = {"relevance": _("relevance"), "newest": _("newest"), "oldest": _("oldest"),
               "title": _("title"), "author": _("author")}
FORMAT_TITLES = {
    "book": _("Book"), "ebook": _("E-book"), "digital": _("Digital item"),
    "audiobook": _("Audiobook"), "serial": _("Periodical"), "map": _("Map"),
    "video": _("Video"), "music": _("Music"), "manuscript": _("Manuscript"),
}
LANGUAGE_TITLES = {
    "vie": _("Vietnamese"), "eng": _("English"), "fre": _("French"), "fra": _("French"),
    "chi": _("Chinese"), "zho": _("Chinese"), "rus": _("Russian"), "ger": _("German"),
    "deu": _("German"), "jpn": _("Japanese"), "kor": _("Korean"), "khm": _("Khmer"),
    "lao": _("Lao"), "ede": _("Ede"), "jra": _("Jarai"), "mng": _("Mnong"),
}


def _year_title(label):
    low, high = next((lo, hi) for name, lo, hi in YEAR_RANGES if name == label)
    if low is None:
        return _("before ${year}", mapping={"year": high + 1})
    if high is None:
        return _("${year} and later", mapping={"year": low})
    return f"{low}–{high}"


def clean(value, limit):
    """Reader text made safe to pass on: bounded, no control characters, no lone
    surrogates (a badly encoded address), surrounding space trimmed."""
    value = _CONTROL.sub(" ", str(value or "")[:limit])
    return value.encode("utf-8", "replace").decode("utf-8").strip()


def safe_link(url):
    """``url`` if it is a web address (or a path of this portal), else "": a harvested
    record must not put a ``javascript:`` link on our pages."""
    url = (url or "").strip()
    if url.startswith("/") and not url.startswith("//"):
        return url
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.netloc else ""


def client_key(request):
    return f"ip:{request.client_addr or 'unknown'}"


def error_text(request, error):
    """The message of a ``QueryError`` in the reader's language."""
    return error.english if request.locale_name == "en" else error.vietnamese


class ReaderSearch:
    """A search as the address states it: text, filters, year bounds, sort.

    Reading never fails; ``query`` raises ``QueryError`` for a year that is not
    a number, and the index raises it for anything else a page cannot offer.
    """

    def __init__(self, params):
        self.text = clean(params.get("q", ""), MAX_QUERY_CHARS)
        self.filters = {}
        for name in FILTER_FIELDS:
            values = [clean(v, MAX_VALUE_CHARS) for v in params.getall(name)]
            values = list(dict.fromkeys(v for v in values if v))[:MAX_VALUES]
            if values:
                self.filters[name] = values
        self.year_from = clean(params.get("year_from", ""), 10)
        self.year_to = clean(params.get("year_to", ""), 10)
        self.sort = clean(params.get("sort", ""), 20) or "relevance"

    @property
    def empty(self):
        return not (self.text or self.filters or self.year_from or self.year_to)

    def year(self, raw):
        if not raw:
            return None
        if not _YEAR.fullmatch(raw):
            raise QueryError("A year must be a whole number.",
                             "Năm phải là một số nguyên.")
        return int(raw)

    def query(self, start=0, rows=PAGE_SIZE, facets=FILTER_FIELDS):
        return SearchQuery(text=self.text, filters=dict(self.filters),
                           year_from=self.year(self.year_from), year_to=self.year(self.year_to),
                           sort=self.sort, start=start, rows=rows, facets=tuple(facets))

    def params(self, **changes):
        """The address parameters, in a stable order, with ``changes`` applied
        (``filters`` replaces all filters; a value of None drops a parameter)."""
        state = {"q": self.text, "filters": self.filters, "year_from": self.year_from,
                 "year_to": self.year_to, "sort": "" if self.sort == "relevance" else self.sort,
                 "page": ""}
        state.update(changes)
        pairs = [("q", state["q"])] if state["q"] else []
        for name in FILTER_FIELDS:
            pairs += [(name, v) for v in (state["filters"] or {}).get(name, ())]
        for name in ("year_from", "year_to", "sort", "page"):
            if state[name] not in (None, ""):
                pairs.append((name, str(state[name])))
        return pairs


class SearchPage:
    """What the search template needs: links that change one thing of the search."""

    def __init__(self, request, search, page):
        self.request, self.search, self.page = request, search, page

    def url(self, **changes):
        pairs = self.search.params(**changes)
        return self.request.route_url("catalogue_search") + ("?" + urlencode(pairs)
                                                             if pairs else "")

    def selected(self, name, value):
        return value in self.search.filters.get(name, ())

    def any_selected(self, name, values):
        return any(self.selected(name, fv.value) for fv in values)

    def facet_values(self, name, values):
        """The values a facet offers: the counted ones, plus each value chosen
        that the counts left out (count unknown), so it can be unticked; the
        ``available`` facet starts with "anywhere" (``*``)."""
        shown = list(values)
        known = {fv.value for fv in shown}
        if name == "available" and "*" not in known:
            shown.insert(0, FacetValue("*", None))
            known.add("*")
        shown += [FacetValue(value, None) for value in self.search.filters.get(name, ())
                  if value not in known]
        return shown

    def toggle_url(self, name, value):
        """Add this filter value, or remove it when it is already chosen."""
        filters = {k: list(v) for k, v in self.search.filters.items()}
        values = filters.setdefault(name, [])
        if value in values:
            values.remove(value)
        else:
            values.append(value)
        return self.url(filters=filters)

    def years_cleared_url(self):
        filters = {k: v for k, v in self.search.filters.items() if k != "year"}
        return self.url(filters=filters, year_from="", year_to="")

    def clear_url(self):
        return self.url(filters={}, year_from="", year_to="")

    def page_url(self, page):
        return self.url(page=page if page > 1 else "")

    def sort_url(self, sort):
        return self.url(sort="" if sort == "relevance" else sort)

    def hidden_inputs(self, skip=()):
        """(name, value) of the current search for a form that changes the rest."""
        return [(k, v) for k, v in self.search.params() if k not in skip]


def directory_names(request):
    """Code → name of the commune and ward libraries, from their directory (when the
    portal includes it)."""
    try:
        from ils.libraries.services import ILibraryDirectory
        directory = request.find_service(ILibraryDirectory)
    except (ImportError, LookupError):
        return {}
    return directory.names()


class Labels:
    """Names readers understand for the codes the index keeps."""

    def __init__(self, request, records=()):
        self.request = request
        self.libraries = {}
        for site in request.root.sites():
            short = site.title.split(" — ")[-1]
            self.libraries[site.__name__] = short[:1].upper() + short[1:]
        for code, name in directory_names(request).items():
            self.libraries.setdefault(code, name)
        for record in records:
            for holding in record.holdings:
                if holding.library_name:
                    self.libraries.setdefault(holding.library, holding.library_name)

    def t(self, message):
        return translate(self.request, message)

    def number(self, n):
        """12.345 in Vietnamese, 12,345 in English."""
        text = f"{int(n):,}"
        return text if self.request.locale_name == "en" else text.replace(",", ".")

    def library(self, code):
        if code == "*":
            return self.t(_("Anywhere"))
        if code == ONLINE:
            return self.t(_("Online"))
        return self.libraries.get(code, code)

    def shelves(self, record):
        """Names of the libraries with a copy of ``record`` on the shelf now."""
        return [self.library(code) for code in record.available_at if code != ONLINE]

    def format(self, code):
        return self.t(FORMAT_TITLES[code]) if code in FORMAT_TITLES else code

    def language(self, code):
        return self.t(LANGUAGE_TITLES[code]) if code in LANGUAGE_TITLES else code

    def value(self, field, value):
        if field in ("library", "available"):
            return self.library(value)
        if field == "format":
            return self.format(value)
        if field == "language":
            return self.language(value)
        if field == "year" and any(value == name for name, _lo, _hi in YEAR_RANGES):
            return self.t(_year_title(value))
        return value

    def facet(self, field):
        return self.t(FACET_TITLES[field])

    def sort(self, name):
        return self.t(SORT_TITLES.get(name, name))


def online_link(record, labels):
    """(label, address) of the digital copy or e-resource, or None."""
    url = safe_link(record.url)
    if not url:
        return None
    if record.format == "audiobook":
        return labels.t(_("Listen")), url
    if record.format == "digital":
        return labels.t(_("Read online")), url
    return labels.t(_("Open the online copy")), url


def refuse_if_too_many(request, key_prefix=""):
    """A 429 page when this address has searched too often, else None."""
    limiter = request.find_service(IRateLimiter)
    key = key_prefix + client_key(request)
    if limiter.hit("search", key):
        return None
    seconds = limiter.retry_after("search", key)
    response = render_error(request, 429, _("Too many searches"),
                            _("Too many requests. Please wait ${n} seconds and try again.",
                              mapping={"n": seconds}))
    response.headers["Retry-After"] = str(seconds)
    return response


@view_config(route_name="catalogue_search", renderer="catalogue_search.jinja2",
             request_method="GET")
def search_view(request):
    refused = refuse_if_too_many(request)
    if refused is not None:
        return refused
    search = ReaderSearch(request.GET)
    raw_page = request.GET.get("page", "").strip()
    page = int(raw_page) if raw_page.isdigit() and 0 < len(raw_page) <= 9 else 1
    page = max(1, page)
    view = SearchPage(request, search, page)
    result, error = None, None
    try:
        query = search.query(start=(page - 1) * PAGE_SIZE)
        result = request.find_service(ISearchIndex).search(query)
    except QueryError as exc:
        error = exc
        request.response.status = 400
    labels = Labels(request, [hit.record for hit in result.hits] if result else ())
    pages = 1
    if result is not None:
        pages = max(1, min(math.ceil(result.total / PAGE_SIZE), MAX_WINDOW // PAGE_SIZE))
    return {
        "search": search, "view": view, "result": result, "error": error,
        "error_text": error_text(request, error) if error else "",
        "error_other": (error.vietnamese if request.locale_name == "en" else error.english)
        if error else "",
        "labels": labels, "page": page, "pages": pages, "page_size": PAGE_SIZE,
        "sorts": SHOWN_SORTS if search.sort in SHOWN_SORTS else SHOWN_SORTS + (search.sort,),
        "known_sorts": SORTS, "online_link": online_link,
        "facet_shown": FACET_SHOWN,
    }


@view_config(route_name="catalogue_suggest", renderer="json", request_method="GET")
def suggest_view(request):
    """OpenSearch suggestions: ``["prefix", ["completion", ...]]``."""
    if refuse_if_too_many(request, "suggest:") is not None:
        request.response.status = 429
        return [request.GET.get("q", "")[:100], []]
    prefix = clean(request.GET.get("q", ""), 100)
    found = request.find_service(ISearchIndex).suggest(prefix, limit=8) if prefix else []
    request.response.content_type = "application/x-suggestions+json"
    return [prefix, [s.text for s in found]]


def find_record(request):
    """The union record of the address, or a 404."""
    record_id = request.matchdict["id"]
    record = None
    if 0 < len(record_id) <= 200:
        record = request.find_service(ISearchIndex).get(clean(record_id, 200))
    if record is None:
        raise HTTPNotFound()
    return record


def is_staff(request):
    """Staff of any site (the MARC view is for cataloguers, wherever they work)."""
    return request.identity is not None and any(
        request.has_permission(str(Permission.STAFF), site) for site in request.root.sites())


def marc_lines(marc):
    """The fields of a MARC record as MARCMaker text lines (what pymarc prints), taken
    apart for display: ``[(tag, indicators, [(subfield code, value)])]``; a control
    field has no indicators and one part without a code. Takes a ``pymarc.Record``
    or the catalogue's own ``MarcRecord``."""
    lines = [("LDR", "", [("", str(marc.leader))])]
    for f in marc.fields:
        control = getattr(f, "control", None)
        if control is None:
            control = f.is_control_field()
        if control:
            data = getattr(f, "data", None)
            data = getattr(f, "value", "") if data is None else data
            lines.append((f.tag, "", [("", (data or "").replace(" ", "\\"))]))
            continue
        indicators = "".join(f.indicators) if not isinstance(f.indicators, str) else f.indicators
        subfields = [(sf[0], sf[1]) if isinstance(sf, tuple) else (sf.code, sf.value)
                     for sf in f.subfields]
        lines.append((f.tag, indicators.replace(" ", "\\"), subfields))
    return lines


def source_marc(request, record):
    """[(label, MARC lines)] of the catalogue records the union record was made of."""
    from ils.catalogue.services import ICatalogueService
    catalogue = request.find_service(ICatalogueService)
    shown = []
    for entry in getattr(record, "provenance", None) or ():
        kind, _sep, key = str(entry).partition(":")
        if kind != "ils":
            continue
        bib = catalogue.get(key)
        if bib is None:
            continue
        try:
            lines = marc_lines(bib.pymarc())
        except Exception:       # a record pymarc cannot read: our own reader's view of it
            lines = marc_lines(bib.marc_record())
        shown.append((f"{bib.source} · {bib.control_number or bib.id}", lines))
    return shown


def holdings_in_order(request, record, labels):
    """Sites of the provincial library first (in their order), then the others by name."""
    sites = [s.__name__ for s in request.root.sites()]

    def order(holding):
        if holding.library in sites:
            return (0, sites.index(holding.library), "")
        return (1, 0, sort_key(labels.library(holding.library)))
    return sorted(record.holdings, key=order)


def record_url(request, record):
    return request.route_url("catalogue_record", id=record.id)


@view_config(route_name="catalogue_record", renderer="catalogue_record.jinja2",
             request_method="GET")
def record_view(request):
    record = find_record(request)
    labels = Labels(request, [record])
    staff = is_staff(request)
    return {
        "record": record, "labels": labels, "staff": staff,
        "marc": source_marc(request, record) if staff else [],
        "holdings": holdings_in_order(request, record, labels),
        "online": online_link(record, labels),
        "citation": apa(record, record_url(request, record)),
        "record_url": record_url(request, record),
        "search_url": request.route_url("catalogue_search"),
    }


CITATION_FORMATS = {
    "ris": ("application/x-research-info-systems", ris),
    "bib": ("application/x-bibtex", bibtex),
}


@view_config(route_name="catalogue_cite", request_method="GET")
def cite_view(request):
    fmt = request.matchdict["fmt"]
    if fmt not in CITATION_FORMATS:
        raise HTTPNotFound()
    record = find_record(request)
    content_type, writer = CITATION_FORMATS[fmt]
    response = Response(writer(record, record_url(request, record)).encode("utf-8"),
                        content_type=content_type, charset="utf-8")
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", fold(record.id)).strip("-") or "record"
    response.content_disposition = f'attachment; filename="{name}.{fmt}"'
    return response


@view_config(route_name="catalogue_qr", request_method="GET")
def qr_view(request):
    """A QR code (PNG) of the record's address, to print on shelf labels and posters."""
    import segno
    record = find_record(request)
    out = io.BytesIO()
    segno.make(record_url(request, record), error="m").save(out, kind="png", scale=6,
                                                           border=2)
    response = Response(out.getvalue(), content_type="image/png")
    response.cache_control.public = True
    response.cache_control.max_age = 24 * 3600
    return response


@view_config(route_name="opensearch", request_method="GET",
             renderer="catalogue_opensearch.jinja2")
def opensearch_view(request):
    """The OpenSearch 1.1 description: browsers add the catalogue as a search engine."""
    request.response.content_type = "application/opensearchdescription+xml"
    return {"base": request.application_url}


def includeme(config):
    # ICatalogueService, for the MARC view (an include runs once, whoever else asks for it)
    config.include("ils.catalogue")
    config.add_route("catalogue_search", "/search")
    config.add_route("catalogue_suggest", "/search/suggest")
    config.add_route("catalogue_record", "/record/{id}")
    config.add_route("catalogue_cite", "/record/{id}/cite.{fmt}")
    config.add_route("catalogue_qr", "/record/{id}/qr.png")
    config.add_route("opensearch", "/opensearch.xml")

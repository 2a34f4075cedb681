"""SRU 2.0 at ``/sru``: partners search the union catalogue with CQL.

``searchRetrieve`` (a ``query`` in CQL, see ``federation.providers.cql``;
``startRecord``, ``maximumRecords`` up to 100, ``recordSchema`` ``marcxml``
or ``dc``, ``recordXMLEscaping`` ``xml`` or ``string``) and ``explain`` (no
query). Answers are SRU 2.0 (the OASIS namespaces); a client that sends
``version=1.1`` or ``1.2`` gets the SRU 1.2 form it expects (the
``zing/srw`` namespaces, ``recordPacking``). ``scan`` is not offered.

Every problem is a diagnostic (``info:srw/diagnostic/1/N``) in an HTTP 200
answer, with a message in Vietnamese and English: a bad query never gives a
server error. Searches go through ``ISearchIndex`` like the portal's own.
"""
from dataclasses import dataclass
from urllib.parse import urlsplit

from lxml import etree
from pyramid.i18n import TranslationStringFactory

from federation.interfaces import ISearchIndex
from federation.records import MAX_ROWS, MAX_WINDOW, QueryError

from . import bilingual, xml_response
from .cql import MAX_QUERY_CHARS, SET_LIMIT, Conjunction, Diagnostic, merge, parse, plan
from .marc import MARCXML_SCHEMA, dublin_core, marcxml, xml_text
from .union import UnionAccess

_ = TranslationStringFactory("serepok")

__all__ = ["sru_view", "execute", "Found", "SCHEMAS", "SRU2_NS", "SRU1_NS"]

SRU2_NS = "http://docs.oasis-open.org/ns/search-ws/sruResponse"
DIAG2_NS = "http://docs.oasis-open.org/ns/search-ws/diagnostic"
SRU1_NS = "http://www.loc.gov/zing/srw/"
DIAG1_NS = "http://www.loc.gov/zing/srw/diagnostic/"
EXPLAIN_NS = "http://explain.z3950.org/dtd/2.0/"
PRECISION = "info:srw/vocabulary/resultCountPrecision/1/"
DEFAULT_ROWS = 10
# short name -> (identifier, title, location)
SCHEMAS = {
    "marcxml": ("info:srw/schema/1/marcxml-v1.1", "MARCXML", MARCXML_SCHEMA),
    "dc": ("info:srw/schema/1/dc-v1.1", "Dublin Core",
           "http://www.loc.gov/standards/sru/recordSchemas/dc-schema.xsd"),
}
_SCHEMA_NAMES = {"marcxml": "marcxml", "marc21": "marcxml", "marc": "marcxml",
                 "info:srw/schema/1/marcxml-v1.1": "marcxml",
                 "dc": "dc", "info:srw/schema/1/dc-v1.1": "dc",
                 "info:srw/schema/1/dc-schema": "dc"}
_PARAMETERS = {"operation", "version", "query", "queryType", "startRecord", "maximumRecords",
               "recordSchema", "recordXMLEscaping", "recordPacking", "resultSetTTL",
               "stylesheet", "sortKeys", "httpAccept", "responseType", "renderedBy",
               "extraRequestData", "recordXPath", "scanClause", "responsePosition",
               "maximumTerms"}
# The indexes explain lists: (Vietnamese title, English title, [(set, name)]).
_EXPLAINED_INDEXES = (
    ("Mọi trường", "Any field", [("cql", "serverChoice"), ("cql", "anywhere"),
                                 ("cql", "keywords")]),
    ("Nhan đề", "Title", [("dc", "title"), ("bath", "title")]),
    ("Tác giả", "Author", [("dc", "creator"), ("dc", "contributor"), ("bath", "author"),
                           ("bath", "name")]),
    ("Chủ đề", "Subject", [("dc", "subject"), ("bath", "subject")]),
    ("ISBN", "ISBN", [("bath", "isbn")]),
    ("Năm xuất bản", "Year of publication", [("dc", "date")]),
    ("Ngôn ngữ", "Language", [("dc", "language")]),
    ("Mọi biểu ghi", "All records", [("cql", "allRecords")]),
)
_CONTEXT_SETS = (("cql", "info:srw/cql-context-set/1/cql-v1.2"),
                 ("dc", "info:srw/cql-context-set/1/dc-v1.1"),
                 ("bath", "http://zing.z3950.org/cql/bath/2.0/"))


class Answer:
    """One SRU answer being built, in the version the client speaks."""

    def __init__(self, request, version):
        self.request = request
        self.version = version
        self.v2 = version == "2.0"
        self.ns = SRU2_NS if self.v2 else SRU1_NS
        self.diag_ns = DIAG2_NS if self.v2 else DIAG1_NS
        self.prefix = "sruResponse" if self.v2 else "zs"

    def root(self, name):
        root = etree.Element(f"{{{self.ns}}}{name}", nsmap={self.prefix: self.ns})
        self.add(root, "version", self.version)
        return root

    def add(self, parent, name, text=None):
        node = etree.SubElement(parent, f"{{{self.ns}}}{name}")
        if text is not None:
            node.text = xml_text(text)
        return node

    def diagnostics(self, parent, diagnostics):
        if not diagnostics:
            return
        holder = self.add(parent, "diagnostics")
        for diagnostic in diagnostics:
            node = etree.SubElement(holder, f"{{{self.diag_ns}}}diagnostic",
                                    nsmap={"diag": self.diag_ns})
            etree.SubElement(node, f"{{{self.diag_ns}}}uri").text = diagnostic.uri
            if diagnostic.details:
                etree.SubElement(node, f"{{{self.diag_ns}}}details").text = xml_text(
                    diagnostic.details)
            etree.SubElement(node, f"{{{self.diag_ns}}}message").text = xml_text(bilingual(
                self.request, diagnostic.message))

    def respond(self, root):
        return xml_response(etree.tostring(root, encoding="utf-8", xml_declaration=True),
                            content_type="application/sru+xml" if self.v2 else "text/xml")


def _parameters(request):
    params = request.POST if request.method == "POST" else request.GET
    values = {}
    for name in params.keys():
        found = params.getall(name)
        if name.startswith("x-"):
            continue                  # extensions we do not know are ignored, as SRU says
        if name not in _PARAMETERS:
            raise Diagnostic(8, name[:40], _("The parameter “${name}” is not supported.",
                                             mapping={"name": name[:40]}))
        if len(found) > 1:
            raise Diagnostic(6, name, _("The parameter “${name}” is repeated.",
                                        mapping={"name": name}))
        if len(found[0]) > MAX_QUERY_CHARS:
            raise Diagnostic(6 if name != "query" else 10, f"{name} length>{MAX_QUERY_CHARS}",
                             _("The parameter “${name}” is longer than ${max} characters.",
                               mapping={"name": name, "max": MAX_QUERY_CHARS}))
        values[name] = found[0]
    return values


def sru_view(request):
    params = request.POST if request.method == "POST" else request.GET
    requested = params.get("version", "2.0")
    version = requested if requested in ("1.1", "1.2", "2.0") else "2.0"
    answer = Answer(request, version)
    try:
        values = _parameters(request)
        if requested != version:
            raise Diagnostic(5, "2.0", _("This server speaks SRU 2.0 (and 1.2, 1.1)."))
        operation = values.get("operation") or ("searchRetrieve" if "query" in values
                                                else "explain")
        if "stylesheet" in values:
            raise Diagnostic(110, values["stylesheet"][:80],
                             _("Stylesheets are not supported."))
        if operation == "explain":
            return explain(request, answer)
        if operation != "searchRetrieve":
            raise Diagnostic(4, operation[:40], _("Only searchRetrieve and explain are "
                                                  "offered."))
    except Diagnostic as diagnostic:
        root = answer.root("searchRetrieveResponse")
        answer.add(root, "numberOfRecords", 0)
        answer.diagnostics(root, [diagnostic])
        return answer.respond(root)
    return search_retrieve(request, answer, values)


# --- searchRetrieve -----------------------------------------------------------

class Page:
    def __init__(self, values, v2):
        self.query = values.get("query")
        if self.query is None:
            raise Diagnostic(7, "query", _("searchRetrieve needs a query."))
        query_type = values.get("queryType", "cql")
        if query_type == "searchTerms":       # plain words: all of them, anywhere
            words = self.query.replace("\\", " ").replace('"', " ").strip()
            self.query = f'cql.serverChoice all "{words}"' if words else ""
        elif query_type != "cql":
            raise Diagnostic(6, "queryType", _("The query type “${name}” is not supported: "
                                               "use cql.", mapping={"name": query_type[:40]}))
        self.start = _number(values, "startRecord", 1, low=1)
        self.rows = min(_number(values, "maximumRecords", DEFAULT_ROWS, low=0), MAX_ROWS)
        schema = values.get("recordSchema", "marcxml")
        self.schema = _SCHEMA_NAMES.get(schema) or _SCHEMA_NAMES.get(schema.lower())
        if self.schema is None:
            raise Diagnostic(66, schema[:80], _("The record schema “${name}” is not offered: "
                                                "use marcxml or dc.",
                                                mapping={"name": schema[:80]}))
        escaping = values.get("recordXMLEscaping" if v2 else "recordPacking", "xml")
        if escaping not in ("xml", "string"):
            raise Diagnostic(71, escaping[:40], _("Records are sent as xml or string."))
        self.escaping = escaping
        if v2 and values.get("recordPacking", "packed") != "packed":
            raise Diagnostic(6, "recordPacking", _("Records are sent packed."))
        if "sortKeys" in values:
            raise Diagnostic(80, "sortKeys", _("Sorting results is not supported."))


def _number(values, name, default, low):
    text = values.get(name)
    if text is None or text == "":
        return default
    if not text.isdigit() or len(text) > 9 or int(text) < low:
        raise Diagnostic(6, name, _("“${name}” must be a whole number from ${low}.",
                                    mapping={"name": name, "low": low}))
    return int(text)


def search_retrieve(request, answer, values):
    root = answer.root("searchRetrieveResponse")
    diagnostics, found, page = [], None, None
    try:
        page = Page(values, answer.v2)
        query_plan = plan(parse(page.query))
        start = page.start - 1
        if start >= MAX_WINDOW:
            raise Diagnostic(61, str(page.start), _(
                "Only the first ${max} records of a search can be retrieved; narrow the "
                "query.", mapping={"max": MAX_WINDOW}))
        rows = max(0, min(page.rows, MAX_WINDOW - start))
        index = request.find_service(ISearchIndex)
        found = execute(index, query_plan, start, rows)
        if found.total and page.start > found.total:
            diagnostics.append(Diagnostic(61, str(page.start), _(
                "The search found ${total} records: startRecord ${start} is past the last.",
                mapping={"total": found.total, "start": page.start})))
    except Diagnostic as diagnostic:
        diagnostics.append(diagnostic)
    except QueryError as error:
        diagnostics.append(Diagnostic(10, error.english[:200], error.message))
    answer.add(root, "numberOfRecords", found.total if found else 0)
    if found and found.records:
        union = UnionAccess(request)
        records, marc = found.records, None
        if page.schema == "marcxml":
            # an index written before records carried their provenance: ask the store
            records = [r if r.provenance else (union.record(r.id) or r) for r in records]
            marc = union.stored_marc(records)
        holder = answer.add(root, "records")
        for position, record in enumerate(records, start=page.start):
            _record(answer, holder, union, record, page, position, marc)
        following = page.start + len(found.records)
        if following <= found.total and following <= MAX_WINDOW:
            answer.add(root, "nextRecordPosition", following)
    if page is not None:
        _echo(answer, root, values, page)
    answer.diagnostics(root, diagnostics)
    if answer.v2 and found is not None:
        answer.add(root, "resultCountPrecision",
                   PRECISION + ("exact" if found.exact else "estimate"))
    return answer.respond(root)


def _record(answer, holder, union, record, page, position, marc):
    node = answer.add(holder, "record")
    answer.add(node, "recordSchema", SCHEMAS[page.schema][0])
    answer.add(node, "recordXMLEscaping" if answer.v2 else "recordPacking", page.escaping)
    if page.schema == "marcxml":
        element = marcxml(record, marc, union.library_names())
    else:
        element = dublin_core(record, union.page_url(record.id), flavour="srw_dc")
    data = answer.add(node, "recordData")
    if page.escaping == "string":
        data.text = etree.tostring(element, encoding="unicode")
    else:
        data.append(element)
    answer.add(node, "recordPosition", position)


def _echo(answer, root, values, page):
    echo = answer.add(root, "echoedSearchRetrieveRequest")
    if not answer.v2:
        answer.add(echo, "version", answer.version)
    answer.add(echo, "query", values.get("query", ""))
    if answer.v2:
        answer.add(echo, "queryType", values.get("queryType", "cql"))
    answer.add(echo, "startRecord", page.start)
    answer.add(echo, "maximumRecords", page.rows)
    answer.add(echo, "recordXMLEscaping" if answer.v2 else "recordPacking", page.escaping)
    answer.add(echo, "recordSchema", page.schema)


# --- running a CQL plan ------------------------------------------------------

@dataclass
class Found:
    total: int           # how many records match (an estimate unless ``exact``)
    records: list        # the ``Record`` of the page asked for, in order
    exact: bool = True


def execute(index, query_plan, start=0, rows=10):
    """Run a CQL ``Plan`` on ``index`` (an ``ISearchIndex``) and return the
    page of ``rows`` records from ``start`` (0-based) as ``Found``.

    A plain conjunction is one search, exact and paged by the index;
    otherwise up to ``SET_LIMIT`` hits of each search are combined as sets,
    counted exactly when no search was cut short (else the count is an
    estimate). The caller keeps ``start + rows`` within ``MAX_WINDOW``.
    """
    rows = max(0, min(rows, MAX_ROWS))
    if query_plan.simple:
        query = query_plan.conjunctions[0].query(start=start, rows=rows)
        if query is None:
            return Found(0, [])
        result = index.search(query)
        return Found(result.total, [hit.record for hit in result.hits])
    found, estimate, exact = {}, 0, True
    for conjunction in query_plan.conjunctions:
        hits, count, complete = _conjunction(index, conjunction, ())
        exact = exact and complete
        estimate += count
        for record_id, record in hits.items():
            found.setdefault(record_id, record)
    total = len(found) if exact else max(len(found), estimate)
    return Found(total, list(found.values())[start:start + rows], exact)


def _conjunction(index, conjunction, base):
    """The hits of ``conjunction`` within ``base`` (literals that also hold):
    ({id: Record} in rank order, estimated count, whether exact)."""
    positives = merge(tuple(base), conjunction.positives)
    hits, total = _collect(index, Conjunction(positives))
    complete = total <= len(hits)
    count = total
    for negative in conjunction.negatives:
        for part in negative.conjunctions:
            removed, removed_count, removed_complete = _conjunction(index, part, positives)
            complete = complete and removed_complete
            count -= removed_count
            for record_id in removed:
                hits.pop(record_id, None)
    return hits, max(count, len(hits)), complete


def _collect(index, conjunction):
    hits, total, start = {}, 0, 0
    limit = min(SET_LIMIT, MAX_WINDOW)
    while start < limit:
        query = conjunction.query(start=start, rows=min(MAX_ROWS, limit - start))
        if query is None:
            return {}, 0
        result = index.search(query)
        total = result.total
        for hit in result.hits:
            hits.setdefault(hit.id, hit.record)
        start += len(result.hits)
        if start >= total or not result.hits:
            break
    return hits, total


# --- explain ------------------------------------------------------------------

def explain(request, answer):
    root = answer.root("explainResponse")
    record = answer.add(root, "record")
    answer.add(record, "recordSchema", EXPLAIN_NS)
    answer.add(record, "recordXMLEscaping" if answer.v2 else "recordPacking", "xml")
    data = answer.add(record, "recordData")
    data.append(explain_record(request))
    answer.add(record, "recordPosition", 1)
    return answer.respond(root)


def explain_record(request):
    settings = request.registry.settings

    def node(parent, tag, text=None, **attributes):
        element = etree.SubElement(parent, f"{{{EXPLAIN_NS}}}{tag}", **attributes)
        if text is not None:
            element.text = str(text)
        return element

    root = etree.Element(f"{{{EXPLAIN_NS}}}explain", nsmap={"zr": EXPLAIN_NS})
    url = urlsplit(request.route_url("sru"))
    server = node(root, "serverInfo", protocol="SRU", version="2.0", transport=url.scheme,
                  method="GET POST")
    node(server, "host", url.hostname)
    node(server, "port", url.port or (443 if url.scheme == "https" else 80))
    node(server, "database", url.path.lstrip("/") or "sru")
    database = node(root, "databaseInfo")
    node(database, "title", settings.get("sru.title.vi", "Mục lục liên hợp — Thư viện tỉnh "
                                                         "Đắk Lắk"), lang="vi", primary="true")
    node(database, "title", settings.get("sru.title.en", "Union catalogue — Đắk Lắk "
                                                         "Provincial Library"), lang="en")
    node(database, "description", "Sách và tài liệu của hai cơ sở (Buôn Ma Thuột, Tuy Hòa), "
                                  "các thư viện xã, phường và kho tài liệu số.", lang="vi",
         primary="true")
    node(database, "description", "Books and documents of both sites (Buôn Ma Thuột, Tuy "
                                  "Hòa), the commune and ward libraries and the digital "
                                  "repository.", lang="en")
    from .oai import repository_identifier
    node(database, "contact", settings.get("oai.admin_email",
                                           f"webmaster@{repository_identifier(settings)}"))
    indexes = node(root, "indexInfo")
    for name, identifier in _CONTEXT_SETS:
        node(indexes, "set", name=name, identifier=identifier)
    for vietnamese, english, names in _EXPLAINED_INDEXES:
        index = node(indexes, "index", search="true", scan="false", sort="false")
        node(index, "title", vietnamese, lang="vi", primary="true")
        node(index, "title", english, lang="en")
        for set_name, index_name in names:
            node(node(index, "map"), "name", index_name, set=set_name)
    schemas = node(root, "schemaInfo")
    for name, (identifier, title, location) in SCHEMAS.items():
        schema = node(schemas, "schema", identifier=identifier, name=name, location=location,
                      sort="false", retrieve="true")
        node(schema, "title", title)
    config = node(root, "configInfo")
    node(config, "default", DEFAULT_ROWS, type="numberOfRecords")
    node(config, "default", "marcxml", type="retrieveSchema")
    node(config, "default", "cql.serverChoice", type="index")
    node(config, "default", "=", type="relation")
    node(config, "setting", MAX_ROWS, type="maximumRecords")
    for relation in ("=", "==", "all", "any", "adj", "<", "<=", ">", ">=", "<>", "within"):
        node(config, "supports", relation, type="relation")
    return root

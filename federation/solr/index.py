"""``ISearchIndex`` on Apache Solr 9 (a SolrCloud collection or one node).

Documents carry the fields ``federation.index.documents.analyze`` derives, the
same the embedded index stores, into the schema of ``configset/conf``; queries
are built by ``federation.solr.query`` so that both backends find, rank and
count alike (the contract suite, ``tests/contract``, checks it on both).

The client library is pysolr (``docs/dependencies.md`` says why). Nodes are
found from ``search.solr_url`` (one or more base URLs, tried in turn when one
does not answer) or from ZooKeeper (``search.solr_zk_hosts``: pysolr's
``SolrCloud`` follows the live nodes). Every failure to reach Solr, or an
error answer, raises ``SearchUnavailable``; the portal shows its 503 page and
the union catalogue's queue keeps the writes until Solr is back.
"""
import json
import logging
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor

import pysolr
import requests
from zope.interface import implementer

from federation.analysis import exact, has_diacritics, nfc
from federation.index.documents import SUGGEST_SEPARATOR, analyze, highlight, match_tokens, snippet
from federation.index.tantivy_index import _check as check_page
from federation.interfaces import ISearchIndex
from federation.records import YEAR_RANGES, FacetValue, Hit, Record, SearchResult, Suggestion
from federation.solr.query import FACET_PREFIX, clean, facet_params, search_params
from federation.solr.unavailable import SearchUnavailable
from federation.workers import ordered_map

__all__ = ["SolrIndex", "SCHEMA_VERSION"]

log = logging.getLogger(__name__)
# pysolr logs every request at INFO; keep it to warnings unless configured
if logging.getLogger("pysolr").level == logging.NOTSET:
    logging.getLogger("pysolr").setLevel(logging.WARNING)

SCHEMA_VERSION = 1
_YEAR_ORDER = [label for label, _low, _high in YEAR_RANGES]


class _Nodes:
    """pysolr clients of one collection on several base URLs; a request goes
    to the last node that answered and moves on when a node does not."""

    def __init__(self, urls, collection, timeout):
        self.clients = [pysolr.Solr(f"{url.rstrip('/')}/{collection}", timeout=timeout)
                        for url in urls]
        self.current = 0

    def call(self, work):
        errors = []
        for step in range(len(self.clients)):
            n = (self.current + step) % len(self.clients)
            try:
                result = work(self.clients[n])
            except (pysolr.SolrError, requests.RequestException) as error:
                if _is_client_error(error):
                    raise
                errors.append(error)
                continue
            self.current = n
            return result
        raise errors[-1]


class _Cloud:
    """pysolr's ``SolrCloud`` over ZooKeeper, connected on first use."""

    def __init__(self, zk_hosts, collection, timeout):
        self.zk_hosts, self.collection, self.timeout = zk_hosts, collection, timeout
        self.client = None
        self.lock = threading.Lock()

    def call(self, work):
        with self.lock:
            if self.client is None:
                zookeeper = pysolr.ZooKeeper(self.zk_hosts, timeout=self.timeout)
                self.client = pysolr.SolrCloud(zookeeper, self.collection, timeout=self.timeout,
                                               retry_count=3, retry_timeout=0.5)
        return work(self.client)


def _is_client_error(error):
    """A 4xx answer (our request was wrong, or a version conflict): retrying
    on another node would not help."""
    text = str(error)
    return "(HTTP 4" in text


@implementer(ISearchIndex)
class SolrIndex:
    """``ISearchIndex`` on the Solr ``collection`` at ``urls`` (base URLs such
    as ``http://127.0.0.1:8983/solr``) or ``zk_hosts`` (``host:2181/solr``)."""

    def __init__(self, urls=(), collection="serepok", zk_hosts=None, timeout=10.0):
        if isinstance(urls, str):
            urls = urls.replace(",", " ").split()
        if not urls and not zk_hosts:
            raise ValueError("search.solr_url or search.solr_zk_hosts is needed")
        self.collection = collection
        self.nodes = (_Cloud(zk_hosts, collection, timeout) if zk_hosts
                      else _Nodes(urls, collection, timeout))

    # --- talking to Solr ----------------------------------------------------------------

    def _call(self, work):
        try:
            return self.nodes.call(work)
        except SearchUnavailable:
            raise
        except Exception as error:       # pysolr, requests, kazoo: all mean "not now"
            log.warning("Solr did not answer: %s", error)
            raise SearchUnavailable(error) from error

    def _select(self, params, handler="select"):
        params = {k: ([clean(x) for x in v] if isinstance(v, list) else
                      clean(v) if isinstance(v, str) else v) for k, v in params.items()}
        return json.loads(self._call(lambda c: c._select(dict(params), handler=handler)))

    def commit(self):
        self._call(lambda c: c.commit(waitSearcher=True))

    # --- writing ------------------------------------------------------------------------

    def document(self, record):
        """The Solr document of a ``Record`` (public for the benchmarks)."""
        return solr_document(record)

    def index(self, records):
        docs = [self.document(r) for r in records]
        if docs:
            self.add_documents(docs)

    def add_documents(self, docs, visible=True):
        """Send analysed documents (``document``) as they are; ``visible=False``
        leaves them to the next commit (a reindex commits once at the end)."""
        args = {"softCommit": True} if visible else {}
        self._call(lambda c: c.add(docs, **args))

    def write_batches(self, batches, done=None, send=None, parallel=2):
        """Write ``batches``, an iterable of ``(token, [Record])``, for a
        reindex: each batch is analysed (by ``federation.workers`` processes
        when it is large) while up to ``parallel`` earlier ones are being sent (Solr parses and indexes them meanwhile);
        ``done(token, count)`` is called in order once a batch and every batch
        before it are in Solr. ``send(docs)`` defaults to ``add_documents``
        without a commit; call ``commit`` at the end."""
        send = send or (lambda docs: self.add_documents(docs, visible=False))
        pending = deque()
        with ThreadPoolExecutor(parallel, thread_name_prefix="serepok-solr-send") as pool:
            try:
                for token, records in batches:
                    # analysed in worker processes on every core (federation.workers)
                    docs = list(ordered_map(solr_document, records))
                    pending.append((token, len(docs), pool.submit(send, docs)))
                    while len(pending) > parallel:
                        token_done, count, future = pending.popleft()
                        future.result()
                        if done:
                            done(token_done, count)
                while pending:
                    token_done, count, future = pending.popleft()
                    future.result()
                    if done:
                        done(token_done, count)
            finally:
                for _token, _count, future in pending:
                    future.cancel()

    def delete(self, ids):
        ids = [clean(i) for i in ids if i]
        if ids:
            self._call(lambda c: c.delete(id=ids, softCommit=True))

    def clear(self):
        self._call(lambda c: c.delete(q="*:*", commit=True))

    def close(self):
        if isinstance(self.nodes, _Cloud) and self.nodes.client is not None:
            try:
                self.nodes.client.zookeeper.zk.stop()
            except Exception:
                pass

    # --- reading ------------------------------------------------------------------------

    def count(self):
        return self._select({"q": "*:*", "rows": 0, "wt": "json"})["response"]["numFound"]

    def _realtime(self, record_id):
        """The stored fields of ``record_id`` as the latest write left them."""
        answer = self._select({"id": clean(record_id), "fl": "id,data,_version_", "wt": "json"},
                              handler="get")
        return answer.get("doc")

    def get(self, id):
        doc = self._realtime(id)
        return None if not doc else Record.from_dict(json.loads(doc["data"]))

    def update_availability(self, id, availability):
        """An atomic update of the record's ``data`` and ``f_available``: the
        analysed text is kept by Solr, nothing is read from the sources."""
        for _attempt in range(5):
            doc = self._realtime(id)
            if not doc:
                return False
            record = Record.from_dict(json.loads(doc["data"]))
            for holding in record.holdings:
                if holding.library in availability:
                    holding.available = max(0, int(availability[holding.library]))
            update = {"id": id, "_version_": doc["_version_"],
                      "data": json.dumps(record.to_dict(full_text=False), ensure_ascii=False),
                      FACET_PREFIX + "available": record.available_at or None}
            try:
                self._call(lambda c: c.add(
                    [update], fieldUpdates={"data": "set", FACET_PREFIX + "available": "set"},
                    softCommit=True))
                return True
            except SearchUnavailable as error:
                if "(HTTP 409)" not in str(error):    # someone else changed it: read again
                    raise
        raise SearchUnavailable("availability update kept conflicting")

    def search(self, query):
        sort, start, rows = check_page(query)
        params, parsed = search_params(query, sort, start, rows)
        wanted = list(dict.fromkeys(query.facets or ()))
        limit = max(1, min(int(query.facet_limit or 20), 200))
        facet_params(params, wanted, limit)
        answer = self._select(params)
        found = answer["response"]
        terms = parsed.folded_terms()
        hits, with_text = [], []
        for doc in found["docs"]:
            record = Record.from_dict(json.loads(doc["data"]))
            marks = {"title": highlight(record.title, terms),
                     "description": snippet(record.description, terms)}
            hits.append(Hit(record.id, float(doc.get("score") or 0.0) if sort == "relevance"
                            else 0.0, record, {k: v for k, v in marks.items() if v}))
            if doc.get("has_text") and not marks["description"]:
                with_text.append(hits[-1])
        self._full_text_snippets(with_text, terms)
        fields = (answer.get("facet_counts") or {}).get("facet_fields") or {}
        facets = {}
        for name in wanted:
            flat = fields.get(name) or []
            values = [FacetValue(str(v), int(c)) for v, c in zip(flat[::2], flat[1::2]) if c > 0]
            if name == "year":
                values.sort(key=lambda fv: _YEAR_ORDER.index(fv.value))
            else:
                values.sort(key=lambda fv: (-fv.count, fv.value))
            facets[name] = values[:limit]
        return SearchResult(total=found["numFound"], hits=hits, facets=facets, start=start,
                            rows=rows)

    def _full_text_snippets(self, hits, terms):
        """A digitized item found by its OCR text shows where the words are:
        the full text of those hits only, in one real-time get."""
        if not hits or not terms:
            return
        answer = self._select({"ids": ",".join(h.id.replace(",", "") for h in hits),
                               "fl": "id,full_text", "wt": "json"}, handler="get")
        texts = {d["id"]: d.get("full_text") for d in answer.get("response", {}).get("docs", [])}
        for hit in hits:
            marked = snippet(texts.get(hit.id) or "", terms)
            if marked:
                hit.highlights["full_text"] = marked

    def suggest(self, prefix, limit=10):
        prefix = nfc(prefix or "")[:100]
        key = " ".join(match_tokens(prefix))
        if len(key) < 2:
            return []
        if prefix[-1:].isspace():
            key += " "
        limit = max(1, min(int(limit), 50))
        answer = self._select({"facet.prefix": key, "facet.limit": limit * 3, "wt": "json"},
                              handler="suggest")
        flat = answer["facet_counts"]["facet_fields"].get("suggest") or []
        live = {}
        for term, count in zip(flat[::2], flat[1::2]):
            shown = term.split(SUGGEST_SEPARATOR, 1)[-1]
            live[shown] = live.get(shown, 0) + count
        typed = exact(prefix).strip()
        wants_exact = has_diacritics(prefix)

        def rank(item):
            shown, count = item
            return (not (wants_exact and exact(shown).startswith(typed)), -count, shown)

        return [Suggestion(text, count) for text, count in sorted(live.items(), key=rank)[:limit]]

    # --- operations ---------------------------------------------------------------------

    def ping(self):
        """True when the collection answers."""
        try:
            self.count()
            return True
        except SearchUnavailable:
            return False

    def wait_until_up(self, timeout=60.0):
        deadline = time.monotonic() + timeout
        while not self.ping():
            if time.monotonic() > deadline:
                raise SearchUnavailable(f"not back after {timeout:.0f}s")
            time.sleep(0.5)


def solr_document(record):
    """The Solr document of a ``Record``: the fields ``analyze`` derives, as
    the configset names them. Module-level, so worker processes can run it."""
    doc = analyze(record)
    fields = {
        "id": doc.id, "title_f": doc.title_f, "author_f": doc.author_f,
        "subject_f": doc.subject_f, "all_f": doc.all_f, "all_e": doc.all_e,
        "title_key": doc.title_key, "author_key": doc.author_key,
        "data": json.dumps(record.to_dict(full_text=False), ensure_ascii=False),
        "schema_version": SCHEMA_VERSION,
    }
    if doc.year is not None:
        fields["year"] = doc.year
    if doc.isbn:
        fields["isbn"] = doc.isbn
    if record.full_text:
        fields["full_text"] = record.full_text
        fields["has_text"] = 1
    if doc.suggest:
        fields["suggest"] = doc.suggest
    for name, values in doc.facets.items():
        if values:
            fields[FACET_PREFIX + name] = values
    return fields

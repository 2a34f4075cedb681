"""The embedded search index: tantivy (a Rust full-text engine) in-process,
stored in a directory under ``var/``.

Chosen over SQLite FTS5 by measurement (``bench/search_index.py``,
``docs/search-index.md``): facet counts over many matches are where FTS5
falls behind. Text arrives pre-analysed (``federation.index.documents``),
so tantivy only splits on spaces.

One writer at a time may hold an index directory, across processes: each
write takes the writer, commits and lets it go, retrying while another
process (``serepok reindex``) holds it.
"""
import dataclasses
import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import tantivy
from zope.interface import implementer

from ils import jsontext

from federation.analysis import exact, has_diacritics, nfc
from federation.index.documents import (
    SUGGEST_SEPARATOR, highlight, match_tokens, snippet,
)
from federation.index.query import parse
from federation.index.tantivy_documents import (
    SAMPLE_BUCKETS, analysed_json, document_json, stored_document,
)
from federation.workers import PARALLEL_ABOVE, ordered_map
from federation.interfaces import ISearchIndex
from federation.records import (
    FACET_FIELDS, FILTER_FIELDS, MAX_ROWS, MAX_WINDOW, SORTS, YEAR_RANGES, FacetValue, Hit,
    QueryError, Record, SearchResult, Suggestion,
)

log = logging.getLogger(__name__)

SCHEMA_VERSION = 3
# Ranking: every word must match (folded); these add to its BM25 score.
# A word typed with diacritics that the record has exactly so adds a constant
# larger than any BM25 score: exact matches form the first tier, whatever the
# field. Words typed without diacritics make no tier (``dak`` may be a lazy
# ``Đắk``).
EXACT_SCORE = 1000.0
TITLE_BOOST = 1.5          # the word is in the title
TITLE_PHRASE_BOOST = 6.0   # the words are adjacent and in order in the title
# (A phrase boost over all the text was measured too: +3.5 ms mean at 1M
# records for little change in order; a quoted phrase still searches it all.)
_TEXT_FIELDS = {None: "all_f", "title": "title_f", "author": "author_f", "subject": "subject_f"}
_YEAR_LABELS = {label: (low, high) for label, low, high in YEAR_RANGES}
# How facets are counted (measured at 1M records, docs/search-index.md):
# per matching document by tantivy's terms aggregation (cost grows with the
# matches), or, above POSTINGS_FACETS_ABOVE matches, for multi-valued fields
# from each value's posting list intersected with the matches (cost grows
# with the field, not the matches; only without filters). Above SAMPLE_FACETS_ABOVE matches the
# author facet, whose values are many, is counted on a fixed sample of
# about SAMPLE_SIZE matching records (by a hash of the id) and scaled; the
# result names it in ``approximate_facets``.
POSTINGS_FACETS_ABOVE = 60_000
_BY_POSTINGS = ("library", "collection", "available", "subject")
SAMPLE_FACETS_ABOVE = 100_000
SAMPLE_SIZE = 40_000
_SAMPLED = ("author",)
# Facets are counted on these threads while the request's thread searches
# (tantivy lets go of the GIL while it searches and aggregates): at 1M records
# queries with two filters took 52 ms p95 with every count one after another,
# 35 ms so (bench/search_index.py, docs/search-index.md).
_FACET_THREADS = max(4, os.cpu_count() or 1)
_facet_pool = None
_facet_pool_lock = threading.Lock()


def _facet_executor():
    global _facet_pool
    with _facet_pool_lock:
        if _facet_pool is None:
            _facet_pool = ThreadPoolExecutor(max_workers=_FACET_THREADS,
                                             thread_name_prefix="serepok-facets")
        return _facet_pool


def _schema():
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", tokenizer_name="raw", index_option="basic")
    for name in ("title_f", "author_f", "subject_f", "all_f"):
        builder.add_text_field(name, tokenizer_name="whitespace", index_option="position")
    builder.add_text_field("all_e", tokenizer_name="whitespace", index_option="freq")
    builder.add_text_field("isbn", tokenizer_name="raw", index_option="basic")
    for name in FACET_FIELDS:
        builder.add_text_field(f"f_{name}", fast=True, tokenizer_name="raw", index_option="basic")
    builder.add_integer_field("year", indexed=True, fast=True)
    builder.add_integer_field("newest", fast=True)
    builder.add_integer_field("oldest", fast=True)
    builder.add_integer_field("sample", indexed=True, fast=True)
    builder.add_text_field("title_key", fast=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("author_key", fast=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("suggest", tokenizer_name="raw", index_option="freq")
    builder.add_bytes_field("data", stored=True, indexed=False)
    builder.add_bytes_field("full_text", stored=True, indexed=False)
    return builder.build()


@implementer(ISearchIndex)
class TantivyIndex:
    """``ISearchIndex`` on a tantivy index in ``path`` (created if missing)."""

    def __init__(self, path="var/index", writer_heap=128_000_000, lock_timeout=60.0):
        self.path = os.path.join(os.fspath(path), f"tantivy-v{SCHEMA_VERSION}")
        os.makedirs(self.path, exist_ok=True)
        self.schema = _schema()
        self._index = tantivy.Index(self.schema, path=self.path, reuse=True)
        self.writer_heap = writer_heap
        self.lock_timeout = lock_timeout
        self._write_lock = threading.Lock()
        self.postings_facets_above = POSTINGS_FACETS_ABOVE
        self.sample_facets_above = SAMPLE_FACETS_ABOVE

    # --- writing -----------------------------------------------------------

    @contextmanager
    def _writer(self, threads=1):
        with self._write_lock:
            deadline = time.monotonic() + self.lock_timeout
            while True:
                try:
                    writer = self._index.writer(self.writer_heap, threads)
                    break
                except ValueError as error:   # another process holds the index
                    if time.monotonic() > deadline:
                        raise
                    log.debug("index writer busy, waiting: %s", error)
                    time.sleep(0.05)
            try:
                yield writer
                writer.commit()
            except BaseException:
                writer.rollback()
                raise
            finally:
                writer.wait_merging_threads()
            self._index.reload()

    def _documents(self, records):
        """The documents of ``records`` (``document_json``), in order; a long
        list is analysed by worker processes on every core
        (``federation.workers``). What crosses between processes is JSON
        text: pickling many small objects cost more than the analysis saved
        (measured)."""
        if len(records) < PARALLEL_ABOVE:
            for record in records:
                yield document_json(record)
            return
        yield from ordered_map(analysed_json, [
            (jsontext.dumps(record.to_dict(full_text=False)), record.full_text)
            for record in records])

    def index(self, records):
        records = records if hasattr(records, "__len__") else list(records)
        if not records:
            return
        with self._writer(threads=2 if len(records) > 5000 else 1) as writer:
            _BulkBatch(self, writer).index(records)

    def index_stored(self, texts):
        """``index`` for records as the union store keeps them: the JSON text
        of ``Record.to_dict()``, read and analysed in the worker processes
        when they are many (``stored_document``)."""
        texts = texts if hasattr(texts, "__len__") else list(texts)
        if not texts:
            return
        with self._writer(threads=2 if len(texts) > 5000 else 1) as writer:
            _BulkBatch(self, writer).index_stored(texts)

    @contextmanager
    def bulk(self):
        """A writer for very many records (``serepok import marc``, a rebuild):
        ``with index.bulk() as batch: batch.index(records); batch.delete(ids)``.
        Nothing is visible to ``search`` until the block ends without an error
        (then all is, at once); an error throws everything of the block away.
        Analysis runs in worker processes."""
        with self._writer(threads=2) as writer:
            yield _BulkBatch(self, writer)

    def delete(self, ids):
        ids = [i for i in ids if i]
        if not ids:
            return
        with self._writer() as writer:
            for record_id in ids:
                writer.delete_documents_by_term("id", record_id)

    def clear(self):
        with self._writer() as writer:
            writer.delete_all_documents()

    def close(self):
        self._index = None

    # --- reading -----------------------------------------------------------

    def count(self):
        return self._index.searcher().num_docs

    def _stored(self, searcher, record_id):
        found = searcher.search(tantivy.Query.term_query(self.schema, "id", record_id), 1)
        if not found.hits:
            return None
        return searcher.doc(found.hits[0][1])

    def get(self, id):
        doc = self._stored(self._index.searcher(), id)
        return None if doc is None else Record.from_dict(jsontext.loads(bytes(doc["data"][0])))

    def update_availability(self, id, availability):
        doc = self._stored(self._index.searcher(), id)
        if doc is None:
            return False
        record = Record.from_dict(jsontext.loads(bytes(doc["data"][0])))
        if doc.get_first("full_text") is not None:
            record.full_text = bytes(doc["full_text"][0]).decode()
        for holding in record.holdings:
            if holding.library in availability:
                holding.available = max(0, int(availability[holding.library]))
        with self._writer() as writer:
            _BulkBatch(self, writer).index([record])
        return True

    def search(self, query):
        sort, start, rows = _check(query)
        parsed = parse(query.text)
        text = self._text_clauses(parsed)
        by_field = self._filter_clauses(query)
        must = text + list(by_field.values())
        matching = (tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in must])
                    if must else tantivy.Query.all_query())
        searcher = self._index.searcher()
        # Facets are counted meanwhile on other threads: those with a filter of their
        # own when there are some (the others after the search, on this thread), else
        # all of them (two cores: measured best both ways)
        wanted = list(dict.fromkeys(query.facets or ()))
        own = self._own_facets(searcher, query, text, by_field)
        plain_query = dataclasses.replace(query, facets=tuple(n for n in wanted if n not in own))
        plain = None if own or not plain_query.facets else _facet_executor().submit(
            self._counted_facets, searcher, matching, plain_query, len(by_field) > 0)
        if sort == "relevance" and parsed.empty:
            sort = "newest"
        if sort == "relevance":
            ranked = tantivy.Query.boolean_query(
                [(tantivy.Occur.Must, matching)]
                + [(tantivy.Occur.Should, q) for q in self._boosts(parsed)])
            found = searcher.search(ranked, max(rows, 1), count=True, offset=start)
        else:
            field, order = {"newest": ("newest", tantivy.Order.Desc),
                            "oldest": ("oldest", tantivy.Order.Asc),
                            "title": ("title_key", tantivy.Order.Asc),
                            "author": ("author_key", tantivy.Order.Asc)}[sort]
            found = searcher.search(matching, max(rows, 1), count=True, offset=start,
                                    order_by_field=field, order=order)
        terms = parsed.folded_terms()
        hits = []
        for key, address in found.hits[:rows]:
            doc = searcher.doc(address)
            record = Record.from_dict(jsontext.loads(bytes(doc["data"][0])))
            marks = {"title": highlight(record.title, terms),
                     "description": snippet(record.description, terms)}
            if not marks["description"] and doc.get_first("full_text") is not None:
                # a digitized item found by its OCR text: show where the words are
                marks["full_text"] = snippet(bytes(doc["full_text"][0]).decode(), terms)
            hits.append(Hit(record.id, float(key) if sort == "relevance" else 0.0, record,
                            {k: v for k, v in marks.items() if v}))
        # ties (equal scores, years, titles) in the order of their ids, as Solr's sort
        # has it, not of the segments the documents happen to sit in (which depends on
        # how they were written: one by one, in bulk by several threads)
        keys = {hit.id: key for (key, _address), hit in zip(found.hits, hits)}
        hits.sort(key=lambda hit: hit.id)
        hits.sort(key=lambda hit: keys[hit.id],
                  reverse=sort in ("relevance", "newest"))
        facets, sampled = (plain.result() if plain is not None else
                           self._facets(searcher, matching, found.count, plain_query,
                                        filtered=len(by_field) > 0))
        for future in own.values():
            found_facets, approximate = future.result()
            facets.update(found_facets)
            sampled += approximate
        facets = {name: facets[name] for name in wanted}
        return SearchResult(total=found.count, hits=hits, facets=facets, start=start, rows=rows,
                            approximate_facets=tuple(sampled))

    def _text_clauses(self, parsed):
        clauses = []
        for clause in parsed.clauses:
            if clause.field == "isbn":
                clauses.append(tantivy.Query.term_query(self.schema, "isbn", clause.folded[0]))
                continue
            field = _TEXT_FIELDS[clause.field]
            if clause.phrase:
                clauses.append(tantivy.Query.phrase_query(self.schema, field, clause.folded))
            else:
                clauses.append(tantivy.Query.term_query(self.schema, field, clause.folded[0]))
        return clauses

    def _boosts(self, parsed):
        def boosted(query, factor):
            return tantivy.Query.boost_query(query, factor)

        boosts = [tantivy.Query.const_score_query(
                      tantivy.Query.term_query(self.schema, "all_e", word), EXACT_SCORE)
                  for clause in parsed.clauses if clause.field != "isbn"
                  for word in dict.fromkeys(clause.exact) if has_diacritics(word)]
        folded, _exact = parsed.free_words()
        boosts += [boosted(tantivy.Query.term_query(self.schema, "title_f", word), TITLE_BOOST)
                   for word in dict.fromkeys(folded)]
        if len(folded) > 1:
            boosts.append(boosted(tantivy.Query.phrase_query(self.schema, "title_f", folded),
                                  TITLE_PHRASE_BOOST))
        return boosts

    def _own_facets(self, searcher, query, text, by_field):
        """Facets as readers of mature catalogues expect (multi-select): a
        facet with a filter of its own is counted without that filter (the
        text and every other filter still apply), so its other values show
        what ticking them too would add; the others follow every filter.
        Returns ``{name: future of ({name: [FacetValue]}, sampled names)}``
        for the facets with a filter of their own, started on the facet threads."""
        own = [name for name in dict.fromkeys(query.facets or ()) if name in by_field]
        if not own:
            return {}
        executor = _facet_executor()
        return {name: executor.submit(self._facet_without_own_filter, searcher, query, text,
                                      by_field, name) for name in own}

    def _counted_facets(self, searcher, matching, query, filtered):
        """``_facets`` of ``matching`` on a facet thread: it counts the matches
        itself (the number chooses how to count) rather than wait for the search."""
        return self._facets(searcher, matching, searcher.search(matching, 1, count=True).count,
                            query, filtered=filtered)

    def _facet_without_own_filter(self, searcher, query, text, by_field, name):
        rest = text + [clause for field, clause in by_field.items() if field != name]
        widened = (tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in rest])
                   if rest else tantivy.Query.all_query())
        filtered = len(rest) > len(text)
        # the number of matches only chooses how to count (postings, sample)
        counted = name in _SAMPLED or (name in _BY_POSTINGS and not filtered)
        count = searcher.search(widened, 1, count=True).count if counted else 1
        return self._facets(searcher, widened, count, dataclasses.replace(query, facets=(name,)),
                            filtered=filtered)

    def _filter_clauses(self, query):
        """{facet field: its clause} of the query's filters; the year bounds
        under ``""`` (they are no facet's own filter)."""
        clauses = {}
        for name, values in (query.filters or {}).items():
            # Lone surrogates (from a badly decoded URL) cannot reach Rust.
            values = [nfc(str(v)).encode("utf-8", "replace").decode()
                      for v in ([values] if isinstance(values, (str, int)) else values)
                      if v not in (None, "")]
            if not values:
                continue
            if name == "year":
                clauses[name] = tantivy.Query.boolean_query(
                    [(tantivy.Occur.Should, self._year_range(*_YEAR_LABELS[v])) for v in values])
            elif name == "available" and "*" in values:
                clauses[name] = tantivy.Query.exists_query("f_available")
            elif len(values) == 1:      # measured cheaper than a set of one
                clauses[name] = tantivy.Query.term_query(self.schema, f"f_{name}", values[0])
            else:
                clauses[name] = tantivy.Query.term_set_query(self.schema, f"f_{name}", values)
        if query.year_from is not None or query.year_to is not None:
            clauses[""] = self._year_range(query.year_from, query.year_to)
        return clauses

    def _year_range(self, low, high):
        return tantivy.Query.range_query(self.schema, "year", tantivy.FieldType.Integer,
                                         low, high)

    def _facets(self, searcher, matching, total, query, filtered=False):
        """Returns ({name: [FacetValue]}, [names counted on a sample])."""
        wanted = list(dict.fromkeys(query.facets or ()))
        if not wanted or not total:
            return {name: [] for name in wanted}, []
        limit = max(1, min(int(query.facet_limit or 20), 200))
        size = limit * 2 + 10    # ties at the cut are settled below, by value
        counts, sampled = {}, []
        # Postings counting evaluates the query once per facet: worth it for
        # the words alone, measured slower once filters are added to them.
        if total > self.postings_facets_above and not filtered:
            for name in (n for n in wanted if n in _BY_POSTINGS):
                counts[name] = dict(searcher.terms_with_prefix(f"f_{name}", "",
                                                               filter_query=matching))
        if total > self.sample_facets_above:
            sampled = [n for n in wanted if n in _SAMPLED]
            buckets = max(1, min(SAMPLE_BUCKETS, SAMPLE_BUCKETS * SAMPLE_SIZE // total))
            sample = tantivy.Query.boolean_query([
                (tantivy.Occur.Must, matching),
                (tantivy.Occur.Must, tantivy.Query.range_query(
                    self.schema, "sample", tantivy.FieldType.Integer, 0, buckets - 1))])
            answer = searcher.aggregate(sample, {n: {"terms": {"field": f"f_{n}", "size": size}}
                                                 for n in sampled})
            for name in sampled:
                counts[name] = {b["key"]: round(b["doc_count"] * SAMPLE_BUCKETS / buckets)
                                for b in answer[name]["buckets"]}
        by_docs = [n for n in wanted if n not in counts]
        if by_docs:
            answer = searcher.aggregate(matching, {n: {"terms": {"field": f"f_{n}", "size": size}}
                                                   for n in by_docs})
            for name in by_docs:
                counts[name] = {b["key"]: b["doc_count"] for b in answer[name]["buckets"]}
        facets = {}
        for name in wanted:
            values = [FacetValue(str(v), int(c)) for v, c in counts[name].items() if c > 0]
            if name == "year":
                order = list(_YEAR_LABELS)
                values.sort(key=lambda fv: order.index(fv.value))
            else:
                values.sort(key=lambda fv: (-fv.count, fv.value))
            facets[name] = values[:limit]
        return facets, sampled

    def suggest(self, prefix, limit=10):
        prefix = nfc(prefix or "")[:100]
        key = " ".join(match_tokens(prefix))
        if len(key) < 2:
            return []
        if prefix[-1:].isspace():
            key += " "
        limit = max(1, min(int(limit), 50))
        searcher = self._index.searcher()
        counts = {}
        for term, count in searcher.terms_with_prefix("suggest", key, limit=limit * 5):
            counts[term] = count
        # Term statistics still count deleted records until segments merge:
        # count the live ones of the few terms kept.
        live = {}
        for term in sorted(counts, key=lambda t: -counts[t])[:limit * 3]:
            found = searcher.search(tantivy.Query.term_query(self.schema, "suggest", term), 1)
            if found.count:
                shown = term.split(SUGGEST_SEPARATOR, 1)[-1]
                live[shown] = live.get(shown, 0) + found.count
        counts = live
        typed = exact(prefix).strip()
        wants_exact = has_diacritics(prefix)

        def rank(item):
            shown, count = item
            return (not (wants_exact and exact(shown).startswith(typed)), -count, shown)

        return [Suggestion(text, count) for text, count in sorted(counts.items(), key=rank)[:limit]]


class _BulkBatch:
    """The writer of ``TantivyIndex.bulk`` (and of the other writes).
    Documents go to the writer as JSON text (``document_json``), made in the
    worker processes when there are many: tantivy reads it faster than this
    process builds a ``tantivy.Document`` (40,000 documents: 1.0–1.4 s of this
    process against 1.6–1.8 s, and less CPU in all). They are written in the
    caller's thread: the writer's calls release the GIL, and a feeding thread
    getting it back after each one while the caller kept it busy waited far
    longer than the writing took (40,000 documents: 0.8 s alone, minutes
    beside a busy thread)."""

    def __init__(self, index, writer):
        self.index_, self.writer = index, writer
        # for a caller analysing records in its own worker processes (a rebuild:
        # ``UnionCatalogue.rebuild(documents=…)``), then ``index_analysed``
        self.analyse = document_json
        self._cleared = False

    def clear(self):
        """Drop every document the index held before the block, for a caller
        about to write every record again (a whole rebuild): each record is
        then added without first deleting its previous version (a tenth of
        the writing, measured)."""
        self.writer.delete_all_documents()
        self._cleared = True

    def index(self, records):
        """Write ``records``, analysed in the worker processes when they are many."""
        records = records if hasattr(records, "__len__") else list(records)
        self.index_analysed(zip((record.id for record in records),
                                self.index_._documents(records)))

    def index_stored(self, texts):
        """``TantivyIndex.index_stored`` through this writer."""
        self.index_analysed(ordered_map(stored_document, texts))

    def index_analysed(self, documents):
        """Write ``[(id, document JSON text from ``analyse``)]``."""
        for record_id, document in documents:
            if not self._cleared:
                self.writer.delete_documents_by_term("id", record_id)
            self.writer.add_json(document)

    def delete(self, ids):
        for record_id in ids:
            if record_id:
                self.writer.delete_documents_by_term("id", record_id)


def _check(query):
    """Validate the page parameters of ``query``; returns (sort, start, rows)."""
    if query.sort not in SORTS:
        raise QueryError("Unknown sort order: {sort}",
                         "Không có cách sắp xếp này: {sort}", sort=query.sort)
    for name in list(query.filters or {}) + list(query.facets or ()):
        if name not in FILTER_FIELDS:
            raise QueryError("Unknown search field: {name}",
                             "Không có trường tìm kiếm này: {name}", name=name)
    for value in _as_list((query.filters or {}).get("year")):
        if value not in _YEAR_LABELS:
            raise QueryError("Unknown year range: {value}",
                             "Không có khoảng năm này: {value}", value=value)
    for bound in (query.year_from, query.year_to):
        if bound is not None and not isinstance(bound, int):
            raise QueryError("A year must be a whole number.", "Năm phải là một số nguyên.")
    if (query.year_from is not None and query.year_to is not None
            and query.year_from > query.year_to):
        raise QueryError("The first year of the range is after the last.",
                         "Năm bắt đầu lớn hơn năm kết thúc.")
    try:
        start = max(0, int(query.start or 0))
        rows = max(0, min(int(query.rows if query.rows is not None else 20), MAX_ROWS))
    except (TypeError, ValueError):
        raise QueryError("The page number or size is not a number.",
                         "Số trang hoặc số kết quả mỗi trang không phải là số.") from None
    if start + rows > MAX_WINDOW:
        raise QueryError("Results can be paged through the first {max} only; "
                         "narrow the search to see more.",
                         "Chỉ xem được {max} kết quả đầu; hãy thu hẹp tìm kiếm để xem thêm.",
                         max=MAX_WINDOW)
    return query.sort, start, rows


def _as_list(values):
    if values is None:
        return []
    return [values] if isinstance(values, (str, int)) else list(values)

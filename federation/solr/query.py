"""A reader's ``SearchQuery`` as Solr request parameters.

No reader text ever becomes query syntax: the query string ``q`` is built
only from our field names, operators and parameter references (``$t0``,
``$t1``…); the words themselves travel in those parameters, which Solr's
``{!term}`` and ``{!field}`` parsers take literally. Filter values travel the
same way (``{!terms … v=$f0}``); each filter is tagged with its field, and a
facet leaves out the filter of its own field (multi-select facets). The ranking mirrors the embedded index
(``federation.index.tantivy_index``): every word must match its folded form;
each word typed with diacritics that a record has exactly adds a constant
``EXACT_SCORE``; title words and the title phrase add their boosted BM25.
"""
import re

from federation.analysis import has_diacritics, nfc
from federation.index.query import parse
from federation.records import YEAR_RANGES

__all__ = ["EXACT_SCORE", "TITLE_BOOST", "TITLE_PHRASE_BOOST", "search_params", "clean",
           "SORT_FIELDS", "FACET_PREFIX"]

EXACT_SCORE = 1000
TITLE_BOOST = 1.5
TITLE_PHRASE_BOOST = 6
_TEXT_FIELDS = {None: "all_f", "title": "title_f", "author": "author_f", "subject": "subject_f"}
_YEARS = {label: (low, high) for label, low, high in YEAR_RANGES}
SORT_FIELDS = {"relevance": "score desc, id asc", "newest": "year desc, id asc",
               "oldest": "year asc, id asc", "title": "title_key asc, id asc",
               "author": "author_key asc, id asc"}
FACET_PREFIX = "f_"
# Separates the values of one {!terms} filter: a private-use character,
# removed from the values themselves.
_SEPARATOR = "\ue000"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def clean(value):
    """``value`` as text Solr can take: NFC, lone surrogates replaced (they
    cannot be sent as UTF-8), control characters dropped."""
    text = nfc(str(value)).encode("utf-8", "replace").decode("utf-8")
    return _CONTROL.sub("", text)


def _year_range(low, high):
    return f"year:[{'*' if low is None else int(low)} TO {'*' if high is None else int(high)}]"


def search_params(query, sort, start, rows, facet_limit=None):
    """(params, parsed query) for ``/select``; ``query`` is already checked
    (``tantivy_index._check``), ``sort``, ``start``, ``rows`` come from there."""
    parsed = parse(query.text)
    params = {"defType": "lucene", "q.op": "OR", "wt": "json", "fl": "id,data,score,has_text",
              "start": start, "rows": rows}
    must, should = [], []
    for n, clause in enumerate(parsed.clauses):
        if clause.field == "isbn":
            params[f"t{n}"] = clause.folded[0]
            must.append(f"+{{!term f=isbn v=$t{n}}}")
            continue
        field = _TEXT_FIELDS[clause.field]
        params[f"t{n}"] = " ".join(clause.folded)
        parser = "field" if clause.phrase else "term"
        must.append(f"+{{!{parser} f={field} v=$t{n}}}")
    if sort == "relevance" and parsed.empty:
        sort = "newest"
    if sort == "relevance":
        exact = dict.fromkeys(word for clause in parsed.clauses if clause.field != "isbn"
                              for word in clause.exact if has_diacritics(word))
        for n, word in enumerate(exact):
            params[f"e{n}"] = word
            should.append(f"({{!term f=all_e v=$e{n}}})^={EXACT_SCORE}")
        folded, _exact = parsed.free_words()
        for n, word in enumerate(dict.fromkeys(folded)):
            params[f"b{n}"] = word
            should.append(f"{{!term f=title_f v=$b{n}}}^{TITLE_BOOST}")
        if len(folded) > 1:
            params["p0"] = " ".join(folded)
            should.append(f"{{!field f=title_f v=$p0}}^{TITLE_PHRASE_BOOST}")
    params["q"] = " ".join(must + should) if must else "*:*"
    params["sort"] = SORT_FIELDS[sort]
    params["fq"] = _filters(query, params)
    return params, parsed


def _filters(query, params):
    filters = []
    for n, (name, values) in enumerate(sorted((query.filters or {}).items())):
        values = [clean(v) for v in ([values] if isinstance(values, (str, int)) else values)
                  if v not in (None, "")]
        values = [v.replace(_SEPARATOR, "") for v in values if v]
        if not values:
            continue
        # tagged with the facet's name: its own facet is counted without it
        if name == "year":
            filters.append("{!tag=year}" + " OR ".join(_year_range(*_YEARS[v]) for v in values))
        elif name == "available" and "*" in values:
            filters.append(f"{{!tag=available}}{FACET_PREFIX}available:[* TO *]")
        else:
            params[f"f{n}"] = _SEPARATOR.join(values)
            params["sep"] = _SEPARATOR
            filters.append(f"{{!terms tag={name} f={FACET_PREFIX}{name} separator=$sep "
                           f"v=$f{n}}}")
    if query.year_from is not None or query.year_to is not None:
        filters.append(_year_range(query.year_from, query.year_to))
    return filters


def facet_params(params, wanted, limit):
    """Add classic field faceting for the ``wanted`` facets to ``params``."""
    size = limit * 2 + 10      # ties at the cut are settled by value afterwards
    if not wanted:
        return
    params["facet"] = "true"
    params["facet.mincount"] = 1
    params["facet.sort"] = "count"
    # multi-select: each facet ignores the filter of its own field (the tag
    # its fq carries), and follows the text and every other filter
    params["facet.field"] = [f"{{!key={name} ex={name}}}{FACET_PREFIX}{name}"
                             for name in wanted]
    for name in wanted:
        params[f"f.{FACET_PREFIX}{name}.facet.limit"] = -1 if name == "year" else size

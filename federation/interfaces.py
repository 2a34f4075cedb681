"""Interfaces of the union catalogue.

The value types they speak (``Record``, ``SearchQuery``, ``SearchResult``…)
live in ``federation.records``.
"""
from zope.interface import Interface

from federation.records import (
    FacetValue, Hit, Holding, QueryError, Record, SearchQuery, SearchResult, Suggestion,
)

__all__ = ["ISearchIndex", "FacetValue", "Hit", "Holding", "QueryError", "Record",
           "SearchQuery", "SearchResult", "Suggestion"]


class ISearchIndex(Interface):
    """The search index of the union catalogue (embedded or Solr).

    Every backend passes ``tests/contract/search_index_contract.py``: the
    same records give the same ids, order and facet counts. Writes are
    visible to ``search`` when the call returns. Callers write after their
    transaction commits; an index is always rebuildable from the sources.
    """

    def index(records):
        """Add or replace ``records`` (an iterable of ``Record``), by id."""

    def delete(ids):
        """Remove the records with these ids; unknown ids are ignored."""

    def get(id):
        """The ``Record`` stored under ``id`` (without full text), or None."""

    def search(query):
        """Answer a ``SearchQuery`` with a ``SearchResult``.

        Text: see ``federation.index.query`` (words with or without
        diacritics, exact diacritics first; "phrases"; title:, author:,
        subject:, isbn:). Reader text never raises: it is bounded and taken
        literally. ``QueryError`` (with a bilingual message) is raised for
        parameters a page cannot offer: an unknown sort, facet or filter field,
        a page past ``MAX_WINDOW``, a year range the wrong way round.
        Rows are capped at ``MAX_ROWS``.

        Facet counts (multi-select, as in mature catalogues): a facet that
        has a filter of its own in ``query.filters`` is counted over the text
        and every *other* filter (and the year bounds), without its own, so
        the page can offer its other values as "also these"; a facet without
        a filter of its own is counted over the hits. The hits and ``total``
        always follow every filter.
        """

    def suggest(prefix, limit=10):
        """Titles, authors and subjects starting with ``prefix`` (with or
        without diacritics, exact diacritics first), as ``[Suggestion]``."""

    def update_availability(id, availability):
        """Set copies on the shelf per library, ``{library: int}``, without
        reindexing from the sources (a checkout or a return). Libraries not
        named keep their count. Returns False when ``id`` is not indexed."""

    def count():
        """The number of records in the index."""

    def clear():
        """Remove every record."""

    def close():
        """Release files and threads."""

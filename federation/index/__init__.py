"""The search index of the union catalogue, chosen by settings.

``search.backend``: ``embedded`` (the default: tantivy in a directory,
``search.index_path``, default ``<serepok.var>/index``), ``solr`` (Apache
Solr, ``federation.solr``: ``search.solr_url`` or ``search.solr_zk_hosts``) or
a dotted name ``package.module:factory`` called with the settings.
``includeme`` registers the index as the ``ISearchIndex`` service; it is
opened on first use and shared by every request of the process.
"""
import os
import threading

from federation.interfaces import ISearchIndex

BACKENDS = {"embedded": "federation.index:embedded_from_settings",
            "solr": "federation.solr:solr_from_settings"}


def embedded_from_settings(settings):
    from federation.index.tantivy_index import TantivyIndex
    path = settings.get("search.index_path") or os.path.join(
        settings.get("serepok.var", "var"), "index")
    return TantivyIndex(path)


def search_index_from_settings(settings):
    """Open the ``ISearchIndex`` the settings name."""
    from pyramid.path import DottedNameResolver   # not in a worker process's imports
    backend = (settings.get("search.backend") or "embedded").strip()
    factory = DottedNameResolver().resolve(BACKENDS.get(backend, backend))
    return factory(settings)


def includeme(config):
    settings = config.get_settings()
    opened = {}
    lock = threading.Lock()

    def search_index(context, request):
        with lock:
            if "index" not in opened:
                opened["index"] = search_index_from_settings(settings)
            return opened["index"]

    config.register_service_factory(search_index, ISearchIndex)
    # a search engine that does not answer gets a 503 page, not a crash
    config.include("federation.solr.unavailable")
    # the same index for work outside requests (the union catalogue after commit)
    config.registry["federation.search_index"] = lambda: search_index(None, None)

"""The union catalogue on Apache Solr 9 (SolrCloud), for when a library
outgrows one machine: the same ``ISearchIndex`` as the embedded index.

Settings (``search.backend = solr``):

- ``search.solr_url``: base URL(s) of Solr nodes, ``http://host:8983/solr``
  (several, separated by spaces, are tried in turn), or
- ``search.solr_zk_hosts``: the ZooKeeper ensemble of a SolrCloud,
  ``zk1:2181,zk2:2181,zk3:2181/solr`` (live nodes are followed);
- ``search.solr_collection`` (default ``serepok``), ``search.solr_timeout``
  (seconds, default 10).

``configset/conf`` is our configset; ``serepok solr setup`` uploads it and
creates the collection (``federation.solr.cli``). See ``docs/solr.md``.
"""

__all__ = ["solr_from_settings"]


def solr_from_settings(settings):
    """The ``SolrIndex`` the settings describe."""
    from federation.solr.index import SolrIndex
    return SolrIndex(urls=(settings.get("search.solr_url") or "").strip(),
                     collection=(settings.get("search.solr_collection") or "serepok").strip(),
                     zk_hosts=(settings.get("search.solr_zk_hosts") or "").strip() or None,
                     timeout=float(settings.get("search.solr_timeout") or 10))

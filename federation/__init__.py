"""The union catalogue of Serepok: sources, merging, the union store, the search index.

``includeme`` registers the search index (``federation.index``), the
``IUnionCatalogue`` service and the after-commit pipeline that keeps both
current (``federation.subscribers``).

Settings: ``federation.sites`` (the library codes that are sites of the
provincial library; default: the repository's sites), ``federation.sync_limit``
(members a commit may update before it is handed to a background thread,
default 2000), ``serepok.base_url`` (links to digital items).
"""


def includeme(config):
    from federation.services import IUnionCatalogue
    from federation.subscribers import UnionPipeline, queue_union_ids

    config.include("federation.index")
    settings = config.get_settings()
    registry = config.registry
    if "dbsession_factory" not in registry:
        return     # no SQL store: the union catalogue needs one
    sites = (settings.get("federation.sites") or "").split()
    pipeline = UnionPipeline(
        registry["dbsession_factory"], registry["federation.search_index"],
        sites=sites or _repository_sites(registry),
        base_url=settings.get("serepok.base_url", ""),
        sync_limit=int(settings.get("federation.sync_limit", 2000)))
    registry["federation.union_pipeline"] = pipeline

    def union_catalogue(context, request):
        return pipeline.catalogue(request.dbsession,
                                  on_change=lambda ids: queue_union_ids(request, ids))

    config.register_service_factory(union_catalogue, IUnionCatalogue)
    config.include("federation.subscribers")
    config.include("federation.providers")
    # changes queued while the index was unreachable (Solr down, a writer busy) are
    # replayed by the worker every minute, not only on the portal's next commit
    if _has_directive(config, "add_periodic_job"):
        config.add_periodic_job("union-queue", "federation:replay_queued_changes",
                                "every 1 minutes")


def _has_directive(config, name):
    try:
        getattr(config, name)
    except AttributeError:
        return False
    return True


def replay_queued_changes(request):
    """Periodic job: apply the union catalogue's queued changes; a (vi, en) summary."""
    pipeline = request.registry.get("federation.union_pipeline")
    done = pipeline.drain() if pipeline is not None else 0
    if done:
        return (f"Đã cập nhật {done} thay đổi đang chờ vào mục lục liên hợp.",
                f"Applied {done} queued changes to the union catalogue.")
    return None


def _repository_sites(registry):
    """Names of the repository's sites now (sites made later are learnt from
    the repository's events)."""
    databases = getattr(registry, "_zodb_databases", {})
    if "" not in databases:
        return ()
    from repository import ROOT_KEY
    connection = databases[""].open()
    try:
        root = connection.root().get(ROOT_KEY)
        if root is None:
            return ()
        return tuple(name for name, child in root.items()
                     if getattr(child, "type_name", "") == "Site")
    finally:
        connection.transaction_manager.abort()
        connection.close()

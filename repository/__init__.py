"""The ZODB object repository (Plone-style): sites, collections, items, audiobooks.

``includeme`` opens the database named by ``zodbconn.uri`` (FileStorage and
blobs under ``var/`` by default; ``zeo://`` or a RelStorage ``zconfig://``
URI by setting), creates the root once, runs pending evolve steps, and
registers the repository's services and event subscribers.
"""
from .interfaces import ICatalogSearch, IContentService

ROOT_KEY = "serepok"


def bootstrap(db):
    """Create the repository root if missing and evolve it; idempotent."""
    from .evolve import evolve
    from .resources import Root
    conn = db.open()
    try:
        tm = conn.transaction_manager
        tm.begin()
        zroot = conn.root()
        if ROOT_KEY not in zroot:
            root = Root(title="Thư viện tỉnh Đắk Lắk")
            zroot[ROOT_KEY] = root
        evolve(zroot[ROOT_KEY])
        tm.commit()
    finally:
        conn.close()


def root_factory(request):
    """The traversal root: the repository root of this request's connection."""
    from pyramid_zodbconn import get_connection
    return get_connection(request).root()[ROOT_KEY]


def content_service_factory(context, request):
    from .services import ContentService
    return ContentService(request.registry.notify, actor=request.authenticated_userid or "",
                          request=request)


def includeme(config):
    from .services import CatalogSearch
    config.include("pyramid_zodbconn")
    config.set_root_factory(root_factory)
    config.register_service_factory(content_service_factory, IContentService)
    config.register_service(CatalogSearch(), ICatalogSearch)
    db = config.registry._zodb_databases[""]
    bootstrap(db)
    config.include(".subscribers")
    config.include(".digitization")

"""Keep each site's catalogue current as content changes.

The catalogue lives in the same ZODB transaction as the content, so these
run inside the transaction: an aborted request leaves no index entry behind.
(Indexes outside ZODB, like the union catalogue, update after commit.)
"""
from .interfaces import IObjectAdded, IObjectModified, IObjectMoved, IObjectWillBeRemoved
from .resources import find_site, walk


def _subtree(obj):
    yield obj
    if obj.is_container:
        yield from walk(obj)


def _catalog(obj):
    site = find_site(obj)
    if site is None or site is obj or site.catalog is None:
        return None
    return site.catalog


def index_subtree(event):
    catalog = _catalog(event.object)
    if catalog is not None:
        for o in _subtree(event.object):
            catalog.index(o)


def reindex(event):
    catalog = _catalog(event.object)
    if catalog is None:
        return
    # A state change of a collection changes who may see what lies below it.
    targets = _subtree(event.object) if getattr(event, "transition", None) else (event.object,)
    for o in targets:
        catalog.index(o)


def unindex_subtree(event):
    catalog = _catalog(event.object)
    if catalog is not None:
        for o in _subtree(event.object):
            catalog.unindex(o)


def includeme(config):
    config.add_subscriber(index_subtree, IObjectAdded)
    config.add_subscriber(index_subtree, IObjectMoved)
    config.add_subscriber(reindex, IObjectModified)
    config.add_subscriber(unindex_subtree, IObjectWillBeRemoved)

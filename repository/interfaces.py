"""Interfaces and events of the object repository."""
from zope.interface import Attribute, Interface, implementer


class IObjectEvent(Interface):
    object = Attribute("the content object")


class IObjectAdded(IObjectEvent):
    """An object was added to a container."""


class IObjectModified(IObjectEvent):
    """An object's fields or state changed."""


class IObjectMoved(IObjectEvent):
    """An object changed container or name (old_path says where it was)."""


class IObjectWillBeRemoved(IObjectEvent):
    """An object (and everything below it) is about to be removed."""


@implementer(IObjectEvent)
class _ObjectEvent:
    def __init__(self, obj, request=None, **kw):
        self.object = obj
        self.request = request
        self.__dict__.update(kw)


@implementer(IObjectAdded)
class ObjectAdded(_ObjectEvent):
    pass


@implementer(IObjectModified)
class ObjectModified(_ObjectEvent):
    pass


@implementer(IObjectMoved)
class ObjectMoved(_ObjectEvent):
    pass


@implementer(IObjectWillBeRemoved)
class ObjectWillBeRemoved(_ObjectEvent):
    pass


class IContentService(Interface):
    """Create, change, move, remove and publish repository content.

    Every method sends the matching event (which keeps the catalogue current)
    and leaves committing to the request's transaction.
    """

    def add(container, type_name, data, name=None):
        """Validate ``data`` and add a new object; returns ``(obj, errors)``."""

    def edit(obj, data, partial=False):
        """Validate and apply ``data``; returns ``errors`` (empty on success)."""

    def move(obj, target, new_name=None):
        """Move ``obj`` into ``target`` (same site only); returns the object."""

    def delete(obj):
        """Remove ``obj`` and everything below it."""

    def transition(obj, name, comment=""):
        """Run a workflow transition."""


class ICatalogSearch(Interface):
    """Search a site's catalogue (folded and exact Vietnamese text, fields, paths)."""

    def search(site, text=None, type_name=None, state=None, path=None,
               principals=None, sort="relevance", start=0, limit=20):
        """Returns ``(total, [objects])`` visible to ``principals``."""

"""Services of the object repository: content changes and catalogue search."""
from hypatia.query import Any, Eq
from hypatia.text.parsetree import ParseError
from pyramid.i18n import TranslationStringFactory
from pyramid.traversal import find_resource
from zope.interface import implementer

from federation import analysis

from . import workflow
from .interfaces import (ICatalogSearch, IContentService, ObjectAdded, ObjectModified,
                         ObjectMoved, ObjectWillBeRemoved)
from .resources import CONTENT_TYPES, find_site, walk
from .schemas import slugify, validate, validate_name

_ = TranslationStringFactory("serepok")

MAX_QUERY_LENGTH = 200


class ContentError(ValueError):
    """A change that cannot be made; ``message`` is a translation string."""

    def __init__(self, message, status=400):
        super().__init__(str(message))
        self.message = message
        self.status = status


@implementer(IContentService)
class ContentService:
    """Create, change, move, remove and publish content; notify on each change.

    ``notify`` is the registry's event dispatcher, ``actor`` the user id
    recorded in histories.  Permission checks belong to the views.
    """

    def __init__(self, notify, actor="", request=None):
        self.notify = notify
        self.actor = str(actor or "")
        self.request = request

    def _event(self, cls, obj, **kw):
        self.notify(cls(obj, self.request, **kw))

    def add(self, container, type_name, data, name=None):
        cls = CONTENT_TYPES.get(type_name)
        if cls is None or not container.can_hold(type_name):
            raise ContentError(_("A ${type} cannot be added here.",
                                 mapping={"type": cls.type_title if cls else type_name}))
        clean, errors = validate(cls.schema, data)
        if name:
            error = validate_name(name)
            if error:
                errors["name"] = error
            elif name in container:
                errors["name"] = _("This name is already used here.")
        if errors:
            return None, errors
        obj = cls(**clean)
        obj.creator = self.actor
        container.add(name or container.free_name(slugify(clean.get("title", ""))), obj)
        self._event(ObjectAdded, obj)
        return obj, {}

    def edit(self, obj, data, partial=False):
        clean, errors = validate(obj.schema, data, partial=partial)
        if errors:
            return errors
        if obj.update(clean):
            self._event(ObjectModified, obj)
        return {}

    def move(self, obj, target, new_name=None):
        if obj.__parent__ is None:
            raise ContentError(_("The portal itself cannot be moved."))
        if find_site(target) is not find_site(obj):
            raise ContentError(_("Content can only be moved within its own site."), status=403)
        if not target.is_container or not target.can_hold(obj.type_name):
            raise ContentError(_("A ${type} cannot be moved there.",
                                 mapping={"type": obj.type_title}))
        node = target
        while node is not None:
            if node is obj:
                raise ContentError(_("A collection cannot be moved into itself."))
            node = node.__parent__
        name = new_name or obj.__name__
        error = validate_name(name) if new_name else None
        if error:
            raise ContentError(error)
        if target is obj.__parent__ and name == obj.__name__:
            return obj
        if name in target:
            raise ContentError(_("This name is already used there."), status=409)
        old_path = obj.path
        self._event(ObjectWillBeRemoved, obj, moving=True)
        obj.__parent__.remove(obj.__name__)
        target.add(name, obj)
        self._event(ObjectMoved, obj, old_path=old_path)
        return obj

    def delete(self, obj):
        if find_site(obj) is obj or obj.__parent__ is None:
            raise ContentError(_("Sites are removed by a manager from the command line."),
                               status=403)
        self._event(ObjectWillBeRemoved, obj, moving=False)
        obj.__parent__.remove(obj.__name__)

    def transition(self, obj, name, comment=""):
        try:
            t = workflow.transition(obj, name, self.actor, comment)
        except workflow.WorkflowError as exc:
            raise ContentError(exc.message, status=409)
        self._event(ObjectModified, obj, transition=t.name)
        return t


@implementer(ICatalogSearch)
class CatalogSearch:
    """Search one site's catalogue with Vietnamese folding, exact-first ranking."""

    def search(self, site, text=None, type_name=None, state=None, path=None,
               principals=None, sort="relevance", start=0, limit=20, parent=None):
        cat = site.catalog
        if cat is None:
            return 0, []
        indexes = cat.catalog
        query = None

        def both(q):
            return q if query is None else query & q

        if type_name:
            names = [type_name] if isinstance(type_name, str) else list(type_name)
            query = both(Any(indexes["type_name"], names))
        if state:
            query = both(Eq(indexes["state"], state))
        if path:
            query = both(Eq(indexes["path"], path))
        if parent:
            query = both(Eq(indexes["parent"], parent))
        if principals is not None:
            query = both(Any(indexes["allowed"], list(principals)))

        scores = None
        if text:
            text = analysis.nfc(text)[:MAX_QUERY_LENGTH]
            terms = " ".join(analysis.tokens(text, folded=True))
            if not terms:
                return 0, []
            try:
                folded = indexes["text"].apply(terms)
            except ParseError:
                return 0, []
            exact_terms = " ".join(analysis.tokens(text, folded=False))
            try:
                exact = indexes["text_exact"].apply(exact_terms) if exact_terms else {}
            except ParseError:
                exact = {}
            scores = {d: s + 2.0 * exact.get(d, 0.0) for d, s in folded.items()}
            if not scores:
                return 0, []
        if query is None and scores is None:
            docids = list(cat.path_by_docid.keys())
        elif query is None:
            docids = list(scores)
        else:
            found = query.execute()
            docids = list(found.ids)
            if scores is not None:
                docids = [d for d in docids if d in scores]
        total = len(docids)
        if sort == "relevance" and scores is not None:
            docids.sort(key=lambda d: -scores[d])
        elif sort == "modified":
            docids = list(indexes["modified"].sort(docids, reverse=True, raise_unsortable=False))
        else:
            docids = list(indexes["title_sort"].sort(docids, raise_unsortable=False))
        page = docids[start:start + limit]
        objects = []
        for docid in page:
            path = cat.path_by_docid.get(docid)
            try:
                objects.append(find_resource(site, path))
            except KeyError:
                total -= 1
        return total, objects


def reindex_site(site):
    """Rebuild a site's catalogue from its content; returns the count indexed."""
    from .catalog import SiteCatalog
    if site.catalog is None:
        site.catalog = SiteCatalog()
    site.catalog.clear()
    site.catalog.ensure_indexes()
    count = 0
    for obj in walk(site):
        site.catalog.index(obj)
        count += 1
    return count

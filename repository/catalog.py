"""The per-site catalogue (hypatia): indexes defined once, with named discriminators.

Text is indexed twice: folded (``dak lak`` finds ``Đắk Lắk``) and exact (so
results that match the reader's diacritics rank first).  The ``path`` index is
a keyword index of every ancestor path of an object, which answers "everything
below this collection" in one lookup.  ``allowed`` holds the principals that
may view an object, so listings never show what the reader may not see.
"""
from BTrees.IOBTree import IOBTree
from BTrees.OIBTree import OIBTree
from hypatia.catalog import Catalog
from hypatia.field import FieldIndex
from hypatia.keyword import KeywordIndex
from hypatia.text import TextIndex
from hypatia.text.lexicon import Lexicon
from persistent import Persistent
from pyramid.authorization import ACLHelper, Everyone
from pyramid.location import lineage
from pyramid.traversal import find_resource, resource_path

from federation import analysis

from .security import Permission

TEXT_FIELDS = ("title", "description", "creators", "subjects", "publisher", "place",
               "series", "coverage", "narrators", "body", "isbn", "call_number", "ddc")


def _text_of(obj):
    parts = []
    for name in TEXT_FIELDS:
        value = getattr(obj, name, None)
        if isinstance(value, (list, tuple)):
            parts.extend(str(v) for v in value)
        elif value:
            parts.append(str(value))
    return " ".join(parts)


class FoldingSplitter:
    """Lexicon pipeline step: Vietnamese syllables, diacritics folded (đ → d)."""

    def process(self, lst):
        out = []
        for text in lst:
            out.extend(analysis.tokens(text, folded=True))
        return out

    def processGlob(self, lst):
        return self.process(lst)


class ExactSplitter(FoldingSplitter):
    """Lexicon pipeline step: Vietnamese syllables with their diacritics kept."""

    def process(self, lst):
        out = []
        for text in lst:
            out.extend(analysis.tokens(text, folded=False))
        return out


def text_folded(obj, default):
    return _text_of(obj) or default


def text_exact(obj, default):
    return _text_of(obj) or default


def type_name(obj, default):
    return getattr(obj, "type_name", default)


def state(obj, default):
    return getattr(obj, "state", default)


def title_sort(obj, default):
    title = getattr(obj, "title", "")
    return analysis.sort_key(title) if title else default


def modified(obj, default):
    value = getattr(obj, "modified", None)
    return value.timestamp() if value else default


def subjects(obj, default):
    return [analysis.fold(s) for s in getattr(obj, "subjects", ())] or default


def parent(obj, default):
    """The path of the containing object (listings of one collection)."""
    return resource_path(obj.__parent__) if obj.__parent__ is not None else default


def paths(obj, default):
    """Every ancestor path of the object, itself included."""
    return [resource_path(o) for o in lineage(obj)]


def allowed(obj, default):
    """Principals allowed to view the object, from the ACLs on its lineage."""
    helper = ACLHelper()
    principals = set()
    candidates = {Everyone, "group:staff", "role:Manager", "role:SiteAdmin",
                  "role:Librarian", "role:Reader", "system.Authenticated"}
    for p in candidates:
        if helper.permits(obj, [p], str(Permission.VIEW)):
            principals.add(p)
    return sorted(principals) or default


INDEXES = {
    "text": lambda: TextIndex(text_folded, lexicon=Lexicon(FoldingSplitter())),
    "text_exact": lambda: TextIndex(text_exact, lexicon=Lexicon(ExactSplitter())),
    "type_name": lambda: FieldIndex(type_name),
    "state": lambda: FieldIndex(state),
    "title_sort": lambda: FieldIndex(title_sort),
    "modified": lambda: FieldIndex(modified),
    "subjects": lambda: KeywordIndex(subjects),
    "path": lambda: KeywordIndex(paths),
    "parent": lambda: FieldIndex(parent),
    "allowed": lambda: KeywordIndex(allowed),
}


class SiteCatalog(Persistent):
    """A hypatia catalogue plus the map between its integer docids and objects."""

    def __init__(self):
        self.catalog = Catalog()
        self.docid_by_uid = OIBTree()
        self.path_by_docid = IOBTree()
        self._next = 1
        self.ensure_indexes()

    def ensure_indexes(self):
        """Add indexes that a newer version defines (an evolve step calls this)."""
        added = []
        for name, factory in INDEXES.items():
            if name not in self.catalog:
                self.catalog[name] = factory()
                added.append(name)
        return added

    def _docid(self, obj, create):
        docid = self.docid_by_uid.get(obj.uid)
        if docid is None and create:
            docid = self._next
            self._next += 1
            self.docid_by_uid[obj.uid] = docid
        return docid

    def index(self, obj):
        docid = self._docid(obj, create=True)
        self.path_by_docid[docid] = resource_path(obj)
        self.catalog.reindex_doc(docid, obj)

    def unindex(self, obj):
        docid = self._docid(obj, create=False)
        if docid is not None:
            self.catalog.unindex_doc(docid)
            del self.docid_by_uid[obj.uid]
            self.path_by_docid.pop(docid, None)

    def clear(self):
        self.catalog.reset()
        self.docid_by_uid.clear()
        self.path_by_docid.clear()

    def __len__(self):
        return len(self.docid_by_uid)

    def path_of(self, uid):
        """The traversal path of the object with ``uid`` here, or None."""
        docid = self.docid_by_uid.get(uid)
        return None if docid is None else self.path_by_docid.get(docid)


def find_by_uid(root, uid, sites=None):
    """The repository object with ``uid`` (found through the sites' catalogues, no
    walking), or None. ``sites``: the sites to look in (default: all of them)."""
    if not uid or len(uid) > 64:
        return None
    for site in root.sites() if sites is None else sites:
        catalog = getattr(site, "catalog", None)
        path = catalog.path_of(uid) if catalog is not None else None
        if not path:
            continue
        try:
            obj = find_resource(root, path)
        except (KeyError, TypeError):
            continue
        if getattr(obj, "uid", None) == uid:
            return obj
    return None

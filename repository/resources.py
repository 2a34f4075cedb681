"""Content types of the object repository: location-aware persistent classes.

Each type is declared once with :func:`content`, next to its schema, and the
registry :data:`CONTENT_TYPES` is what the forms, the API and the catalogue
read.  Containers keep their children in an ``OOBTree`` so a collection of
tens of thousands of items loads lazily.
"""
import datetime
import uuid

from BTrees.OOBTree import OOBTree
from persistent import Persistent
from persistent.list import PersistentList
from persistent.mapping import PersistentMapping
from pyramid.i18n import TranslationStringFactory
from pyramid.traversal import resource_path_tuple
from ZODB.blob import Blob

from . import schemas
from .catalog import SiteCatalog
from .schemas import Field
from .security import root_acl, state_acl
from .workflow import PRIVATE, PUBLISHED

_ = TranslationStringFactory("serepok")

CONTENT_TYPES = {}


def content(type_name, title, schema, addable_in=(), icon=""):
    """Register a content type: its name, translated title, schema and parents."""
    def decorate(cls):
        cls.type_name = type_name
        cls.type_title = title
        cls.schema = schema
        cls.addable_in = tuple(addable_in)
        cls.icon = icon
        CONTENT_TYPES[type_name] = cls
        return cls
    return decorate


def now():
    return datetime.datetime.now(datetime.timezone.utc)


class Content(Persistent):
    """Base of every repository object."""

    __parent__ = None
    __name__ = None
    type_name = "Content"
    schema = schemas.COMMON
    addable_in = ()
    is_container = False
    state = PRIVATE
    workflow_history = ()
    creator = ""

    def __init__(self, **fields):
        self.uid = uuid.uuid4().hex
        self.created = self.modified = now()
        for field in self.schema:
            default = [] if field.kind == "list" else ("" if field.kind not in ("int", "year") else None)
            setattr(self, field.name, fields.pop(field.name, default))
        for key, value in fields.items():
            setattr(self, key, value)

    @property
    def __acl__(self):
        return state_acl(self.state)

    def update(self, clean):
        """Apply validated fields; returns the names that changed."""
        changed = []
        for name, value in clean.items():
            if getattr(self, name, None) != value:
                setattr(self, name, value)
                changed.append(name)
        if changed:
            self.modified = now()
        return changed

    def field_values(self):
        return {f.name: getattr(self, f.name, None) for f in self.schema}

    @property
    def path(self):
        return "/".join(resource_path_tuple(self)) or "/"

    @property
    def is_published(self):
        return self.state == PUBLISHED


class Container(Content):
    """Content that holds children by name."""

    is_container = True

    def __init__(self, **fields):
        super().__init__(**fields)
        self._children = OOBTree()

    def __getitem__(self, name):
        return self._children[name]

    def get(self, name, default=None):
        return self._children.get(name, default)

    def __contains__(self, name):
        return name in self._children

    def __len__(self):
        return len(self._children)

    def __iter__(self):
        return iter(self._children.keys())

    def keys(self):
        return self._children.keys()

    def values(self):
        return self._children.values()

    def items(self):
        return self._children.items()

    def can_hold(self, type_name):
        cls = CONTENT_TYPES.get(type_name)
        return cls is not None and self.type_name in cls.addable_in

    def add(self, name, obj, send_events=True):
        """Add ``obj`` under ``name``; the caller has validated the name."""
        if name in self._children:
            raise KeyError(name)
        obj.__parent__ = self
        obj.__name__ = name
        self._children[name] = obj
        return obj

    def remove(self, name):
        obj = self._children.pop(name)
        return obj

    def free_name(self, base):
        name, n = base, 1
        while name in self._children:
            n += 1
            name = f"{base}-{n}"
        return name


@content("Root", _("Portal"), schemas.COMMON)
class Root(Container):
    """The repository root: the portal, holding one Site per physical site."""

    state = PUBLISHED
    evolve_generation = 0

    @property
    def __acl__(self):
        return root_acl()

    def sites(self):
        return [s for s in self.values() if isinstance(s, Site)]


SITE_SCHEMA = schemas.COMMON + (
    Field("code", _("Site code"), required=True, max_length=20,
          help=_("Short code used in call numbers and reports, e.g. BMT")),
    Field("address", _("Address"), max_length=300),
    Field("phone", _("Phone"), max_length=50),
    Field("email", _("E-mail"), max_length=200),
    Field("opening_hours", _("Opening hours"), kind="textarea", max_length=2000),
)


@content("Site", _("Site"), SITE_SCHEMA, addable_in=("Root",), icon="building")
class Site(Container):
    """A physical site of the library with its own staff, collections and catalogue."""

    state = PUBLISHED

    def __init__(self, **fields):
        super().__init__(**fields)
        self.local_roles = PersistentMapping()   # user id -> frozenset of role names
        self.catalog = SiteCatalog()             # a site is searchable from its first child

    def grant(self, user_id, role):
        roles = set(self.local_roles.get(str(user_id), ()))
        roles.add(str(role))
        self.local_roles[str(user_id)] = frozenset(roles)

    def revoke(self, user_id, role):
        roles = set(self.local_roles.get(str(user_id), ()))
        roles.discard(str(role))
        if roles:
            self.local_roles[str(user_id)] = frozenset(roles)
        else:
            self.local_roles.pop(str(user_id), None)

    def roles_of(self, user_id):
        return self.local_roles.get(str(user_id), frozenset())


@content("Collection", _("Collection"), schemas.COMMON + (
    Field("subjects", _("Subjects"), kind="list"),
), addable_in=("Site", "Collection"), icon="folder")
class Collection(Container):
    """A collection of a site: nested collections, items, audiobooks, pages."""


@content("DigitalItem", _("Digital item"), schemas.COMMON + schemas.DUBLIN_CORE,
         addable_in=("Collection",), icon="book")
class DigitalItem(Content):
    """A digitized document described in Dublin Core terms plus a MARC subset.

    Pages (canvases) arrive with the digitization pipeline.
    """

    cover = None    # a ZODB Blob with a JPEG/PNG cover image
    cover_type = ""


class Track(Persistent):
    """One audio file of an audiobook: a chapter with its order and duration."""

    def __init__(self, title, data, mimetype, duration, order=0):
        self.uid = uuid.uuid4().hex
        self.title = title
        self.mimetype = mimetype
        self.duration = float(duration or 0)
        self.order = order
        self.size = len(data)
        self.blob = Blob()
        with self.blob.open("w") as f:
            f.write(data)


AUDIOBOOK_SCHEMA = schemas.COMMON + schemas.DUBLIN_CORE + (
    Field("narrators", _("Narrators"), kind="list"),
)


@content("Audiobook", _("Audiobook"), AUDIOBOOK_SCHEMA, addable_in=("Collection",), icon="headphones")
class Audiobook(Content):
    """An audiobook: ordered tracks (chapters) streamed with HTTP Range requests."""

    def __init__(self, **fields):
        super().__init__(**fields)
        self.tracks = PersistentList()

    def add_track(self, title, data, mimetype, duration):
        track = Track(title, data, mimetype, duration, order=len(self.tracks) + 1)
        self.tracks.append(track)
        self.modified = now()
        return track

    def track(self, uid):
        for t in self.tracks:
            if t.uid == uid:
                return t
        return None

    def reorder(self, uids):
        by_uid = {t.uid: t for t in self.tracks}
        if sorted(by_uid) != sorted(uids):
            raise ValueError("the new order must name every track once")
        self.tracks[:] = [by_uid[u] for u in uids]
        for i, t in enumerate(self.tracks, 1):
            t.order = i

    @property
    def duration(self):
        return sum(t.duration for t in self.tracks)


@content("NewsItem", _("News item"), schemas.COMMON + (
    Field("body", _("Text"), kind="textarea", max_length=50000),
), addable_in=("Site", "Collection"), icon="news")
class NewsItem(Content):
    """A news article of a site (events, new acquisitions, announcements)."""


@content("Page", _("Page"), schemas.COMMON + (
    Field("body", _("Text"), kind="textarea", max_length=50000),
), addable_in=("Site", "Collection"), icon="page")
class Page(Content):
    """A static page: rules of the library, opening hours, how to get a card."""


def find_site(resource):
    """The Site that contains ``resource`` (or None at the root)."""
    while resource is not None:
        if isinstance(resource, Site):
            return resource
        resource = getattr(resource, "__parent__", None)
    return None


def walk(container):
    """Every object below ``container``, depth first, the container excluded."""
    for child in container.values():
        yield child
        if child.is_container:
            yield from walk(child)

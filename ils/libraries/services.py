"""The library directory: list, find, add and edit commune and ward libraries.

Views get it with ``request.find_service(ILibraryDirectory)``; like every
service it works on the request's session and never commits. ``add`` and
``edit`` validate first and return ``errors`` (field name → translation
string); nothing is changed when there are any.
"""
import re
import unicodedata

from pyramid.i18n import TranslationStringFactory
from sqlalchemy import select
from zope.interface import Interface, implementer

from federation.analysis import fold

from .models import DEFAULT_PROVINCE, PROVINCES, UNIT_TYPES, Library, utcnow

_ = TranslationStringFactory("serepok")

__all__ = ["ILibraryDirectory", "LibraryDirectory", "FIELDS", "suggest_code", "CODE_RE"]

CODE_RE = re.compile(r"[a-z0-9][a-z0-9-]{1,39}\Z")
_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+\Z")
_PHONE_RE = re.compile(r"[0-9+() .-]{6,40}\Z")

#: Editable fields: name → (maximum length, required).
FIELDS = {
    "name": (200, True),
    "unit_type": (10, True),
    "unit_name": (120, True),
    "province": (60, True),
    "address": (300, False),
    "contact_name": (120, False),
    "phone": (40, False),
    "email": (120, False),
    "opening_hours": (2000, False),
}


class ILibraryDirectory(Interface):
    """Commune and ward libraries: their codes, names, places and contacts."""


def suggest_code(unit_type, unit_name):
    """A code for a new library from its place: ``xa`` + ``Ea Kao`` → ``xa-ea-kao``."""
    words = re.findall(r"[a-z0-9]+", fold(f"{unit_type} {unit_name}"))
    return "-".join(words)[:40].strip("-")


def _text(value):
    return unicodedata.normalize("NFC", str(value or "")).strip()


@implementer(ILibraryDirectory)
class LibraryDirectory:
    def __init__(self, dbsession):
        self.db = dbsession

    def all(self, active_only=False):
        """Every library, by province then name (Vietnamese order by folded name)."""
        query = select(Library)
        if active_only:
            query = query.where(Library.active.is_(True))
        libraries = list(self.db.scalars(query))
        libraries.sort(key=lambda lib: (lib.province != DEFAULT_PROVINCE, fold(lib.province),
                                        fold(lib.unit_name), lib.code))
        return libraries

    def get(self, code):
        """The library with this code, or None."""
        return self.db.scalars(select(Library).where(Library.code == (code or ""))).first()

    def names(self):
        """Code → name of every library (for holdings in the union catalogue)."""
        return dict(self.db.execute(select(Library.code, Library.name)).all())

    def validate(self, values, library=None, reserved=()):
        """Clean ``values`` (form strings); return ``(clean, errors)``.

        A new library's ``code`` may be left empty: it is made from the place.
        ``reserved`` are codes taken elsewhere (the sites: ``bmt``, ``tuy-hoa``).
        """
        clean, errors = {}, {}
        for name, (limit, required) in FIELDS.items():
            value = _text(values.get(name))
            if required and not value:
                errors[name] = _("This field is required.")
            elif len(value) > limit:
                errors[name] = _("At most ${n} characters.", mapping={"n": limit})
            clean[name] = value
        if clean["unit_type"] and clean["unit_type"] not in UNIT_TYPES:
            errors["unit_type"] = _("Choose commune, ward or special zone.")
        if clean["province"] and clean["province"] not in PROVINCES:
            errors["province"] = _("Choose one of the 34 provinces and cities.")
        if clean["email"] and not _EMAIL_RE.match(clean["email"]):
            errors["email"] = _("Not an e-mail address.")
        if clean["phone"] and not _PHONE_RE.match(clean["phone"]):
            errors["phone"] = _("Not a telephone number.")
        clean["active"] = str(values.get("active", "")).lower() in ("1", "true", "on", "yes")
        if library is None:
            code = _text(values.get("code")).lower()
            if not code and clean["unit_name"] and "unit_type" not in errors:
                code = suggest_code(clean["unit_type"], clean["unit_name"])
            if not CODE_RE.match(code):
                errors["code"] = _("Use 2 to 40 lower-case letters, digits and hyphens, "
                                   "such as xa-ea-kao.")
            elif code in reserved or self.get(code) is not None:
                errors["code"] = _("The code ${code} is already taken.", mapping={"code": code})
            clean["code"] = code
        return clean, errors

    def add(self, values, reserved=()):
        """A new library from form values; returns ``(library or None, errors)``."""
        clean, errors = self.validate(values, reserved=reserved)
        if errors:
            return None, errors
        now = utcnow()
        library = Library(created=now, updated=now, **clean)
        self.db.add(library)
        self.db.flush()
        return library, {}

    def edit(self, library, values):
        """Change a library (never its code); returns ``errors``."""
        clean, errors = self.validate(values, library=library)
        if errors:
            return errors
        for name, value in clean.items():
            setattr(library, name, value)
        library.updated = utcnow()
        self.db.flush()
        return {}

"""Field schemas of the content types, shared by the HTML forms and the JSON API.

A schema is a tuple of :class:`Field`.  :func:`validate` takes raw input (form
strings or JSON values) and returns ``(clean, errors)``; ``errors`` maps a
field name to a translation string, so forms show the message next to the
field and the API returns it in the error body.
"""
import dataclasses
import datetime
import re
import unicodedata

from pyramid.i18n import TranslationStringFactory

_ = TranslationStringFactory("serepok")

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
ISBN_RE = re.compile(r"^(97[89])?[0-9]{9}[0-9X]$")
DIGITS_RE = re.compile(r"^[0-9]+$")


@dataclasses.dataclass(frozen=True)
class Field:
    name: str
    title: object
    kind: str = "text"          # text | textarea | list | int | isbn | language | year
    required: bool = False
    max_length: int = 500
    help: object = None
    marc: str = ""              # the MARC 21 tag this field maps to, for the record view


def _nfc(value):
    return unicodedata.normalize("NFC", value).strip()


def _clean(field, value):
    """Return the cleaned value or raise ValueError with a translation string."""
    if field.kind == "list":
        if value is None:
            value = []
        if isinstance(value, str):
            items = [v for v in re.split(r"[;\n]", value)]
        elif isinstance(value, (list, tuple)):
            items = value
        else:
            raise ValueError(_("Must be a list of texts."))
        items = [_nfc(str(v)) for v in items if str(v).strip()]
        for item in items:
            if len(item) > field.max_length:
                raise ValueError(_("Each entry must be at most ${n} characters.",
                                   mapping={"n": field.max_length}))
        if field.required and not items:
            raise ValueError(_("This field is required."))
        return items
    if value is None:
        value = ""
    if not isinstance(value, (str, int)):
        raise ValueError(_("Must be text."))
    value = _nfc(str(value))
    if not value:
        if field.required:
            raise ValueError(_("This field is required."))
        return None if field.kind in ("int", "year") else ""
    if len(value) > field.max_length:
        raise ValueError(_("At most ${n} characters.", mapping={"n": field.max_length}))
    if field.kind == "int":
        if not DIGITS_RE.match(value):
            raise ValueError(_("Must be a whole number."))
        return int(value)
    if field.kind == "year":
        if not (DIGITS_RE.match(value) and 1000 <= int(value) <= datetime.date.today().year + 1):
            raise ValueError(_("Must be a year such as 1975."))
        return int(value)
    if field.kind == "isbn":
        digits = value.replace("-", "").replace(" ", "").upper()
        if not ISBN_RE.match(digits) or not isbn_valid(digits):
            raise ValueError(_("Not a valid ISBN-10 or ISBN-13."))
        return digits
    if field.kind == "language":
        if not re.match(r"^[a-z]{3}$", value):
            raise ValueError(_("Use a three-letter MARC language code such as vie."))
        return value
    return value


def isbn_valid(digits):
    if len(digits) == 10:
        total = sum((10 - i) * (10 if c == "X" else int(c)) for i, c in enumerate(digits))
        return total % 11 == 0
    if len(digits) == 13 and digits.isdigit():
        total = sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(digits))
        return total % 10 == 0
    return False


def validate(schema, data, partial=False):
    """Validate ``data`` against ``schema``.

    With ``partial`` (JSON PATCH), absent fields are left alone instead of
    being required.  Unknown keys are ignored by the caller's choice of data.
    """
    clean, errors = {}, {}
    for field in schema:
        if partial and field.name not in data:
            continue
        try:
            clean[field.name] = _clean(field, data.get(field.name))
        except ValueError as exc:
            errors[field.name] = exc.args[0]
    return clean, errors


def validate_name(name):
    """A URL name (slug) for a new object, or an error message."""
    if not NAME_RE.match(name or ""):
        return _("Use lower-case letters, digits and hyphens (at most 80).")
    return None


def slugify(text):
    """A URL name from a Vietnamese title: 'Lịch sử Đắk Lắk' -> 'lich-su-dak-lak'."""
    text = unicodedata.normalize("NFD", text or "").replace("đ", "d").replace("Đ", "D")
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return text[:80].strip("-") or "muc"


COMMON = (
    Field("title", _("Title"), required=True, max_length=300, marc="245a"),
    Field("description", _("Description"), kind="textarea", max_length=5000, marc="520a"),
)

DUBLIN_CORE = (
    Field("creators", _("Authors"), kind="list", marc="100a/700a",
          help=_("One per line, surname first: Nguyễn Văn A")),
    Field("subjects", _("Subjects"), kind="list", marc="650a"),
    Field("publisher", _("Publisher"), max_length=300, marc="264b"),
    Field("place", _("Place of publication"), max_length=200, marc="264a"),
    Field("year", _("Year"), kind="year", marc="264c"),
    Field("language", _("Language"), kind="language", marc="041a",
          help=_("MARC code: vie, eng, fre...")),
    Field("isbn", _("ISBN"), kind="isbn", marc="020a"),
    Field("ddc", _("DDC class"), max_length=30, marc="082a"),
    Field("call_number", _("Call number"), max_length=60, marc="090a"),
    Field("extent", _("Extent"), max_length=200, marc="300a",
          help=_("For example: 215 tr. ; 21 cm")),
    Field("series", _("Series"), max_length=300, marc="490a"),
    Field("rights", _("Rights"), kind="textarea", max_length=2000, marc="540a"),
    Field("coverage", _("Place or period covered"), max_length=300, marc="651a"),
)

"""The QR code of the chip citizen ID card (CCCD, and the 2024 "thẻ căn cước").

The QR holds UTF-8 text with fields separated by ``|``.  The 2021 card has
seven: ID number, old 9-digit CMND (may be empty), full name, birth date
(ddMMyyyy), sex (Nam/Nữ), permanent address, issue date.  Some readers give a
six-field form without the old ID; the 2024 card adds fields (a cancelled ID
number, sometimes the parents' names).

So the parser does not trust positions: it counts the fields, then maps them
by what they look like, in the order the card prints them (ID, old ID, name,
birth date, sex, address, issue date), and keeps whatever it cannot place as
``extras``.  Anything that does not have the shape of a CCCD payload is
refused with a message a person can act on, in Vietnamese and English.
"""
import dataclasses
import datetime
import re
import unicodedata

from pyramid.i18n import TranslationStringFactory

_ = TranslationStringFactory("serepok")

__all__ = ["CccdData", "CccdError", "parse", "parse_date"]

MAX_LENGTH = 2000
ID_RE = re.compile(r"^\d{12}$")
OLD_ID_RE = re.compile(r"^(\d{9}|\d{12})$")
DATE_RE = re.compile(r"^\d{8}$")
#: what scanners in keyboard mode make of "Nữ" besides the right thing
SEXES = {"nam": "Nam", "nữ": "Nữ", "nu": "Nữ", "nư": "Nữ", "nũ": "Nữ"}


class CccdError(ValueError):
    """The text is not a CCCD QR payload; ``message`` says why (translatable)."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclasses.dataclass
class CccdData:
    id_number: str
    full_name: str
    birth_date: datetime.date
    sex: str
    address: str = ""
    old_id_number: str = ""
    issue_date: datetime.date | None = None
    extras: list = dataclasses.field(default_factory=list)   # fields we could not place
    field_count: int = 0

    def as_form(self):
        """The values as the registration form's fields want them."""
        return {"full_name": self.full_name, "id_number": self.id_number,
                "birth_date": self.birth_date.isoformat(), "sex": self.sex,
                "address": self.address, "old_id_number": self.old_id_number}


def parse_date(text):
    """A ddMMyyyy date, or None when ``text`` is not one."""
    if not DATE_RE.match(text or ""):
        return None
    try:
        return datetime.date(int(text[4:]), int(text[2:4]), int(text[:2]))
    except ValueError:
        return None


def _kind(value):
    if value == "":
        return "empty"
    if parse_date(value) is not None:
        return "date"
    if OLD_ID_RE.match(value):
        return "number"
    if value.lower() in SEXES:
        return "sex"
    if value.isdigit():
        return "number"
    return "text"


def parse(payload, today=None):
    """Parse the text of a CCCD QR code into :class:`CccdData`, or raise :class:`CccdError`."""
    today = today or datetime.date.today()
    if not isinstance(payload, str):
        raise CccdError(_("The QR code text is empty."))
    text = unicodedata.normalize("NFC", payload).strip().strip("\x00")
    if not text:
        raise CccdError(_("The QR code text is empty."))
    if len(text) > MAX_LENGTH:
        raise CccdError(_("This QR code is too long to be a chip ID card (CCCD) code."))
    if "\n" in text or "\r" in text:
        raise CccdError(_("The QR code text contains several lines; scan one chip ID card "
                          "(CCCD) code at a time."))
    fields = [f.strip() for f in text.split("|")]
    if len(fields) < 6:
        raise CccdError(_("This is not the QR code of a chip ID card (CCCD): it has ${n} "
                          "fields separated by |, a CCCD code has at least 6.",
                          mapping={"n": len(fields)}))
    if not ID_RE.match(fields[0]):
        raise CccdError(_("This is not the QR code of a chip ID card (CCCD): it must begin "
                          "with the 12-digit ID number."))
    data = {"id_number": fields[0]}
    extras = []
    # the card's order: old ID?, name, birth date, sex, address, issue date, then extras
    stage = "old_id"
    for position, value in enumerate(fields[1:], start=1):
        kind = _kind(value)
        if stage == "old_id":
            if kind in ("empty", "number"):
                data["old_id_number"] = value
                stage = "name"
                continue
            stage = "name"
        if stage == "name":
            if kind == "text":
                data["full_name"] = value
                stage = "birth"
            else:
                extras.append(value)
            continue
        if stage == "birth":
            if kind == "date":
                data["birth_date"] = parse_date(value)
                stage = "sex"
            elif kind == "sex":
                raise CccdError(_("This is not the QR code of a chip ID card (CCCD): no "
                                  "${what} found in it.", mapping={"what": _("birth date")}))
            elif kind == "number" and DATE_RE.match(value):
                raise CccdError(_("The birth date in the QR code (${value}) is not a real "
                                  "date (expected ddMMyyyy).", mapping={"value": value}))
            else:
                extras.append(value)
            continue
        if stage == "sex":
            if kind == "sex":
                data["sex"] = SEXES[value.lower()]
                stage = "address"
            else:
                extras.append(value)
            continue
        if stage == "address":
            if kind in ("text", "sex", "empty"):
                data["address"] = value
                stage = "issue"
            else:
                extras.append(value)
            continue
        if stage == "issue" and kind == "date":
            data["issue_date"] = parse_date(value)
            stage = "extras"
            continue
        extras.append(value)
    missing = [label for key, label in (("full_name", _("name")),
                                        ("birth_date", _("birth date")),
                                        ("sex", _("sex"))) if key not in data]
    if missing:
        raise CccdError(_("This is not the QR code of a chip ID card (CCCD): no ${what} "
                          "found in it.", mapping={"what": missing[0]}))
    birth = data["birth_date"]
    if birth > today or birth.year < 1900:
        raise CccdError(_("The birth date in the QR code (${date}) is not possible.",
                          mapping={"date": birth.strftime("%d/%m/%Y")}))
    if "\ufffd" in data["full_name"] or "?" in data["full_name"]:
        raise CccdError(_("The name in the QR code has lost its Vietnamese letters (the "
                          "scanner is in keyboard mode): set the scanner to serial mode "
                          "or type the name."))
    return CccdData(extras=extras, field_count=len(fields), **data)

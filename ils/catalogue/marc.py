"""MARC 21 records as the catalogue handles them.

``MarcRecord`` is a leader and a list of ``ControlField`` / ``DataField``, in
Unicode NFC whatever the file held (``encoding`` says what that was). The
syntaxes live next door: ``iso2709`` and ``marcxml`` read and write one record;
``marcfile`` reads a whole file, telling the syntaxes apart by content, and
yields an ``Entry`` per record: the record, or why it could not be read and
where it is. ``charsets`` decides and converts the character encoding.
"""
from .report import Reason

__all__ = ["ControlField", "DataField", "MarcRecord", "Entry", "RecordError", "reason",
           "MARCXML_NS", "CONTROL_TAGS", "language_codes", "may_be_vietnamese"]

MARCXML_NS = "http://www.loc.gov/MARC21/slim"
CONTROL_TAGS = frozenset(f"{n:03d}" for n in range(10))     # 001-009 (and 000) hold no subfields


class ControlField:
    __slots__ = ("tag", "value")
    control = True

    def __init__(self, tag, value):
        self.tag, self.value = tag, value

    def __eq__(self, other):
        return (isinstance(other, ControlField)
                and (self.tag, self.value) == (other.tag, other.value))

    def __repr__(self):
        return f"={self.tag}  {self.value}"


class DataField:
    __slots__ = ("tag", "indicators", "subfields")
    control = False

    def __init__(self, tag, indicators, subfields):
        self.tag, self.indicators, self.subfields = tag, indicators, subfields

    def get(self, code, default=None):
        for sub_code, value in self.subfields:
            if sub_code == code:
                return value
        return default

    def values(self, codes):
        return [value for code, value in self.subfields if code in codes]

    def __eq__(self, other):
        return (isinstance(other, DataField) and (self.tag, self.indicators, self.subfields)
                == (other.tag, other.indicators, other.subfields))

    def __repr__(self):
        subs = "".join(f"${code}{value}" for code, value in self.subfields)
        indicators = self.indicators.replace(" ", "\\")
        return f"={self.tag}  {indicators}{subs}"


class MarcRecord:
    """A MARC record in Unicode NFC; ``encoding`` says what the file held."""

    __slots__ = ("leader", "fields", "encoding", "maybe_legacy", "raw")

    def __init__(self, leader, fields, encoding="utf-8", maybe_legacy=True, raw=None):
        self.leader, self.fields, self.encoding = leader, fields, encoding
        # False when the text holds no character legacy bytes read as cp1252 give
        self.maybe_legacy = maybe_legacy
        # the ISO 2709 bytes read, when they are exactly what to_iso2709 writes
        self.raw = raw

    def control(self, tag):
        for field in self.fields:
            if field.tag == tag and field.control:
                return field.value
        return None

    def languages(self):
        """The record's language codes (008/35-37, then 041 $a)."""
        packed = [value for field in self.fields if field.tag == "041" and not field.control
                  for code, value in field.subfields if code == "a"]
        return language_codes(self.control("008") or "", packed)

    def datafields(self, *tags):
        return [f for f in self.fields if not f.control and f.tag in tags]

    def __repr__(self):
        return "\n".join([f"=LDR  {self.leader}"] + [repr(f) for f in self.fields])


class RecordError(Exception):
    """A record that cannot be read; ``reason`` says why."""

    def __init__(self, reason):
        super().__init__(str(reason))
        self.reason = reason


class Entry:
    """One record of a file: ``record`` or ``error`` (a Reason), and its place."""

    __slots__ = ("number", "offset", "line", "record", "error", "control_number")

    def __init__(self, number, record=None, error=None, offset=None, line=None,
                 control_number=None):
        self.number, self.record, self.error = number, record, error
        self.offset, self.line, self.control_number = offset, line, control_number


def reason(english, vietnamese, **mapping):
    return Reason.of(english, vietnamese, **mapping)


UNDETERMINED = frozenset({"und", "mul", "zxx", "mis"})


def language_codes(fixed, packed):
    """Language codes, in order and once each: 008/35-37 (``fixed`` is the 008
    text), then each 041 $a (``packed``; old records pack several codes in one
    subfield: ``vieeng``)."""
    codes = []
    if len(fixed) >= 38:
        code = fixed[35:38].strip().lower()
        if len(code) == 3 and code.isalpha():
            codes.append(code)
    for value in packed:
        value = value.strip().lower()
        codes.extend(value[i:i + 3] for i in range(0, len(value) - 2, 3)
                     if value[i:i + 3].isalpha())
    return list(dict.fromkeys(codes))


def may_be_vietnamese(codes):
    """False when the record names only languages other than Vietnamese.

    Legacy Vietnamese encodings are looked for only in records that may be
    Vietnamese: a French ``août`` or a Danish ``træ`` read as VNI or TCVN3
    turns into Vietnamese-looking letters, so a record that says it is
    French, Danish or Chinese is never converted.
    """
    known = [code for code in codes if code not in UNDETERMINED]
    return not known or "vie" in known

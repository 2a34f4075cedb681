"""Character encodings of MARC records: which one a record is in, and Unicode NFC out.

ISO 2709 records are decoded by the leader (position 9: ``a`` UTF-8, blank
MARC-8), but the leader is not trusted blindly: UTF-8 data under a MARC-8
leader is read as UTF-8, TCVN3 or VNI bytes (the legacy Vietnamese fonts) are
detected and converted, and bytes that fit no known encoding reject the record
instead of turning into mojibake. A caller who knows better can force an
encoding (``marc-8``, ``utf-8``, ``tcvn3``, ``vni`` or a Python codec such as
``cp1258``). Unicode text that is really TCVN3 or VNI read as Windows-1252
(``ViÖt Nam``) is converted too, in both syntaxes. Control characters, which
MARCXML cannot carry, are dropped.
"""
import codecs
import re
import unicodedata

from pymarc.marc8 import MARC8ToUnicode
from pymarc.marc8_mapping import CODESETS

from federation.analysis import convert_legacy, detect_legacy

from .marc import RecordError, may_be_vietnamese, reason

__all__ = ["check_encoding", "choose_encoding", "decoder", "clean",
           "clean_indicators", "odd_code", "may_be_legacy", "convert_mojibake", "SLOW_ENCODINGS"]

# Decoded a subfield at a time (MARC-8 escapes, legacy detection); any other
# codec decodes a whole field, whose marks are ASCII.
SLOW_ENCODINGS = ("marc-8", "tcvn3", "vni")
_CONTROL = re.compile("[\x00-\x1f\x7f]")
# Bytes MARC-8 uses for extended Latin (ANSEL); TCVN3, VNI and Windows code
# pages use others, which is how a wrong MARC-8 label is caught.
_ANSEL = frozenset(code for code in CODESETS[0x45] if code >= 0x80)
_ANSEL_COMBINING = frozenset(range(0xE0, 0xFF)) & _ANSEL


def check_encoding(name):
    """The canonical name of an encoding a caller may force: ``marc-8``,
    ``tcvn3`` (also ``abc``), ``vni`` or a Python codec (``utf-8``, ``cp1258``);
    raises ValueError for any other."""
    key = (name or "").strip().lower().replace("_", "-")
    if key in ("marc8", "marc-8", "ansel"):
        return "marc-8"
    if key in ("tcvn3", "tcvn", "abc", "vni"):
        return "vni" if key == "vni" else "tcvn3"
    try:
        return codecs.lookup(key).name.replace("_", "-")
    except LookupError:
        raise ValueError(f"unknown encoding {name!r}") from None


def plausible_marc8(values):
    """True when the byte strings could be MARC-8: extended Latin codes only."""
    for value in values:
        if b"\x1b" in value:
            return True          # escapes to other MARC-8 sets: let the decoder judge
        if value.isascii():
            continue
        if value[-1] in _ANSEL_COMBINING:
            return False         # MARC-8 diacritics precede their letter
        if any(byte >= 0x80 and byte not in _ANSEL for byte in value):
            return False
    return True


def choose_encoding(leader, values, forced, vietnamese=True):
    """The encoding of a record's subfield values (bytes): UTF-8 when they are
    valid UTF-8 (``utf-8-unlabelled`` under a MARC-8 leader), else TCVN3 or VNI
    when they read as such, else MARC-8 when they can be; RecordError otherwise.
    A record in another language than Vietnamese (``vietnamese`` False) is
    taken as MARC-8 whenever it can be, before any legacy encoding is tried."""
    if forced:
        return forced
    if all(value.isascii() for value in values):
        if not any(b"\x1b" in value for value in values):
            return "utf-8"
        if leader[9] == "a":
            return "utf-8"
        return "marc-8"
    blob = b"\x1f".join(values)
    if leader[9] == "a" or b"\x1b" not in blob:
        try:
            blob.decode("utf-8")
            return "utf-8" if leader[9] == "a" else "utf-8-unlabelled"
        except UnicodeDecodeError as exc:
            bad_utf8 = exc
    else:
        bad_utf8 = None
    marc8 = plausible_marc8(values)
    if marc8 and not vietnamese:
        return "marc-8"
    legacy = detect_legacy(b" ".join(v for v in values if not v.isascii()))
    if legacy:
        return legacy
    if marc8:
        return "marc-8"
    if leader[9] == "a" and bad_utf8 is not None:
        raise RecordError(reason(
            "The leader says UTF-8 but the text is not valid UTF-8 (byte ${byte}), nor MARC-8, "
            "TCVN3 or VNI.",
            "Đầu biểu ghi ghi UTF-8 nhưng văn bản không phải UTF-8 hợp lệ (byte ${byte}), "
            "cũng không phải MARC-8, TCVN3 hay VNI.",
            byte=f"0x{blob[bad_utf8.start]:02X}"))
    raise RecordError(reason(
        "The text is in an encoding that is neither UTF-8, MARC-8, TCVN3 nor VNI; "
        "import the file again naming its encoding.",
        "Văn bản ở bảng mã không phải UTF-8, MARC-8, TCVN3 hay VNI; hãy nhập lại tệp và "
        "chỉ rõ bảng mã."))


def decoder(encoding):
    """A function decoding one value (bytes) of that encoding to str."""
    if encoding in ("utf-8", "utf-8-unlabelled"):
        return lambda value: value.decode("utf-8")
    if encoding == "marc-8":
        def marc8(value):
            # a fresh converter per value: MARC-8 escapes do not outlive a subfield
            return MARC8ToUnicode(quiet=True).translate(value) if value else ""
        return marc8
    if encoding in ("tcvn3", "vni"):
        return lambda value: (value.decode("ascii") if value.isascii()
                              else convert_legacy(value, encoding))
    return lambda value: value.decode(encoding)


def clean(value):
    """``value`` without control characters, in NFC."""
    if _CONTROL.search(value):
        value = _CONTROL.sub("", value)
    if not value.isascii() and not unicodedata.is_normalized("NFC", value):
        value = unicodedata.normalize("NFC", value)
    return value


# Text a Windows-1252 or Latin-1 reader can produce from bytes.
_NOT_BYTE_TEXT = re.compile(
    "[^\x00-\xff" + bytes(range(0x80, 0xA0)).decode("cp1252", "ignore") + "]")
# Letters both Unicode Vietnamese and legacy bytes read as Latin-1 contain.
_VIETNAMESE_LATIN1 = frozenset("àáâãèéêìíòóôõùúýÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝ")
# The others: any of them in a record makes it worth examining for legacy text.
_STRONG = re.compile("[" + re.escape("".join(sorted(
    (set(bytes(range(0x80, 0x100)).decode("latin-1"))
     | set(bytes(range(0x80, 0xA0)).decode("cp1252", "ignore")))
    - _VIETNAMESE_LATIN1))) + "]")


def may_be_legacy(text):
    """False when ``text`` holds none of the characters TCVN3 or VNI bytes read
    as Windows-1252 give and Unicode Vietnamese never uses (``§ Ö ©``, ``ñ ø ö``)."""
    return _STRONG.search(text) is not None


def convert_mojibake(record):
    """Convert subfields holding TCVN3/VNI text read as Windows-1252; return the
    legacy encoding found, or None. The whole record is judged at once, so short
    ambiguous values are converted along with the clear ones.

    Only records that may be Vietnamese (see ``marc.may_be_vietnamese``) and
    hold some character that Unicode Vietnamese text does not use (``§ Ö ©``
    for TCVN3, ``ñ ø ö`` for VNI…) are examined: legacy text of any length has
    them, and plain Unicode records are spared the analysis.
    """
    if not record.maybe_legacy or not may_be_vietnamese(record.languages()):
        return None
    places, texts = [], []
    for field in record.fields:
        if field.control:
            continue
        for index, (code, value) in enumerate(field.subfields):
            if not value.isascii() and _NOT_BYTE_TEXT.search(value) is None:
                places.append((field, index))
                texts.append(value)
    if not texts:
        return None
    joined = " ".join(texts)
    if not may_be_legacy(joined):
        return None
    legacy = detect_legacy(joined)
    if legacy is None:
        return None
    for field, index in places:
        code, value = field.subfields[index]
        field.subfields[index] = (code, convert_legacy(value, legacy))
    record.raw = None
    return legacy


def odd_code(text):
    """A subfield whose code is not ASCII: keep the letter without its diacritic."""
    first, rest = text[:1], text[1:]
    code = unicodedata.normalize("NFKD", first).encode("ascii", "ignore").decode()[:1]
    if not code and rest:
        code, rest = rest[0], rest[1:]
    return (code or " ", rest)


_INDICATORS = {a + b: a + b for a in " 0123456789abcdefghijklmnopqrstuvwxyz|#"
               for b in " 0123456789abcdefghijklmnopqrstuvwxyz|#"}


def clean_indicators(text):
    """Indicators as printable ASCII (anything else becomes a blank)."""
    if text in _INDICATORS:
        return text
    return "".join(c if c.isascii() and c.isprintable() else " " for c in text)


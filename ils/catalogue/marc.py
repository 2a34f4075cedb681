"""Reading and writing MARC 21 records: ISO 2709 or MARCXML, in any encoding a
Vietnamese library has used.

``read_marc(source)`` tells the two syntaxes apart by content and yields one
``Entry`` per record in file order: the record, or the reason it could not be
read and where it is. Text comes out as Unicode NFC whatever the file held:

* ISO 2709 records are decoded by the leader (position 9: ``a`` UTF-8, blank
  MARC-8), but the leader is not trusted blindly: UTF-8 data under a MARC-8
  leader is read as UTF-8, TCVN3 or VNI bytes (the legacy Vietnamese fonts) are
  detected and converted, and bytes that fit no known encoding reject the
  record instead of turning into mojibake. A caller who knows better can force
  an encoding (``marc-8``, ``utf-8``, ``tcvn3``, ``vni`` or a Python codec such
  as ``cp1258``).
* Unicode text that is really TCVN3 or VNI read as Windows-1252 (``ViÖt Nam``)
  is converted too, in both syntaxes.
* Control characters, which MARCXML cannot carry, are dropped.

A damaged ISO 2709 record does not take its neighbours with it: records are
delimited by their declared length, then by the end-of-record mark, and a
record cut short is detected by the next leader inside it.

Records are kept as ``MarcRecord``: a leader and a list of ``ControlField`` /
``DataField``. ``to_iso2709`` writes the canonical UTF-8 form that the
catalogue stores; a record too long for ISO 2709 is stored as MARCXML.
"""
import codecs
import io
import mmap
import os
import re
import unicodedata
from itertools import accumulate

from lxml import etree
from pymarc.marc8 import MARC8ToUnicode
from pymarc.marc8_mapping import CODESETS

from federation.analysis import convert_legacy, detect_legacy

from .report import NotMarcError, Reason

__all__ = ["ControlField", "DataField", "MarcRecord", "Entry", "RecordError", "read_marc",
           "sniff", "to_iso2709", "to_marcxml", "from_iso2709", "from_marcxml", "ENCODINGS",
           "check_encoding", "TooLongForIso2709"]

MARCXML_NS = "http://www.loc.gov/MARC21/slim"
FIELD_END = b"\x1e"
RECORD_END = b"\x1d"
SUBFIELD = b"\x1f"
ENCODINGS = ("utf-8", "marc-8", "tcvn3", "vni")   # plus any Python codec, by name

# MARC 21 tags are three letters or digits; some systems write stranger ones
# (a blank inside), which are kept as they are.
_TAG = re.compile(r"[ -~]{3}\Z")
_DIRECTORY_ENTRY = re.compile(rb"[ -~]{3}\d{9}")
_DIRECTORY = re.compile(rb"(?:[ -~]{3}\d{9})+")
_ENTRIES = re.compile(r"([ -~]{3})(\d{4})(\d{5})")
_CONTROL_TAGS = frozenset(f"{n:03d}" for n in range(10))
# A leader followed by the first directory entry: used to find where the next
# record starts when a record is cut short or its length is wrong.
_LEADER = re.compile(rb"\d{5}[a-z ]{5}[\d ]{2}\d{5}[ -~]{3}[\d ]{4}[0-9A-Za-z]{3}\d{9}")
_CONTROL = re.compile("[\x00-\x1f\x7f]")
_FIELD_CONTROL = re.compile("[\x00-\x1e\x7f]")      # 0x1F still separates subfields here
_ODD_CODE = re.compile("\x1f[^\x00-\x7f]")
_RECORD_CONTROL = re.compile("[\x00-\x1d\x7f]")     # in a whole record: 0x1E, 0x1F are marks
_BETWEEN_RECORDS = frozenset(b"\r\n\t \x00\x1a")
# Bytes MARC-8 uses for extended Latin (ANSEL); TCVN3, VNI and Windows code
# pages use others, which is how a wrong MARC-8 label is caught.
_ANSEL = frozenset(code for code in CODESETS[0x45] if code >= 0x80)
_ANSEL_COMBINING = frozenset(range(0xE0, 0xFF)) & _ANSEL


class ControlField:
    __slots__ = ("tag", "value")
    control = True

    def __init__(self, tag, value):
        self.tag, self.value = tag, value

    def __eq__(self, other):
        return isinstance(other, ControlField) and (self.tag, self.value) == (other.tag, other.value)

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


def _reason(english, vietnamese, **mapping):
    return Reason.of(english, vietnamese, **mapping)


# --- Encodings ---------------------------------------------------------------

def check_encoding(name):
    """Return the canonical name of an encoding a caller may force, or raise ValueError."""
    key = (name or "").strip().lower().replace("_", "-")
    if key in ("marc8", "marc-8", "ansel"):
        return "marc-8"
    if key in ("tcvn3", "tcvn", "abc", "vni"):
        return "vni" if key == "vni" else "tcvn3"
    try:
        return codecs.lookup(key).name.replace("_", "-")
    except LookupError:
        raise ValueError(f"unknown encoding {name!r}") from None


def _plausible_marc8(values):
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


def _choose_encoding(leader, values, forced):
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
    legacy = detect_legacy(b" ".join(v for v in values if not v.isascii()))
    if legacy:
        return legacy
    if _plausible_marc8(values):
        return "marc-8"
    if leader[9] == "a" and bad_utf8 is not None:
        raise RecordError(_reason(
            "The leader says UTF-8 but the text is not valid UTF-8 (byte ${byte}), nor MARC-8, "
            "TCVN3 or VNI.",
            "Đầu biểu ghi ghi UTF-8 nhưng văn bản không phải UTF-8 hợp lệ (byte ${byte}), "
            "cũng không phải MARC-8, TCVN3 hay VNI.",
            byte=f"0x{blob[bad_utf8.start]:02X}"))
    raise RecordError(_reason(
        "The text is in an encoding that is neither UTF-8, MARC-8, TCVN3 nor VNI; "
        "import the file again naming its encoding.",
        "Văn bản ở bảng mã không phải UTF-8, MARC-8, TCVN3 hay VNI; hãy nhập lại tệp và "
        "chỉ rõ bảng mã."))


def _decoder(encoding):
    if encoding in ("utf-8", "utf-8-unlabelled"):
        return lambda value: value.decode("utf-8")
    if encoding == "marc-8":
        def marc8(value):
            # a fresh converter per value: MARC-8 escapes do not outlive a subfield
            return MARC8ToUnicode(quiet=True).translate(value) if value else ""
        return marc8
    if encoding in ("tcvn3", "vni"):
        return lambda value: convert_legacy(value, encoding) if not value.isascii() else value.decode()
    return lambda value: value.decode(encoding)


def _clean(value):
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


def convert_mojibake(record):
    """Convert subfields holding TCVN3/VNI text read as Windows-1252; return the
    legacy encoding found, or None. The whole record is judged at once, so short
    ambiguous values are converted along with the clear ones.

    Only records holding some character that Unicode Vietnamese text does not
    use (``§ Ö ©`` for TCVN3, ``ñ ø ö`` for VNI…) are examined: legacy text of
    any length has them, and plain Unicode records are spared the analysis.
    """
    if not record.maybe_legacy:
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
    if _STRONG.search(joined) is None:
        return None
    legacy = detect_legacy(joined)
    if legacy is None:
        return None
    for field, index in places:
        code, value = field.subfields[index]
        field.subfields[index] = (code, convert_legacy(value, legacy))
    record.raw = None
    return legacy


# --- ISO 2709 ------------------------------------------------------------------

def _split_fields(chunk):
    """Leader and raw fields of one ISO 2709 record (bytes ending with 0x1D)."""
    if len(chunk) < 26:
        raise RecordError(_reason("The record is shorter than its leader.",
                                  "Biểu ghi ngắn hơn phần đầu biểu ghi (leader)."))
    head = chunk[:24]
    if not head.isascii():
        raise RecordError(_reason("The leader holds non-ASCII bytes.",
                                  "Đầu biểu ghi (leader) chứa byte không phải ASCII."))
    leader = head.decode("ascii")
    if not leader[:5].isdigit() or not leader[12:17].isdigit():
        raise RecordError(_reason(
            "The leader is damaged: its record length or base address is not a number.",
            "Đầu biểu ghi (leader) bị hỏng: độ dài biểu ghi hoặc địa chỉ dữ liệu không phải số."))
    directory_end = chunk.find(FIELD_END, 24)
    if directory_end < 0:
        raise RecordError(_reason("The directory has no end mark.",
                                  "Danh mục (directory) không có dấu kết thúc."))
    directory = chunk[24:directory_end]
    if not directory or len(directory) % 12:
        raise RecordError(_reason("The directory is damaged (its length is not a multiple of 12).",
                                  "Danh mục (directory) bị hỏng (độ dài không chia hết cho 12)."))
    if not _DIRECTORY.fullmatch(directory):
        number = next(n for n in range(1, len(directory) // 12 + 1)
                      if not _DIRECTORY_ENTRY.fullmatch(directory[12 * n - 12:12 * n]))
        raise RecordError(_reason("Directory entry ${n} is damaged.",
                                  "Mục thứ ${n} của danh mục (directory) bị hỏng.", n=number))
    entries = _ENTRIES.findall(directory.decode("ascii"))
    tags = [entry[0] for entry in entries]
    base = directory_end + 1
    body = chunk[base:-1] if chunk.endswith(RECORD_END) else chunk[base:]
    parts = body.split(FIELD_END)
    trailing = parts.pop()
    if len(parts) == len(entries) and not trailing.strip(b" \r\n"):
        if [len(part) + 1 for part in parts] == [int(entry[1]) for entry in entries]:
            return leader, tags, parts, body
    # The data is not in directory order, or lengths were counted in characters:
    # trust the directory's offsets when they hold together, else the field marks.
    fields = []
    for _tag, length, start in entries:
        length, start = int(length), int(start)
        data = chunk[base + start:base + start + length]
        if len(data) != length or not data.endswith(FIELD_END):
            break
        fields.append(data[:-1])
    else:
        return leader, tags, fields, None
    if len(parts) == len(entries):
        return leader, tags, parts, None
    raise RecordError(_reason(
        "The directory lists ${listed} fields but the data holds ${found}.",
        "Danh mục (directory) ghi ${listed} trường nhưng phần dữ liệu có ${found}.",
        listed=len(entries), found=len(parts)))


def _fast_utf8(leader, tags, body, forced):
    """The common case: UTF-8 (or ASCII) data with fields in directory order,
    decoded and checked in one go. Returns (record, clean): record None when
    it needs the slow path, clean when no character had to be changed."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None, False
    if leader[9] != "a" and not forced and "\x1b" in text:
        return None, False                # MARC-8 escapes to other character sets
    plain = text.isascii()
    encoding = "utf-8" if leader[9] == "a" or plain or forced else "utf-8-unlabelled"
    texts = text.split("\x1e")[:len(tags)]
    clean = _RECORD_CONTROL.search(text) is None and (
        plain or (unicodedata.is_normalized("NFC", text) and _ODD_CODE.search(text) is None))
    if not clean:
        fields = [_text_field(tag, part) for tag, part in zip(tags, texts)]
    else:
        fields = []
        for tag, part in zip(tags, texts):
            if tag in _CONTROL_TAGS:
                fields.append(ControlField(tag, part))
            else:
                subs = part.split("\x1f")
                fields.append(DataField(tag, _INDICATORS.get(subs[0]) or _indicators(subs[0][:2].ljust(2)),
                                        [(sub[0], sub[1:]) for sub in subs[1:] if sub]))
    return MarcRecord(leader[:9] + "a" + leader[10:], fields, encoding,
                      maybe_legacy=not plain and _STRONG.search(text) is not None), clean


def _canonical(chunk, leader, parts):
    """True when ``chunk`` is byte for byte what ``to_iso2709`` would write."""
    if leader[10:12] != "22" or leader[20:24] != "4500" or int(leader[:5]) != len(chunk):
        return False
    base = 24 + 12 * len(parts) + 1
    if int(leader[12:17]) != base or len(chunk) != base + sum(map(len, parts)) + len(parts) + 1:
        return False
    offsets = [int(chunk[i:i + 5]) for i in range(31, base - 1, 12)]
    return offsets == list(accumulate([0] + [len(part) + 1 for part in parts[:-1]]))


# Codecs whose text can be split on the ASCII marks after decoding a whole field.
_SLOW_ENCODINGS = ("marc-8", "tcvn3", "vni")


def _decode_record(leader, raw_fields, forced):
    leader_out = leader[:9] + "a" + leader[10:]
    if forced is None:
        # The common case first: UTF-8 (or plain ASCII) data, a field at a time.
        escapes = leader[9] != "a" and any(b"\x1b" in data for _tag, data in raw_fields)
        if not escapes:
            try:
                texts = [(tag, data.decode("utf-8")) for tag, data in raw_fields]
            except UnicodeDecodeError:
                pass
            else:
                encoding = "utf-8"
                if leader[9] != "a" and not all(text.isascii() for _tag, text in texts):
                    encoding = "utf-8-unlabelled"
                return MarcRecord(leader_out, [_text_field(tag, text) for tag, text in texts],
                                  encoding)
    elif forced not in _SLOW_ENCODINGS:
        try:
            texts = [(tag, data.decode(forced)) for tag, data in raw_fields]
        except UnicodeDecodeError as exc:
            raise RecordError(_reason("The text cannot be read as ${encoding}: ${error}.",
                                      "Không đọc được văn bản theo bảng mã ${encoding}: ${error}.",
                                      encoding=forced, error=str(exc)[:120])) from None
        return MarcRecord(leader_out, [_text_field(tag, text) for tag, text in texts], forced)
    return _decode_record_slowly(leader_out, leader, raw_fields, forced)


def _text_field(tag, text):
    """A field from its decoded text (subfield marks still in it)."""
    dirty = _FIELD_CONTROL.search(text) is not None or (
        not text.isascii() and not unicodedata.is_normalized("NFC", text))
    if tag in _CONTROL_TAGS:
        return ControlField(tag, _clean(text) if dirty else text)
    parts = text.split("\x1f")
    head = parts[0]
    indicators = _INDICATORS.get(head) or _indicators(head[:2].ljust(2))
    if dirty or _ODD_CODE.search(text) is not None:
        subfields = [_odd_code(_clean(part)) if not part[0].isascii()
                     else (part[0], _clean(part[1:])) for part in parts[1:] if part]
    else:
        subfields = [(part[0], part[1:]) for part in parts[1:] if part]
    return DataField(tag, indicators, subfields)


def _decode_record_slowly(leader_out, leader, raw_fields, forced):
    """MARC-8, TCVN3, VNI: decide the encoding on the subfield values, decode each."""
    parsed, values = [], []
    for tag, data in raw_fields:
        if tag in _CONTROL_TAGS:
            parsed.append((tag, None, data))
            values.append(data)
            continue
        start = data.find(SUBFIELD)
        head = data if start < 0 else data[:start]
        indicators = head[:2].decode("latin-1").ljust(2)
        subfields = []
        if start >= 0:
            for chunk in data[start + 1:].split(SUBFIELD):
                if chunk:
                    subfields.append(chunk)
                    values.append(chunk[1:] if chunk[0] < 0x80 else chunk)
        parsed.append((tag, indicators, subfields))
    encoding = _choose_encoding(leader, values, forced)
    decode = _decoder(encoding)
    fields = []
    try:
        for tag, indicators, content in parsed:
            if indicators is None:
                fields.append(ControlField(tag, _clean(decode(content))))
                continue
            subfields = []
            for chunk in content:
                if chunk[0] < 0x80:
                    subfields.append((chr(chunk[0]), _clean(decode(chunk[1:]))))
                else:
                    subfields.append(_odd_code(_clean(decode(chunk))))
            fields.append(DataField(tag, _indicators(indicators), subfields))
    except (UnicodeDecodeError, ValueError, IndexError, TypeError) as exc:
        raise RecordError(_reason("The text cannot be read as ${encoding}: ${error}.",
                                  "Không đọc được văn bản theo bảng mã ${encoding}: ${error}.",
                                  encoding=encoding, error=str(exc)[:120])) from None
    return MarcRecord(leader_out, fields, encoding)


def _odd_code(text):
    """A subfield whose code is not ASCII: keep the letter without its diacritic."""
    first, rest = text[:1], text[1:]
    code = unicodedata.normalize("NFKD", first).encode("ascii", "ignore").decode()[:1]
    if not code and rest:
        code, rest = rest[0], rest[1:]
    return (code or " ", rest)


def _indicators(text):
    return "".join(c if c.isascii() and c.isprintable() else " " for c in text)


_INDICATORS = {a + b: a + b for a in " 0123456789abcdefghijklmnopqrstuvwxyz|#"
               for b in " 0123456789abcdefghijklmnopqrstuvwxyz|#"}


def from_iso2709(chunk, encoding=None):
    """Parse one ISO 2709 record (bytes); raises RecordError."""
    leader, tags, parts, body = _split_fields(chunk)
    if body is not None and encoding in (None, "utf-8"):
        record, clean = _fast_utf8(leader, tags, body, forced=encoding is not None)
        if record is not None:
            if clean and leader[9] == "a" and _canonical(chunk, leader, parts):
                record.raw = bytes(chunk)
            return record
    return _decode_record(leader, list(zip(tags, parts)), encoding)


def _iso2709_entries(data, encoding):
    size, pos, number = len(data), 0, 0
    while True:
        while pos < size and data[pos] in _BETWEEN_RECORDS:
            pos += 1
        if pos >= size:
            return
        number += 1
        start, end = pos, None
        head = data[pos:pos + 5]
        if head.isdigit():
            length = int(head)
            if 25 < length and pos + length <= size and data[pos + length - 1] == 0x1D:
                end = pos + length
        resync = end is None
        if resync:
            mark = data.find(RECORD_END, pos)
            end = size if mark < 0 else mark + 1
        chunk = data[pos:end]
        if resync:
            # A record cut short runs into the next one: its leader shows where.
            following = _LEADER.search(chunk, 24)
            if following is not None:
                end = start + following.start()
                yield Entry(number, offset=start, error=_reason(
                    "The record is cut short: the next record starts at byte ${next}.",
                    "Biểu ghi bị cắt cụt: biểu ghi tiếp theo bắt đầu ở byte ${next}.", next=end))
                pos = end
                continue
            if mark < 0:
                yield Entry(number, offset=start, error=_reason(
                    "The file ends in the middle of this record.",
                    "Tệp kết thúc giữa chừng biểu ghi này."))
                return
        try:
            record = from_iso2709(chunk, encoding)
        except RecordError as exc:
            yield Entry(number, offset=start, error=exc.reason,
                        control_number=_raw_control_number(chunk))
        else:
            yield Entry(number, record=record, offset=start)
        pos = end


def _raw_control_number(chunk):
    """The 001 of a record that could not be read, when it can be found (for the report)."""
    try:
        directory_end = chunk.index(FIELD_END, 24)
        directory = chunk[24:directory_end]
        for i in range(0, len(directory) - 11, 12):
            if directory[i:i + 3] == b"001":
                length, start = int(directory[i + 3:i + 7]), int(directory[i + 7:i + 12])
                base = directory_end + 1
                value = chunk[base + start:base + start + length].rstrip(FIELD_END)
                return value.decode("ascii").strip() or None
    except (ValueError, UnicodeDecodeError):
        pass
    return None


# --- MARCXML -------------------------------------------------------------------

def _names(local):
    return (f"{{{MARCXML_NS}}}{local}", local)


_RECORD, _LEADER_TAG, _CONTROLFIELD, _DATAFIELD, _SUBFIELD, _COLLECTION = (
    _names(n) for n in ("record", "leader", "controlfield", "datafield", "subfield", "collection"))


def _xml_record(element):
    leader, fields = None, []
    for child in element:
        tag = child.tag
        if tag in _CONTROLFIELD:
            name = child.get("tag", "")
            if not _TAG.match(name):
                raise RecordError(_bad_tag(name))
            fields.append(ControlField(name, _clean(child.text or "")))
        elif tag in _DATAFIELD:
            name = child.get("tag", "")
            if not _TAG.match(name):
                raise RecordError(_bad_tag(name))
            indicators = _indicators((child.get("ind1") or " ")[:1] + (child.get("ind2") or " ")[:1])
            subfields = [((sub.get("code") or " ")[:1], _clean(sub.text or ""))
                         for sub in child if sub.tag in _SUBFIELD]
            fields.append(DataField(name, indicators, subfields))
        elif tag in _LEADER_TAG:
            leader = child.text or ""
    if leader is None:
        raise RecordError(_reason("The record has no leader.",
                                  "Biểu ghi không có phần đầu (leader)."))
    if len(leader) != 24 or not leader.isascii():
        raise RecordError(_reason(
            "The leader must have 24 ASCII characters; it has ${n}.",
            "Phần đầu biểu ghi (leader) phải có 24 ký tự ASCII; ở đây có ${n}.", n=len(leader)))
    if not fields:
        raise RecordError(_reason("The record has no fields.", "Biểu ghi không có trường nào."))
    record = MarcRecord(leader[:9] + "a" + leader[10:], fields, "utf-8")
    return record


def _bad_tag(name):
    return _reason("The tag “${tag}” is not three characters.",
                   "Nhãn trường “${tag}” không phải ba ký tự.", tag=name)


def from_marcxml(data):
    """Parse the first MARCXML record of ``data`` (bytes)."""
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    element = root if root.tag in _RECORD else next(iter(root.iter(*_RECORD)))
    return _xml_record(element)


class _XmlReader:
    """MARCXML records one at a time (lxml iterparse; memory stays flat)."""

    def __init__(self, stream):
        self.stream = stream
        self.stopped = None
        self.root_is_marc = False

    def entries(self):
        context = etree.iterparse(self.stream, events=("end",), tag=_RECORD, huge_tree=True,
                                  resolve_entities=False, no_network=True, load_dtd=False)
        number = 0
        try:
            for _event, element in context:
                parent = element.getparent()
                if element.tag == "record" and parent is not None and parent.tag not in _COLLECTION:
                    continue     # a "record" of some other vocabulary
                number += 1
                try:
                    yield Entry(number, record=_xml_record(element), line=element.sourceline)
                except RecordError as exc:
                    cn = next((c.text for c in element if c.tag in _CONTROLFIELD
                               and c.get("tag") == "001"), None)
                    yield Entry(number, error=exc.reason, line=element.sourceline,
                                control_number=(cn or "").strip() or None)
                element.clear(keep_tail=True)
                if parent is not None:
                    while element.getprevious() is not None:
                        del parent[0]
        except etree.XMLSyntaxError as exc:
            line = exc.position[0] if exc.position else (exc.lineno or 0)
            self.stopped = _reason(
                "The XML is broken at line ${line} (${error}); the records before it were read, "
                "the rest of the file was not.",
                "Tệp XML bị hỏng ở dòng ${line} (${error}); các biểu ghi trước đó đã được đọc, "
                "phần còn lại của tệp thì không.", line=line, error=exc.msg[:160])
            if number == 0:
                raise NotMarcError(_not_marc()) from None
        root = getattr(context, "root", None)
        self.root_is_marc = root is not None and root.tag in (_COLLECTION + _RECORD)
        if number == 0 and not self.root_is_marc and self.stopped is None:
            raise NotMarcError(_reason(
                "This XML file holds no MARCXML records; nothing was imported.",
                "Tệp XML này không chứa biểu ghi MARCXML nào; chưa nhập gì."))


# --- The file as a whole -------------------------------------------------------

def _not_marc():
    return _reason(
        "This file is neither MARC 21 (ISO 2709) nor MARCXML; nothing was imported.",
        "Tệp này không phải MARC 21 (ISO 2709) hay MARCXML; chưa nhập gì.")


def sniff(head):
    """``"iso2709"``, ``"marcxml"`` or None for the first bytes of a file."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"<") or head.startswith((b"\xff\xfe<", b"\xfe\xff\x00<")):
        return "marcxml"
    if re.match(rb"\d{5}[ -~]{7}\d{5}", text) or _LEADER.search(head):
        return "iso2709"
    return None


class MarcFile:
    """A MARC file opened for reading: ``format``, ``size`` and ``entries()``.

    ``source`` is a path, a binary file object or bytes. Raises NotMarcError
    for an empty file or one that is not MARC at all, before any record is read.
    """

    def __init__(self, source, encoding=None):
        self.encoding = check_encoding(encoding) if encoding else None
        self._closers = []
        self._path = None
        if isinstance(source, (bytes, bytearray, memoryview)):
            self.data = bytes(source)
        elif isinstance(source, (str, os.PathLike)):
            self._path = source
            handle = open(source, "rb")
            self._closers.append(handle.close)
            if os.fstat(handle.fileno()).st_size == 0:
                self.data = b""
            else:
                self.data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
                self._closers.insert(0, self.data.close)
        else:
            self.data = source.read()
        self.size = len(self.data)
        if not self.size or not self.data[:4096].strip(b" \t\r\n\x00\x1a"):
            self.close()
            raise NotMarcError(_reason("The file is empty; nothing was imported.",
                                       "Tệp rỗng; chưa nhập gì."))
        self.format = sniff(self.data[:65536])
        if self.format is None:
            self.close()
            raise NotMarcError(_not_marc())
        self.stopped = None
        self._xml = None
        self._stream = None
        self._offset = 0

    def entries(self):
        if self.format == "iso2709":
            entries = _iso2709_entries(self.data, self.encoding)
        else:
            stream = open(self._path, "rb") if self._path else io.BytesIO(self.data)
            self._closers.append(stream.close)
            self._stream = stream
            self._xml = _XmlReader(stream)
            entries = self._xml.entries()
        for entry in entries:
            if entry.offset is not None:
                self._offset = entry.offset
            record = entry.record
            if record is not None and record.encoding in ("utf-8", "utf-8-unlabelled"):
                legacy = convert_mojibake(record)
                if legacy:
                    record.encoding = legacy
            yield entry
        if self._xml is not None:
            self.stopped = self._xml.stopped

    def position(self):
        """How far reading has come, in bytes (for a progress bar)."""
        if self._stream is not None and not self._stream.closed:
            return self._stream.tell()
        return self._offset

    def close(self):
        for close in self._closers:
            close()
        self._closers = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def read_marc(source, encoding=None):
    """Yield an ``Entry`` for each record of ``source`` (see ``MarcFile``)."""
    with MarcFile(source, encoding) as marc:
        yield from marc.entries()


# --- Writing -------------------------------------------------------------------

class TooLongForIso2709(ValueError):
    pass


def to_iso2709(record):
    """The record as ISO 2709 bytes, UTF-8 (leader 9 ``a``)."""
    directory, body, offset = [], [], 0
    for field in record.fields:
        if field.control:
            data = field.value.encode("utf-8") + FIELD_END
        else:
            data = "\x1f".join([field.indicators]
                               + [code + value for code, value in field.subfields]
                               ).encode("utf-8") + FIELD_END
        length = len(data)
        if length > 9999 or offset > 99999:
            raise TooLongForIso2709(field.tag)
        directory.append(f"{field.tag}{length:04d}{offset:05d}")
        body.append(data)
        offset += length
    directory.append("\x1e")
    directory = "".join(directory).encode("ascii")
    base = 24 + len(directory)
    total = base + offset + 1
    if total > 99999:
        raise TooLongForIso2709("record")
    leader = record.leader
    head = f"{total:05d}{leader[5:9]}a22{base:05d}{leader[17:20]}4500".encode("ascii")
    body.append(RECORD_END)
    return head + directory + b"".join(body)


def to_marcxml(record, namespace=True):
    """The record as a MARCXML ``record`` element (bytes, UTF-8)."""
    ns = f"{{{MARCXML_NS}}}" if namespace else ""
    element = etree.Element(ns + "record", nsmap={None: MARCXML_NS} if namespace else None)
    etree.SubElement(element, ns + "leader").text = record.leader
    for field in record.fields:
        if field.control:
            etree.SubElement(element, ns + "controlfield", tag=field.tag).text = field.value
        else:
            node = etree.SubElement(element, ns + "datafield", tag=field.tag,
                                    ind1=field.indicators[0], ind2=field.indicators[1])
            for code, value in field.subfields:
                etree.SubElement(node, ns + "subfield", code=code).text = value
    return etree.tostring(element, encoding="utf-8")

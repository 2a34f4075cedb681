"""ISO 2709: MARC records in transmission format, one record read or written.

Reading is forgiving where a record is whole but oddly written (data out of
directory order, lengths counted in characters, a wrong base address) and
strict where it is damaged: a broken leader or directory rejects the record
with the reason. ``iso2709_entries`` walks a file: records are delimited by
their declared length, then by the end-of-record mark, and a record cut short
is detected by the next leader inside it, so it never takes its neighbours
with it.
"""
import re
import unicodedata
from itertools import accumulate

from .charsets import (SLOW_ENCODINGS, choose_encoding, clean, clean_indicators, decoder,
                       may_be_legacy, odd_code)
from .marc import (CONTROL_TAGS, ControlField, DataField, Entry, MarcRecord, RecordError,
                   language_codes, may_be_vietnamese, reason)

__all__ = ["from_iso2709", "to_iso2709", "iso2709_entries", "TooLongForIso2709", "LEADER"]

FIELD_END = b"\x1e"
RECORD_END = b"\x1d"
SUBFIELD = b"\x1f"
# MARC 21 tags are three letters or digits; some systems write stranger ones
# (a blank inside), which are kept as they are.
_DIRECTORY_ENTRY = re.compile(rb"[ -~]{3}\d{9}")
_DIRECTORY = re.compile(rb"(?:[ -~]{3}\d{9})+")
_ENTRIES = re.compile(r"([ -~]{3})(\d{4})(\d{5})")
# A leader followed by the first directory entry: where the next record starts
# when a record is cut short or its length is wrong.
LEADER = re.compile(rb"\d{5}[a-z ]{5}[\d ]{2}\d{5}[ -~]{3}[\d ]{4}[0-9A-Za-z]{3}\d{9}")
_FIELD_CONTROL = re.compile("[\x00-\x1e\x7f]")      # 0x1F still separates subfields here
_RECORD_CONTROL = re.compile("[\x00-\x1d\x7f]")     # in a whole record: 0x1E, 0x1F are marks
_ODD_CODE = re.compile("\x1f[^\x00-\x7f]")
_BETWEEN_RECORDS = frozenset(b"\r\n\t \x00\x1a")


def _split_fields(chunk):
    """Leader and raw fields of one ISO 2709 record (bytes ending with 0x1D)."""
    if len(chunk) < 26:
        raise RecordError(reason("The record is shorter than its leader.",
                                 "Biểu ghi ngắn hơn phần đầu biểu ghi (leader)."))
    head = chunk[:24]
    if not head.isascii():
        raise RecordError(reason("The leader holds non-ASCII bytes.",
                                 "Đầu biểu ghi (leader) chứa byte không phải ASCII."))
    leader = head.decode("ascii")
    if not leader[:5].isdigit() or not leader[12:17].isdigit():
        raise RecordError(reason(
            "The leader is damaged: its record length or base address is not a number.",
            "Đầu biểu ghi (leader) bị hỏng: độ dài biểu ghi hoặc địa chỉ dữ liệu không phải số."))
    directory_end = chunk.find(FIELD_END, 24)
    if directory_end < 0:
        raise RecordError(reason("The directory has no end mark.",
                                 "Danh mục (directory) không có dấu kết thúc."))
    directory = chunk[24:directory_end]
    if not directory or len(directory) % 12:
        raise RecordError(reason("The directory is damaged (its length is not a multiple of 12).",
                                 "Danh mục (directory) bị hỏng (độ dài không chia hết cho 12)."))
    if not _DIRECTORY.fullmatch(directory):
        number = next(n for n in range(1, len(directory) // 12 + 1)
                      if not _DIRECTORY_ENTRY.fullmatch(directory[12 * n - 12:12 * n]))
        raise RecordError(reason("Directory entry ${n} is damaged.",
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
    raise RecordError(reason(
        "The directory lists ${listed} fields but the data holds ${found}.",
        "Danh mục (directory) ghi ${listed} trường nhưng phần dữ liệu có ${found}.",
        listed=len(entries), found=len(parts)))


def _fast_utf8(leader, tags, body, forced):
    """The common case: UTF-8 (or ASCII) data with fields in directory order,
    decoded and checked in one go. Returns (record, unchanged): record None
    when it needs the slow path, unchanged when no character had to change."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None, False
    if leader[9] != "a" and not forced and "\x1b" in text:
        return None, False                # MARC-8 escapes to other character sets
    plain = text.isascii()
    encoding = "utf-8" if leader[9] == "a" or plain or forced else "utf-8-unlabelled"
    texts = text.split("\x1e")[:len(tags)]
    unchanged = _RECORD_CONTROL.search(text) is None and (
        plain or (unicodedata.is_normalized("NFC", text) and _ODD_CODE.search(text) is None))
    if not unchanged:
        fields = [_text_field(tag, part) for tag, part in zip(tags, texts)]
    else:
        fields = []
        for tag, part in zip(tags, texts):
            if tag in CONTROL_TAGS:
                fields.append(ControlField(tag, part))
            else:
                subs = part.split("\x1f")
                indicators = clean_indicators(subs[0][:2].ljust(2))
                fields.append(DataField(tag, indicators,
                                        [(sub[0], sub[1:]) for sub in subs[1:] if sub]))
    return MarcRecord(leader[:9] + "a" + leader[10:], fields, encoding,
                      maybe_legacy=not plain and may_be_legacy(text)), unchanged


def _canonical(chunk, leader, parts):
    """True when ``chunk`` is byte for byte what ``to_iso2709`` would write."""
    if leader[10:12] != "22" or leader[20:24] != "4500" or int(leader[:5]) != len(chunk):
        return False
    base = 24 + 12 * len(parts) + 1
    if int(leader[12:17]) != base or len(chunk) != base + sum(map(len, parts)) + len(parts) + 1:
        return False
    offsets = [int(chunk[i:i + 5]) for i in range(31, base - 1, 12)]
    return offsets == list(accumulate([0] + [len(part) + 1 for part in parts[:-1]]))


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
    elif forced not in SLOW_ENCODINGS:
        try:
            texts = [(tag, data.decode(forced)) for tag, data in raw_fields]
        except UnicodeDecodeError as exc:
            raise RecordError(reason("The text cannot be read as ${encoding}: ${error}.",
                                     "Không đọc được văn bản theo bảng mã ${encoding}: ${error}.",
                                     encoding=forced, error=str(exc)[:120])) from None
        return MarcRecord(leader_out, [_text_field(tag, text) for tag, text in texts], forced)
    return _decode_record_slowly(leader_out, leader, raw_fields, forced)


def _text_field(tag, text):
    """A field from its decoded text (subfield marks still in it)."""
    dirty = _FIELD_CONTROL.search(text) is not None or (
        not text.isascii() and not unicodedata.is_normalized("NFC", text))
    if tag in CONTROL_TAGS:
        return ControlField(tag, clean(text) if dirty else text)
    parts = text.split("\x1f")
    head = parts[0]
    indicators = clean_indicators(head[:2].ljust(2))
    if dirty or _ODD_CODE.search(text) is not None:
        subfields = [odd_code(clean(part)) if not part[0].isascii()
                     else (part[0], clean(part[1:])) for part in parts[1:] if part]
    else:
        subfields = [(part[0], part[1:]) for part in parts[1:] if part]
    return DataField(tag, indicators, subfields)


def _decode_record_slowly(leader_out, leader, raw_fields, forced):
    """MARC-8, TCVN3, VNI: decide the encoding on the subfield values, decode each."""
    parsed, values = [], []
    for tag, data in raw_fields:
        if tag in CONTROL_TAGS:
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
    fixed = next((data for tag, _ind, data in parsed if tag == "008"), b"")
    packed = [chunk[1:] for tag, _ind, content in parsed if tag == "041"
              for chunk in content if chunk[:1] == b"a"]
    languages = language_codes(fixed.decode("latin-1"), [v.decode("latin-1") for v in packed])
    encoding = choose_encoding(leader, values, forced, vietnamese=may_be_vietnamese(languages))
    decode = decoder(encoding)
    fields = []
    try:
        for tag, indicators, content in parsed:
            if indicators is None:
                fields.append(ControlField(tag, clean(decode(content))))
                continue
            subfields = []
            for chunk in content:
                if chunk[0] < 0x80:
                    subfields.append((chr(chunk[0]), clean(decode(chunk[1:]))))
                else:
                    subfields.append(odd_code(clean(decode(chunk))))
            fields.append(DataField(tag, clean_indicators(indicators), subfields))
    except (UnicodeDecodeError, ValueError, IndexError, TypeError) as exc:
        raise RecordError(reason("The text cannot be read as ${encoding}: ${error}.",
                                 "Không đọc được văn bản theo bảng mã ${encoding}: ${error}.",
                                 encoding=encoding, error=str(exc)[:120])) from None
    return MarcRecord(leader_out, fields, encoding)


def from_iso2709(chunk, encoding=None):
    """Parse one ISO 2709 record (bytes); raises RecordError."""
    leader, tags, parts, body = _split_fields(chunk)
    if body is not None and encoding in (None, "utf-8"):
        record, unchanged = _fast_utf8(leader, tags, body, forced=encoding is not None)
        if record is not None:
            if unchanged and leader[9] == "a" and _canonical(chunk, leader, parts):
                record.raw = bytes(chunk)
            return record
    return _decode_record(leader, list(zip(tags, parts)), encoding)


def iso2709_frames(data):
    """Cut ``data`` (bytes or mmap) into records without reading them: yields
    ``(number, byte offset, chunk)`` per record, or an ``Entry`` with the
    reason when a record's frame is broken (cut short, the file ends)."""
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
            following = LEADER.search(chunk, 24)
            if following is not None:
                end = start + following.start()
                yield Entry(number, offset=start, error=reason(
                    "The record is cut short: the next record starts at byte ${next}.",
                    "Biểu ghi bị cắt cụt: biểu ghi tiếp theo bắt đầu ở byte ${next}.", next=end))
                pos = end
                continue
            if mark < 0:
                yield Entry(number, offset=start, error=reason(
                    "The file ends in the middle of this record.",
                    "Tệp kết thúc giữa chừng biểu ghi này."))
                return
        yield number, start, bytes(chunk)
        pos = end


def entry_of(number, start, chunk, encoding):
    """The ``Entry`` of one framed record (see ``iso2709_frames``)."""
    try:
        record = from_iso2709(chunk, encoding)
    except RecordError as exc:
        return Entry(number, offset=start, error=exc.reason,
                     control_number=_raw_control_number(chunk))
    return Entry(number, record=record, offset=start)


def iso2709_entries(data, encoding):
    """An ``Entry`` per record of ``data`` (bytes or mmap), with its byte offset."""
    for frame in iso2709_frames(data):
        yield frame if isinstance(frame, Entry) else entry_of(*frame, encoding)


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


class TooLongForIso2709(ValueError):
    """The record passes the 99,999 bytes (or a field the 9,999) ISO 2709 allows."""


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



"""MARCXML: records read one at a time with lxml (memory stays flat), and written.

A record without a leader or with a malformed tag is rejected with its line;
broken XML stops the reading there, keeping the records before it.
"""
import re
import unicodedata

from lxml import etree

from .charsets import clean, clean_indicators, may_be_legacy
from .marc import MARCXML_NS, ControlField, DataField, Entry, MarcRecord, RecordError, reason
from .report import NotMarcError

__all__ = ["from_marcxml", "to_marcxml", "XmlReader", "not_marc"]

_TAG = re.compile(r"[ -~]{3}\Z")
_CONTROL = re.compile("[\x00-\x1f\x7f]")


def _names(local):
    return (f"{{{MARCXML_NS}}}{local}", local)


_RECORD, _LEADER_TAG, _CONTROLFIELD, _DATAFIELD, _SUBFIELD, _COLLECTION = (
    _names(n) for n in ("record", "leader", "controlfield", "datafield", "subfield", "collection"))


def _xml_record(element):
    leader, fields, texts = None, [], []
    for child in element:
        tag = child.tag
        if tag in _DATAFIELD:
            name = child.get("tag", "")
            if not _TAG.match(name):
                raise RecordError(_bad_tag(name))
            indicators = clean_indicators((child.get("ind1") or " ")[:1]
                                          + (child.get("ind2") or " ")[:1])
            subfields = [((sub.get("code") or " ")[:1], sub.text or "")
                         for sub in child if sub.tag in _SUBFIELD]
            texts.extend(value for _code, value in subfields)
            fields.append(DataField(name, indicators, subfields))
        elif tag in _CONTROLFIELD:
            name = child.get("tag", "")
            if not _TAG.match(name):
                raise RecordError(_bad_tag(name))
            fields.append(ControlField(name, child.text or ""))
            texts.append(fields[-1].value)
        elif tag in _LEADER_TAG:
            leader = child.text or ""
    if leader is None:
        raise RecordError(reason("The record has no leader.",
                                 "Biểu ghi không có phần đầu (leader)."))
    if len(leader) != 24 or not leader.isascii():
        raise RecordError(reason(
            "The leader must have 24 ASCII characters; it has ${n}.",
            "Phần đầu biểu ghi (leader) phải có 24 ký tự ASCII; ở đây có ${n}.", n=len(leader)))
    if not fields:
        raise RecordError(reason("The record has no fields.", "Biểu ghi không có trường nào."))
    # One look at all the text; values are cleaned one by one only when needed.
    joined = " ".join(texts)
    plain = joined.isascii()
    if _CONTROL.search(joined) is not None or not (plain or unicodedata.is_normalized("NFC", joined)):
        for field in fields:
            if field.control:
                field.value = clean(field.value)
            else:
                field.subfields = [(code, clean(value)) for code, value in field.subfields]
    return MarcRecord(leader[:9] + "a" + leader[10:], fields, "utf-8",
                      maybe_legacy=not plain and may_be_legacy(joined))


def _bad_tag(name):
    return reason("The tag “${tag}” is not three characters.",
                  "Nhãn trường “${tag}” không phải ba ký tự.", tag=name)


def from_marcxml(data):
    """Parse the first MARCXML record of ``data`` (bytes)."""
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    element = root if root.tag in _RECORD else next(iter(root.iter(*_RECORD)))
    return _xml_record(element)


class XmlReader:
    """MARCXML records one at a time (lxml iterparse; memory stays flat)."""

    def __init__(self, stream, head=b""):
        self.stream = stream
        self.head = head        # the file's first bytes: do they name MARCXML?
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
            self.stopped = reason(
                "The XML is broken at line ${line} (${error}); the records before it were read, "
                "the rest of the file was not.",
                "Tệp XML bị hỏng ở dòng ${line} (${error}); các biểu ghi trước đó đã được đọc, "
                "phần còn lại của tệp thì không.", line=line, error=exc.msg[:160])
            if number == 0 and MARCXML_NS.encode() in self.head:
                # a MARCXML export damaged before its first record ends
                raise NotMarcError(reason(
                    "The MARCXML file is broken at line ${line} (${error}) before its first "
                    "record ends; nothing was imported.",
                    "Tệp MARCXML bị hỏng ở dòng ${line} (${error}) trước khi hết biểu ghi đầu "
                    "tiên; chưa nhập gì.", line=line, error=exc.msg[:160])) from None
            if number == 0:
                raise NotMarcError(not_marc()) from None
        root = getattr(context, "root", None)
        self.root_is_marc = root is not None and root.tag in (_COLLECTION + _RECORD)
        if number == 0 and not self.root_is_marc and self.stopped is None:
            raise NotMarcError(reason(
                "This XML file holds no MARCXML records; nothing was imported.",
                "Tệp XML này không chứa biểu ghi MARCXML nào; chưa nhập gì."))


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


def not_marc():
    return reason(
        "This file is neither MARC 21 (ISO 2709) nor MARCXML; nothing was imported.",
        "Tệp này không phải MARC 21 (ISO 2709) hay MARCXML; chưa nhập gì.")

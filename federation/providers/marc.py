"""Union records as the protocols hand them out: MARCXML and Dublin Core.

MARCXML of a union record is the MARC of its first member from the library's
own catalogue (``Record.provenance`` entry ``ils:<bib record id>``), kept
whole as it was catalogued; a union record with no such member (a digital
item of the repository, a harvested record) gets a MARC record built from
its normalized fields with pymarc. Dublin Core is always built from the
normalized fields, so every record of the union catalogue reads the same.
"""
import io
import re

import pymarc
from lxml import etree

from federation.records import normalize_isbn
from ils.catalogue.models import stored_marc_record, stored_pymarc

__all__ = ["MARCXML_NS", "OAI_DC_NS", "DC_NS", "SRW_DC_NS", "marcxml", "build_marc",
           "dublin_core", "ils_members", "bib_marcxml", "StoredMarc", "DCMI_TYPES", "xml_text"]

MARCXML_NS = "http://www.loc.gov/MARC21/slim"
MARCXML_SCHEMA = "http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
OAI_DC_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
SRW_DC_NS = "info:srw/schema/1/dc-schema"
DC_NS = "http://purl.org/dc/elements/1.1/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"

# Record.format -> DCMI Type Vocabulary term
DCMI_TYPES = {"book": "Text", "ebook": "Text", "digital": "Text", "serial": "Text",
              "audiobook": "Sound", "map": "Image", "video": "MovingImage",
              "music": "Sound", "image": "StillImage"}
# Record.format -> leader/06 and leader/07 of a MARC record built from it
_LEADER_TYPE = {"book": "am", "ebook": "am", "digital": "am", "serial": "as",
                "audiobook": "im", "map": "em", "video": "gm", "music": "jm"}
# Characters XML 1.0 cannot hold, even escaped.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                          remove_blank_text=True)


def xml_text(value):
    """``value`` as text an XML document can hold."""
    return NOT_XML.sub("", "" if value is None else str(value))


def ils_members(record):
    """The bib record ids (int) of the ``ils:`` members of a union record, in order."""
    ids = []
    for entry in getattr(record, "provenance", None) or ():
        kind, _sep, key = str(entry).partition(":")
        if kind == "ils" and key.isdigit():
            ids.append(int(key))
    return ids


def marcxml(record, catalogue=None, names=None):
    """A MARCXML ``record`` element (lxml) for the union ``record``.

    ``catalogue`` (an ``ICatalogueService``) gives the stored MARC of the
    first ``ils:`` member; without it, or when that member is gone or cannot
    be read, the record is built from the normalized fields. Either way the
    union's holdings follow, one 852 per library (``$a`` its name from
    ``names``, code → name, ``$b`` its code, ``$c`` location, ``$h`` call
    number): the stored MARC tells only its own library's copies.
    """
    if catalogue is not None:
        for bib_id in ils_members(record):
            bib = catalogue.get(bib_id)
            if bib is None:
                continue
            element = bib_marcxml(bib)
            if element is not None:
                _append_holdings(element, record, names)
                return element
    return pymarc_element(build_marc(record, names))


def holding_subfields(holding, names=None):
    """The 852 subfields of a union holding (the name, never a bare code when
    one is known)."""
    name = (names or {}).get(holding.library) or holding.library_name or holding.library
    return [(code, value) for code, value in (
        ("a", name), ("b", holding.library), ("c", holding.location),
        ("h", holding.call_number)) if value]


def _append_holdings(element, record, names):
    ns = f"{{{MARCXML_NS}}}"
    for holding in record.holdings:
        node = etree.SubElement(element, ns + "datafield", tag="852", ind1=" ", ind2=" ")
        for code, value in holding_subfields(holding, names):
            etree.SubElement(node, ns + "subfield", code=code).text = xml_text(value)


class StoredMarc:
    """The stored MARC of a ``BibRecord`` without the rest of the row (what
    ``bib_marcxml`` needs): ``marc`` bytes in ``marc_format``."""

    __slots__ = ("marc", "marc_format")

    def __init__(self, marc, marc_format):
        self.marc, self.marc_format = marc, marc_format

    def marc_record(self):
        return stored_marc_record(self.marc, self.marc_format)

    def pymarc(self):
        return stored_pymarc(self.marc, self.marc_format)


def bib_marcxml(bib):
    """The stored MARC of a ``BibRecord`` as a MARCXML element, or None."""
    try:
        if bib.marc_format == "marcxml":
            root = etree.fromstring(bib.marc, _PARSER)
            if root.tag != f"{{{MARCXML_NS}}}record":
                root = next(root.iter(f"{{{MARCXML_NS}}}record", "record"))
            return _clean_element(root)
        return _element_of(bib.marc_record())
    except Exception:       # a record our reader cannot take: pymarc's view of it
        try:
            return pymarc_element(bib.pymarc())
        except Exception:
            return None


def _element_of(record):
    """MARCXML element of an ``ils.catalogue.marc.MarcRecord``."""
    ns = f"{{{MARCXML_NS}}}"
    element = etree.Element(ns + "record", nsmap={None: MARCXML_NS})
    etree.SubElement(element, ns + "leader").text = xml_text(record.leader)
    for field in record.fields:
        if field.control:
            etree.SubElement(element, ns + "controlfield",
                             tag=xml_text(field.tag)).text = xml_text(field.value)
        else:
            node = etree.SubElement(element, ns + "datafield", tag=xml_text(field.tag),
                                    ind1=xml_text(field.indicators[:1] or " "),
                                    ind2=xml_text(field.indicators[1:2] or " "))
            for code, value in field.subfields:
                etree.SubElement(node, ns + "subfield",
                                 code=xml_text(code)).text = xml_text(value)
    return element


def _clean_element(root):
    """A copy of a stored MARCXML record in the MARC namespace."""
    if root.tag == "record":            # stored without a namespace
        ns = f"{{{MARCXML_NS}}}"
        copy = etree.Element(ns + "record", nsmap={None: MARCXML_NS})
        for child in root:
            node = etree.SubElement(copy, ns + etree.QName(child).localname,
                                    dict(child.attrib))
            node.text = child.text
            for sub in child:
                etree.SubElement(node, ns + etree.QName(sub).localname,
                                 dict(sub.attrib)).text = sub.text
        return copy
    return root


def pymarc_element(record):
    """MARCXML element of a ``pymarc.Record``."""
    data = pymarc.record_to_xml(record, namespace=True)
    return etree.fromstring(data, _PARSER)


def build_marc(record, names=None):
    """A ``pymarc.Record`` made from a union ``Record``'s normalized fields."""
    kind = _LEADER_TYPE.get(record.format, "am")
    marc = pymarc.Record(force_utf8=True,
                         leader=pymarc.Leader(f"00000n{kind} a2200000 i 4500"))
    marc.add_field(pymarc.Field(tag="001", data=record.id))
    year = f"{record.year:04d}" if record.year and 0 < record.year < 10000 else "    "
    language = (record.language or "   ")[:3].ljust(3)
    date_type = "s" if year.strip() else "n"
    marc.add_field(pymarc.Field(
        tag="008", data=f"000000{date_type}{year}    vm            000 0 {language} d"))
    for isbn in record.isbns:
        marc.add_field(_field("020", "  ", [("a", normalize_isbn(isbn) or isbn)]))
    authors = list(record.authors)
    if authors:
        marc.add_field(_field("100", "1 ", [("a", authors[0])]))
    title = [("a", record.title + (" :" if record.subtitle else ""))]
    if record.subtitle:
        title.append(("b", record.subtitle))
    marc.add_field(_field("245", ("1" if authors else "0") + "0", title))
    publication = []
    if record.publisher:
        publication.append(("b", record.publisher))
    if record.year:
        publication.append(("c", str(record.year)))
    if publication:
        marc.add_field(_field("264", " 1", publication))
    if record.description:
        marc.add_field(_field("520", "  ", [("a", record.description)]))
    for subject in record.subjects:
        marc.add_field(_field("650", " 4", [("a", subject)]))
    for author in authors[1:]:
        marc.add_field(_field("700", "1 ", [("a", author)]))
    for holding in record.holdings:
        marc.add_field(_field("852", "  ", holding_subfields(holding, names)))
    if record.url:
        marc.add_field(_field("856", "40", [("u", record.url)]))
    return marc


def _field(tag, indicators, subfields):
    return pymarc.Field(tag=tag, indicators=pymarc.Indicators(*indicators),
                        subfields=[pymarc.Subfield(code, xml_text(value))
                                   for code, value in subfields if value])


def dublin_core(record, page_url=None, flavour="oai_dc"):
    """Simple Dublin Core of a union ``Record``: an ``oai_dc:dc`` element (OAI-PMH)
    or, with ``flavour="srw_dc"``, an ``srw_dc:dc`` one (SRU)."""
    if flavour == "oai_dc":
        root = etree.Element(f"{{{OAI_DC_NS}}}dc",
                             nsmap={"oai_dc": OAI_DC_NS, "dc": DC_NS, "xsi": XSI_NS})
        root.set(f"{{{XSI_NS}}}schemaLocation", f"{OAI_DC_NS} {OAI_DC_SCHEMA}")
    else:
        root = etree.Element(f"{{{SRW_DC_NS}}}dc", nsmap={"srw_dc": SRW_DC_NS, "dc": DC_NS})

    def add(name, value):
        value = xml_text(value).strip()
        if value:
            etree.SubElement(root, f"{{{DC_NS}}}{name}").text = value

    add("title", f"{record.title} : {record.subtitle}" if record.subtitle else record.title)
    for author in record.authors:
        add("creator", author)
    for subject in record.subjects:
        add("subject", subject)
    add("description", record.description)
    add("publisher", record.publisher)
    if record.year:
        add("date", str(record.year))
    add("type", DCMI_TYPES.get(record.format, "Text"))
    add("type", record.format)
    if page_url:
        add("identifier", page_url)
    for isbn in record.isbns:
        add("identifier", "URN:ISBN:" + (normalize_isbn(isbn) or isbn))
    if record.url:
        add("identifier", record.url)
    add("language", record.language)
    return root


def to_bytes(element):
    return etree.tostring(element, encoding="utf-8")


def parse_marcxml(data):
    """pymarc Records of MARCXML bytes (tests and tools)."""
    return pymarc.parse_xml_to_array(io.BytesIO(data))

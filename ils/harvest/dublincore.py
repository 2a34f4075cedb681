"""Simple Dublin Core (``oai_dc``) as a minimal MARC 21 record.

The catalogue keeps MARC for every record, so a record harvested as Dublin
Core is written as the MARC record a cataloguer would make from it, after the
Library of Congress's Dublin Core to MARC crosswalk: title 245, the first
creator 100 and the others 700, contributors 720, subjects 653, descriptions
520, publisher and date 260, types 655 (and leader 6), identifiers 020 (ISBN),
022 (ISSN), 856 (URL) or 024, languages 041 and 546, relations 787, sources
786, coverage 500, rights 540. Encoding level 3 (abbreviated) marks it as
made from Dublin Core; 001 is the OAI identifier.
"""
import re
import unicodedata

from ..catalogue.charsets import clean
from ..catalogue.fields import isbn13, issn
from ..catalogue.marc import ControlField, DataField, MarcRecord
from .client import DC_NS

__all__ = ["marc_from_dc", "dc_values", "LANGUAGE_CODES"]

_DC = "{%s}" % DC_NS
_YEAR = re.compile(r"(?<!\d)(1[4-9]\d\d|20\d\d)(?!\d)")
#: ISO 639-1 (and common names) → MARC language code, for the languages of the region.
LANGUAGE_CODES = {
    "vi": "vie", "vie": "vie", "vietnamese": "vie", "tiếng việt": "vie", "tieng viet": "vie",
    "en": "eng", "eng": "eng", "english": "eng", "fr": "fre", "fre": "fre", "fra": "fre",
    "french": "fre", "zh": "chi", "chi": "chi", "zho": "chi", "ru": "rus", "rus": "rus",
    "de": "ger", "ger": "ger", "deu": "ger", "ja": "jpn", "jpn": "jpn", "ko": "kor", "kor": "kor",
    "km": "khm", "khm": "khm", "lo": "lao", "lao": "lao", "th": "tha", "tha": "tha",
    "rhd": "rad", "rad": "rad", "ede": "rad", "jra": "jra", "mnong": "mkh",
}
# DCMI Type vocabulary → leader 6 (type of record)
_TYPES = {
    "text": "a", "image": "k", "stillimage": "k", "movingimage": "g", "sound": "i",
    "software": "m", "dataset": "m", "interactiveresource": "m", "physicalobject": "r",
    "collection": "p", "cartographic": "e", "map": "e",
}


def dc_values(element):
    """Element name → list of non-empty values (NFC, one space between words)."""
    values = {}
    for child in element:
        if not isinstance(child.tag, str) or not child.tag.startswith(_DC):
            continue
        text = " ".join((child.text or "").split())
        if text:
            values.setdefault(child.tag[len(_DC):], []).append(
                clean(unicodedata.normalize("NFC", text)))
    return values


def _field(tag, indicators, *subfields):
    return DataField(tag, indicators, [(code, value) for code, value in subfields if value])


def _language(value):
    key = value.strip().lower()
    if key in LANGUAGE_CODES:
        return LANGUAGE_CODES[key]
    key = key.split("-")[0].split("_")[0]
    return LANGUAGE_CODES.get(key)


def marc_from_dc(element, identifier):
    """A MarcRecord made from an ``oai_dc:dc`` element; ValueError when it has no title."""
    dc = dc_values(element)
    titles = dc.get("title", [])
    if not titles:
        raise ValueError("no dc:title")
    creators = dc.get("creator", [])
    dates = dc.get("date", [])
    year = next((m.group(1) for m in map(_YEAR.search, dates) if m), None)
    languages = [code for code in map(_language, dc.get("language", [])) if code]
    kind = "a"
    for value in dc.get("type", []):
        kind = _TYPES.get(re.sub(r"[^a-z]", "", value.lower()), kind)
        if kind != "a":
            break
    fixed = ("||||||" + ("s" + year if year else "nuuuu") + "    " + "vm " + " " * 17
             + (languages[0] if languages else "und") + " d")
    fields = [ControlField("001", identifier), ControlField("008", fixed)]
    for value in dc.get("identifier", []):
        number = isbn13(value) if "isbn" in value.lower() or re.fullmatch(
            r"[\d\- Xx]{10,17}", value) else None
        if number:
            fields.append(_field("020", "  ", ("a", number)))
    for value in dc.get("identifier", []):
        number = issn(value) if "issn" in value.lower() else None
        if number:
            fields.append(_field("022", "  ", ("a", number)))
    if languages:
        fields.append(_field("041", "0 ", *[("a", code) for code in dict.fromkeys(languages)]))
    if creators:
        fields.append(_field("100", "1 ", ("a", creators[0])))
    fields.append(_field("245", ("1" if creators else "0") + "0", ("a", titles[0]),
                         ("c", "; ".join(creators))))
    for other in titles[1:]:
        fields.append(_field("246", "33", ("a", other)))
    publishers = dc.get("publisher", [])
    if publishers or dates:
        fields.append(_field("260", "  ", ("b", publishers[0] if publishers else ""),
                             ("c", dates[0] if dates else "")))
    for tag, name in (("500", "coverage"), ("520", "description"), ("540", "rights")):
        fields.extend(_field(tag, "  ", ("a", value)) for value in dc.get(name, []))
    fields.extend(_field("546", "  ", ("a", value)) for value in dc.get("language", []))
    fields.extend(_field("653", "  ", ("a", value)) for value in dc.get("subject", []))
    fields.extend(_field("655", " 7", ("a", value), ("2", "dct"))
                  for value in dc.get("type", []))
    fields.extend(_field("700", "1 ", ("a", value)) for value in creators[1:])
    fields.extend(_field("720", "  ", ("a", value), ("e", "contributor"))
                  for value in dc.get("contributor", []))
    fields.extend(_field("786", "0 ", ("n", value)) for value in dc.get("source", []))
    fields.extend(_field("787", "0 ", ("n", value)) for value in dc.get("relation", []))
    for value in dc.get("identifier", []):
        if re.match(r"https?://", value):
            fields.append(_field("856", "40", ("u", value)))
        elif not (isbn13(value) or issn(value)):
            fields.append(_field("024", "8 ", ("a", value)))
    fields.extend(_field("856", "  ", ("q", value)) for value in dc.get("format", []))
    leader = f"00000n{kind}m a22000003u 4500"
    return MarcRecord(leader, [f for f in fields if f.control or f.subfields], "utf-8",
                      maybe_legacy=False)

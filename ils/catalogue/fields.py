"""The key fields of a MARC 21 record, as the catalogue stores them, and its copies.

``describe(record)`` gives the columns of ``BibRecord``: title and statement of
responsibility (245), authors (1XX, 7XX), place, publisher and year (264 or
260, else 008), ISBNs as ISBN-13 digits (020), ISSNs (022), languages (008,
041), subjects (6XX), DDC (082), the kind of material (leader 6-7) and the
folded title and author keys the union catalogue merges on.

``copies(record)`` reads the items from Koha's 952 or the standard 852.
"""
import re

from federation.analysis import kept, tokens

from .marc import language_codes

__all__ = ["describe", "copies", "field_index", "isbn13", "issn", "FORMATS"]

_TRAILING = " \t/:;,=.+"
_YEAR = re.compile(r"(?<!\d)(1[4-9]\d\d|20\d\d)(?!\d)")
_ISBN_CANDIDATE = re.compile(r"[0-9][0-9\-\u2010\u2011 ]{8,16}[0-9Xx]")
_ISSN = re.compile(r"(\d{4})\s*[-\u2010]?\s*(\d{3}[\dXx])")

# Leader 6 (type of record) → the kind of material readers filter on.
FORMATS = {
    "a": "book", "t": "manuscript", "c": "score", "d": "score", "e": "map", "f": "map",
    "g": "video", "i": "sound", "j": "music", "k": "image", "m": "electronic",
    "o": "kit", "p": "mixed", "r": "object",
}
_SUBJECT_TAGS = ("600", "610", "611", "630", "648", "650", "651", "653")
_SUBDIVISIONS = "vxyz"
_AUTHOR_TAGS = ("100", "110", "111", "700", "710", "711")


def _tidy(text):
    """One space between words, no ISBD punctuation at the end."""
    return " ".join(text.split()).rstrip(_TRAILING) if text else ""


def _plain(text):
    """One space between words (copies keep their punctuation: barcodes, call numbers)."""
    return " ".join(text.split()) if text else ""


def _join(values):
    return _tidy(" ".join(v for v in values if v))


def isbn13(text):
    """The ISBN-13 digits of the first valid ISBN-10 or -13 in ``text``, else None.

    ``"604-1-12345-X (bìa mềm)"`` → ``"978604112345…"``; a wrong check digit gives None.
    """
    for candidate in _ISBN_CANDIDATE.findall(text or ""):
        digits = re.sub(r"[^0-9Xx]", "", candidate).upper()
        if len(digits) == 10 and digits[:9].isdigit():
            total = sum((10 - i) * (10 if c == "X" else int(c)) for i, c in enumerate(digits))
            if total % 11 == 0:
                body = "978" + digits[:9]
                return body + _isbn13_check(body)
        elif len(digits) == 13 and digits.isdigit() and digits[:3] in ("978", "979"):
            if _isbn13_check(digits[:12]) == digits[12]:
                return digits
    return None


def _isbn13_check(first12):
    total = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(first12))
    return str((10 - total % 10) % 10)


def issn(text):
    """``"1234-567X"`` for the first valid ISSN in ``text``, else None."""
    for left, right in _ISSN.findall(text or ""):
        digits = (left + right).upper()
        total = sum((8 - i) * int(c) for i, c in enumerate(digits[:7]))
        check = (11 - total % 11) % 11
        if digits[7] == ("X" if check == 10 else str(check)):
            return f"{digits[:4]}-{digits[4:]}"
    return None


def _unique(values):
    return list(dict.fromkeys(v for v in values if v))


def field_index(record):
    """Tag → fields of the record, in order."""
    index = {}
    for field in record.fields:
        if field.tag in index:
            index[field.tag].append(field)
        else:
            index[field.tag] = [field]
    return index


def _publication(index):
    """(place, publisher, date text) from 264 (publication) or else 260."""
    fields = [f for f in index.get("264", ()) if f.indicators[1] in "1 "]
    fields = fields or index.get("260", ())
    for field in fields:
        place, publisher, date = field.get("a"), field.get("b"), field.get("c")
        if place or publisher or date:
            return _tidy(place or "").strip("[] "), _tidy(publisher or ""), date or ""
    return "", "", ""


def _year(date, fixed):
    match = _YEAR.search(date or "")
    if match:
        return int(match.group(1))
    if fixed and len(fixed) >= 11 and fixed[7:11].isdigit():
        year = int(fixed[7:11])
        if 1400 <= year <= 2100:
            return year
    return None


# Subject headings and names repeat from record to record: what is made of
# them is kept, per process (``kept``; a file's records are read by a few).
_KEPT_SUBJECTS = {}
_KEPT_AUTHOR_KEYS = {}


def _subject(tag, subfields):
    """The heading of one subject field: main part, then its subdivisions."""
    if tag == "653":
        return [_tidy(v) for code, v in subfields if code == "a"]
    main_codes = "a" if tag in ("648", "650", "651") else "abcdtq"
    main = _join(v for code, v in subfields if code in main_codes)
    parts = [main] + [_tidy(v) for code, v in subfields if code in _SUBDIVISIONS]
    return [" -- ".join(p for p in parts if p)]


def _subjects(record, index):
    if not any(tag in index for tag in _SUBJECT_TAGS):
        return []
    subjects = []
    for field in record.fields:
        if field.tag not in _SUBJECT_TAGS or field.control:
            continue
        subfields = tuple(field.subfields)
        subjects.extend(kept(_KEPT_SUBJECTS, (field.tag, subfields),
                              lambda: _subject(field.tag, subfields)))
    return _unique(subjects)


def _author_key(name):
    """The sorted folded words of a name (the union catalogue merges on them)."""
    return kept(_KEPT_AUTHOR_KEYS, name, lambda: " ".join(sorted(set(tokens(name)))))


def _authors(record, index):
    names = []
    for field in record.fields:
        if field.tag not in _AUTHOR_TAGS or field.control:
            continue
        codes = "ab" if field.tag in ("110", "710") else "a"
        names.append(_join(field.values(codes)))
    return _unique(names)


def _format(leader):
    kind = FORMATS.get(leader[6], "other")
    if kind == "book" and leader[7] in "bis":
        return "serial"
    return kind


def _first(index, tag):
    fields = index.get(tag)
    return fields[0] if fields else None


def _values(index, tag, code):
    return [value for field in index.get(tag, ()) if not field.control
            for sub_code, value in field.subfields if sub_code == code]


def describe(record, index=None):
    """The key fields of ``record`` (a MarcRecord), keyed by BibRecord column."""
    index = index if index is not None else field_index(record)
    fixed_field = _first(index, "008")
    fixed = fixed_field.value if fixed_field is not None and fixed_field.control else ""
    title_field = _first(index, "245")
    title = statement = ""
    skip = 0
    if title_field is not None and not title_field.control:
        title = _join(title_field.values("abnp"))
        statement = _join(title_field.values("c"))
        if title_field.indicators[1].isdigit():
            skip = int(title_field.indicators[1])
    place, publisher, date = _publication(index)
    authors = _authors(record, index)
    languages = language_codes(fixed, _values(index, "041", "a"))
    ddc = next((v.strip() for v in _values(index, "082", "a")), "")
    number_field = _first(index, "001")
    control_number = (number_field.value.strip() or None
                      if number_field is not None and number_field.control else None)
    return {
        "control_number": control_number,
        "title": title,
        "statement": statement,
        "authors": authors,
        "publisher": publisher,
        "place": place,
        "year": _year(date, fixed),
        "isbns": _unique(isbn13(v) for v in _values(index, "020", "a")),
        "issns": _unique(issn(v) for v in _values(index, "022", "a")),
        "language": languages[0] if languages else "",
        "languages": languages,
        "subjects": _subjects(record, index),
        "ddc": ddc[:64],
        "record_type": record.leader[6],
        "bib_level": record.leader[7],
        "format": _format(record.leader),
        "title_key": " ".join(tokens(title[skip:] if skip < len(title) else title))[:500],
        "author_key": _author_key(authors[0]) if authors else "",
    }


# --- Copies ----------------------------------------------------------------------

def _koha_status(first):
    """Koha keeps circulation state in 952: $0 withdrawn, $1 lost (4, 5: missing),
    $4 damaged, $q due date (on loan), $7 not for loan (negative: on order).
    ``first``: the field's first value of each subfield code."""
    if not first.keys() & _KOHA_STATE:     # most copies: on the shelf
        return "available"

    def flag(code):
        value = (first.get(code) or "").strip()
        return value if value not in ("", "0") else ""
    if flag("0"):
        return "withdrawn"
    lost = flag("1")
    if lost:
        return "missing" if lost in ("4", "5") else "lost"
    if flag("4"):
        return "damaged"
    if (first.get("q") or "").strip():
        return "on_loan"
    not_for_loan = flag("7")
    if not_for_loan:
        return "in_processing" if not_for_loan.startswith("-") else "not_for_loan"
    return "available"


_KOHA_STATE = frozenset("0147q")


def _first_values(field):
    """``{code: the first value of the subfield code}`` of a data field."""
    first = {}
    for code, value in field.subfields:
        if code not in first:
            first[code] = value
    return first


def copies(record, index=None):
    """Each copy in 952 (Koha) or 852 fields, as a dict; barcode may be empty."""
    index = index if index is not None else field_index(record)
    if "952" not in index and "852" not in index:
        return []
    found = []
    for field in record.fields:
        if field.tag not in ("952", "852") or field.control:
            continue
        if field.tag == "952":
            first = _first_values(field)
            found.append({
                "tag": "952",
                "barcode": _plain(first.get("p")),
                "branch": _plain(first.get("a") or first.get("b")),
                "location": _plain(first.get("c")),
                "call_number": _plain(first.get("o")),
                "item_type": _plain(first.get("y")),
                "status": _koha_status(first),
            })
        else:
            found.append({
                "tag": "852",
                "barcode": _plain(field.get("p")),
                "branch": _plain(field.get("a")),
                "location": " – ".join(_plain(v) for v in field.values("bc") if _plain(v)),
                "call_number": _plain(" ".join(field.values("khim"))),
                "item_type": "",
                "status": "available",
            })
    for copy in found:
        copy["branch"] = copy["branch"][:80]
        copy["item_type"] = copy["item_type"][:40]
    return found

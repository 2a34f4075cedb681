"""What a search backend indexes for a record, derived in one place.

Backends receive text already analysed by ``federation.analysis``: syllable
tokens in folded form (for matching with or without diacritics) and in exact
form (to rank exact diacritics first), joined by spaces. A backend then only
needs a whitespace tokenizer, so the embedded index and Solr match the same
words the same way.
"""
import html
import re

from federation.analysis import fold, kept, nfc, sort_key, token_forms, tokens
from federation.records import YEAR_RANGES, isbn_forms

__all__ = ["IndexDocument", "analyze", "match_tokens", "collation_string", "year_range_label",
           "highlight", "snippet", "suggestion_terms", "SUGGEST_SEPARATOR"]

# In a suggestion term, the folded text comes first (prefix lookups happen
# on it), then this separator, then the text to show.
SUGGEST_SEPARATOR = "\x1f"
_SUGGEST_MAX = 120


_SPACE = "\x20"
_CHAR_KEYS = {}
_WORD_KEYS = {}
_NO_MARK = "\x21"           # the encoded weight of no tone, of lower case: the least
# A mark's position, counted down from this code (at most two bytes in UTF-8):
# the first 2,000 letters of a text have their tones and case compared
_LAST_POSITION = 0x7FF
_POSITIONS = _LAST_POSITION - 0x22


def _encode(rank):
    point = 0x21 + rank
    if point >= 0xD800:              # skip the surrogates, invalid in UTF-8
        point += 0x800
    return chr(min(point, 0x10FFFE))


def _char_key(char):
    """(primary, tone, case) of one non-space character as encoded
    characters, or None when the collation ignores it (punctuation)."""
    key = _CHAR_KEYS.get(char, False)
    if key is False:
        primary, tones, cases, _text = sort_key(char)
        key = (_encode(primary[0]), _encode(tones[0]), _encode(cases[0])) if primary else None
        if len(_CHAR_KEYS) < 20_000:
            _CHAR_KEYS[char] = key
    return key


def _word_key(word):
    """The collation of one word (no spaces in it), cached: the words of
    titles and names repeat from record to record. ``(primary, tones,
    cases, letters)``: the primary level, the marks of the other two
    levels as ``((letter index, weight), ...)`` (letters with a tone, upper
    case letters), the number of letters."""
    key = _WORD_KEYS.get(word)
    if key is None:
        primary, tones, cases = [], [], []
        for char in word:
            char_key = _char_key(char)
            if char_key is not None:
                if char_key[1] != _NO_MARK:
                    tones.append((len(primary), char_key[1]))
                if char_key[2] != _NO_MARK:
                    cases.append((len(primary), char_key[2]))
                primary.append(char_key[0])
        key = ("".join(primary), tuple(tones), tuple(cases), len(primary))
        if len(_WORD_KEYS) < 20_000:
            _WORD_KEYS[word] = key
    return key


def _marks(keys):
    """Levels 2 and 3 of a collation string: each letter's tone, each
    letter's case, where they are not the least, as (the letter's position
    counted down from ``_LAST_POSITION``, the weight). Compared only between
    texts whose primary levels are equal, hence with as many letters, this
    orders as the letters' weights one by one would (the first letter where
    they differ decides; there, the text whose weight is the least has its
    next mark further on, so a smaller position code, or none), in a
    fraction of the length: most letters of a Vietnamese word carry no tone
    and most are lower case."""
    tones, cases, start = [], [], 0
    for _primary, tone_marks, case_marks, letters in keys:
        if start + letters > _POSITIONS:     # beyond the 2,000th letter: not compared
            break
        for index, weight in tone_marks:
            tones.append(chr(_LAST_POSITION - start - index))
            tones.append(weight)
        for index, weight in case_marks:
            cases.append(chr(_LAST_POSITION - start - index))
            cases.append(weight)
        start += letters
    return "".join(tones), "".join(cases)


def collation_string(text):
    """A string whose code-point order is Vietnamese alphabetical order
    (the order of ``analysis.sort_key``), for backends that sort on a
    string. Empty text gives ``"\U0010ffff"``, so it sorts last.

    The levels of ``sort_key`` one after another, each ended by a
    character below every encoded one (so a shorter key sorts before its
    extensions, as tuples do): the letters, the tones and the case (only
    where they are not the least: ``_marks``), the text itself. The index
    keeps these strings for sorting, and what it costs to write them grows
    with their length (40,000 records: writing the index took 3.5 s of CPU
    with the whole tone and case levels, 3.0–3.2 s with the marks)."""
    text = nfc(text)
    if not text.strip():
        return "\U0010ffff"
    # a word of punctuation only weighs nothing, not even the space before it
    keys = [key for key in map(_word_key, text.split()) if key[0]]
    tones, cases = _marks(keys)
    return "\x01".join((_SPACE.join([k[0] for k in keys]), tones, cases, text))


def year_range_label(year):
    """The ``YEAR_RANGES`` label of ``year``, or None."""
    if year is None:
        return None
    for label, low, high in YEAR_RANGES:
        if (low is None or year >= low) and (high is None or year <= high):
            return label
    return None


class IndexDocument:
    """The analysed fields of one record.

    ``*_f`` fields are folded tokens in text order (phrase queries work on
    them), ``all_e`` exact tokens; ``facets`` maps each facet field to its
    values as catalogued; ``isbn`` holds ISBN-13s and the digits as written.
    """
    __slots__ = ("id", "title_f", "author_f", "subject_f", "all_f", "all_e", "isbn",
                 "facets", "year", "title_key", "author_key", "suggest")


# A token no query produces: it sits between two values (two authors, the
# title and the first author) so that no phrase runs from one into the next.
GAP = "|"


def match_tokens(text, folded=True):
    """Tokens of ``text`` as indexed and queried: folded tokens lose their
    apostrophes (``M'nông`` and ``Mnông`` are one name, ``mnong``); exact
    tokens keep them."""
    found = tokens(text, folded=folded)
    return [t.replace("'", "") for t in found] if folded else found


def _folded(value):
    return " ".join(match_tokens(value)) if value else ""


def _forms(value):
    """``(_folded(value), its exact tokens joined)``."""
    if not value:
        return "", ""
    folded, exact = token_forms(value)
    return " ".join([t.replace("'", "") for t in folded]), " ".join(exact)


# Names, subjects and publishers repeat from record to record (a title rarely
# does): their forms and collation keys are kept, per process (``kept``).
_KEPT_FORMS = {}
_KEPT_KEYS = {}


def _kept(table, make, value):
    """``make(value)`` for a value that repeats across records (a long one,
    rarely repeated, is not kept)."""
    if len(value) > 200:
        return make(value)
    return kept(table, value, lambda: make(value))


def _gapped(parts):
    return f" {GAP} ".join(part for part in parts if part)


def analyze(record):
    """Return the ``IndexDocument`` of a ``Record``."""
    doc = IndexDocument()
    doc.id = record.id
    title = f"{record.title} {record.subtitle}".strip()
    title_f, title_e = _forms(title)
    authors = [_kept(_KEPT_FORMS, _forms, a) for a in record.authors]
    subjects = [_kept(_KEPT_FORMS, _forms, s) for s in record.subjects]
    others = [*(_kept(_KEPT_FORMS, _forms, v)
                for v in (record.publisher, str(record.year or ""), *record.collections)),
              _forms(record.description), _forms(record.full_text)]
    authors_f = [f for f, _e in authors]
    subjects_f = [f for f, _e in subjects]
    doc.title_f = title_f
    doc.author_f = _gapped(authors_f)
    doc.subject_f = _gapped(subjects_f)
    doc.all_f = _gapped([title_f, *authors_f, *subjects_f, *(f for f, _e in others)])
    doc.all_e = _gapped([title_e, *(e for _f, e in authors), *(e for _f, e in subjects),
                         *(e for _f, e in others)])
    doc.isbn = isbn_forms(record.isbns)
    doc.facets = {
        "library": list(dict.fromkeys(h.library for h in record.holdings if h.library)),
        "format": [record.format] if record.format else [],
        "language": [record.language] if record.language else [],
        "year": [label] if (label := year_range_label(record.year)) else [],
        "subject": list(dict.fromkeys(record.subjects)),
        "author": list(dict.fromkeys(record.authors)),
        "collection": list(dict.fromkeys(record.collections)),
        "available": record.available_at,
    }
    doc.year = record.year
    doc.title_key = collation_string(title)
    doc.author_key = _kept(_KEPT_KEYS, collation_string,
                           record.authors[0] if record.authors else "")
    doc.suggest = suggestion_terms(
        record, [title_f if title == record.title else _folded(record.title),
                 *authors_f, *subjects_f])
    return doc


def suggestion_terms(record, keys=None):
    """Whole titles, authors and subjects of ``record`` as suggestion terms
    (``folded + SUGGEST_SEPARATOR + shown``); ``keys`` are their folded
    forms when the caller has them already."""
    texts = [record.title, *record.authors, *record.subjects]
    keys = keys or [_folded(text) for text in texts]
    terms = []
    for text, key in zip(texts, keys):
        if key:
            shown = " ".join(text.split())[:_SUGGEST_MAX]
            terms.append(f"{key[:_SUGGEST_MAX]}{SUGGEST_SEPARATOR}{shown}")
    return list(dict.fromkeys(terms))


# --- Highlighting ----------------------------------------------------------

_WORDS = re.compile(r"(?:[^\W_]|[\u0300-\u036f]|['’ʼ])+")


def highlight(text, folded_terms):
    """``text`` HTML-escaped with each word whose folded form is in
    ``folded_terms`` wrapped in ``<mark>…</mark>``; None when nothing matches."""
    if not text or not folded_terms:
        return None
    out, last, found = [], 0, False
    for match in _WORDS.finditer(text):
        word = match.group(0).strip("'’ʼ")
        key = fold(word).replace("’", "").replace("ʼ", "").replace("'", "")
        if key in folded_terms:
            out.append(html.escape(text[last:match.start()]))
            out.append(f"<mark>{html.escape(match.group(0))}</mark>")
            last, found = match.end(), True
    if not found:
        return None
    out.append(html.escape(text[last:]))
    return "".join(out)


def snippet(text, folded_terms, width=200):
    """A window of about ``width`` characters of ``text`` around its first
    matching word, highlighted as ``highlight`` does; None when nothing matches."""
    if not text or not folded_terms:
        return None
    for match in _WORDS.finditer(text):
        if fold(match.group(0)).replace("’", "").replace("ʼ", "").replace("'", "") in folded_terms:
            start = max(0, match.start() - width // 3)
            if start:
                space = text.find(" ", start)
                start = space + 1 if 0 <= space < match.start() else start
            end = min(len(text), start + width)
            if end < len(text):
                space = text.rfind(" ", match.end(), end)
                end = space if space > match.end() else end
            marked = highlight(text[start:end], folded_terms)
            return ("… " if start else "") + marked + (" …" if end < len(text) else "")
    return None


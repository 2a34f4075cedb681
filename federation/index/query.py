"""The reader's query syntax, parsed once for every backend.

The syntax is small on purpose (see ``docs/search-index.md``):

- words: every word must match, with or without diacritics
  (``dak lak`` finds ``Đắk Lắk``); words typed with the exact diacritics
  rank first;
- ``"a phrase"``: its syllables must be adjacent and in order;
- ``title:``, ``author:``, ``subject:``, ``isbn:`` (Vietnamese
  ``nhande:``, ``tacgia:``, ``chude:``) before a word or a phrase limit it
  to that field;
- an ISBN (10 or 13 digits, hyphens or not) matches the ISBN of a record;
  so does one printed in groups with spaces (``978 604 1 00004 9``), and
  the word ``ISBN`` before it (``ISBN: 978-604-1-00004-9``, as on a back
  cover) is not a word to look for.

Nothing else is syntax: ``OR``, ``NEAR(``, ``*``, ``(``, a stray quote are
ordinary characters (punctuation separates words, a quote without its pair
runs to the end). Text is bounded (``MAX_QUERY_CHARS``, ``MAX_TERMS``);
NUL and other control characters are dropped. Parsing never raises.
"""
import re
from dataclasses import dataclass, field

from federation.analysis import nfc, tokens
from federation.index.documents import match_tokens
from federation.records import normalize_isbn

__all__ = ["Clause", "ParsedQuery", "parse", "MAX_QUERY_CHARS", "MAX_TERMS", "FIELDS"]

MAX_QUERY_CHARS = 500
MAX_TERMS = 32
FIELDS = {"title": "title", "author": "author", "subject": "subject", "isbn": "isbn",
          "nhande": "title", "tacgia": "author", "chude": "subject"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PIECE = re.compile(
    r'(?:(?P<field>[A-Za-z]+):)?(?:"(?P<phrase>[^"]*)(?:"|$)|(?P<word>[^\s"]+))')


@dataclass
class Clause:
    """One required part of a query.

    ``field`` is None (any field), "title", "author", "subject" or "isbn".
    ``folded``/``exact`` are the syllable tokens; ``phrase`` says they must be
    adjacent. An "isbn" clause has one term in ``folded``: the ISBN-13, or the
    digits as typed when they are no valid ISBN.
    """
    field: str | None
    folded: list
    exact: list
    phrase: bool = False


@dataclass
class ParsedQuery:
    clauses: list = field(default_factory=list)

    @property
    def empty(self):
        return not self.clauses

    def folded_terms(self):
        """Every folded term of the text clauses (for highlighting)."""
        return {t for c in self.clauses if c.field != "isbn" for t in c.folded}

    def free_words(self):
        """Folded and exact tokens of the unfielded, unquoted words in order:
        the text a phrase boost is made of."""
        folded, exact = [], []
        for clause in self.clauses:
            if clause.field is None and not clause.phrase:
                folded += clause.folded
                exact += clause.exact
        return folded, exact


def parse(text):
    """Parse the reader's ``text`` into a ``ParsedQuery``; never raises."""
    text = _CONTROL.sub(" ", nfc(text or "")[:MAX_QUERY_CHARS])
    # "ISBN 978-…", "ISBN: 978-…" (as on a back cover): the isbn: field
    text = _spaced_isbns_joined(_ISBN_LABEL.sub("isbn:", text))
    clauses, budget = [], MAX_TERMS
    for match in _PIECE.finditer(text):
        if budget <= 0:
            break
        name = (match.group("field") or "").lower()
        target = FIELDS.get(name)
        body = match.group("phrase") if match.group("phrase") is not None else match.group("word")
        phrase = match.group("phrase") is not None
        if name and target is None:
            body = f"{name} {body}"        # "Lịch sử: tập 1", not a field
        if target == "isbn" or (not phrase and target is None and _looks_like_isbn(body)):
            digits = re.sub(r"[^0-9Xx]", "", body).lower()
            if digits:
                clauses.append(Clause("isbn", [normalize_isbn(body) or digits], []))
                budget -= 1
            continue
        folded = match_tokens(body)[:budget]
        exact = tokens(body, folded=False)[:budget]
        if not folded:
            continue
        budget -= len(folded)
        if phrase and len(folded) > 1:
            clauses.append(Clause(target, folded, exact, phrase=True))
        else:
            clauses.extend(Clause(target, [f], [e]) for f, e in zip(folded, exact))
    return ParsedQuery(clauses)


_ISBN_LABEL = re.compile(r"(?<!\S)isbn(?::\s*|\s+)(?=[0-9])", re.IGNORECASE)
_WORD = re.compile(r"\S+")
_GROUP = re.compile(r"[0-9][0-9\-]*[0-9Xx]?")
_FIELD = "isbn:"


def _spaced_isbns_joined(text):
    """``text`` with an ISBN printed in groups with spaces (``978 604 1 00004 9``)
    written as one word: a run of digit groups, split by spaces or hyphens into
    the four parts of an ISBN-10 or the five of an ISBN-13, whose digits make
    a valid ISBN (so "2019 2020 12", ten digits in three numbers, stays three
    words even when its digits pass the check)."""
    if " " not in text or not any(ch.isdigit() for ch in text):
        return text
    words = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]
    pieces, last, i = [], 0, 0
    while i < len(words):
        joined = None
        # the first group may carry the field ("isbn:978 604 …")
        label = _FIELD if words[i][2][:len(_FIELD)].lower() == _FIELD else ""
        groups = [words[i][2][len(label):]] + [w for _s, _e, w in words[i + 1:i + 6]]
        if _GROUP.fullmatch(groups[0]):
            for j in range(len(groups), 1, -1):
                if not all(_GROUP.fullmatch(g) for g in groups[1:j]):
                    continue
                digits = "".join(groups[:j]).replace("-", "")
                parts = sum(len([p for p in g.split("-") if p]) for g in groups[:j])
                if (len(digits), parts) in ((10, 4), (13, 5)) and \
                        normalize_isbn(digits) is not None:
                    joined = i + j
                    break
        if joined is None:
            i += 1
            continue
        pieces += [text[last:words[i][0]], label + "".join(groups[:joined - i])]
        last = words[joined - 1][1]
        i = joined
    return "".join(pieces) + text[last:] if pieces else text


def _looks_like_isbn(word):
    return bool(re.fullmatch(r"[0-9][0-9\-]{8,16}[0-9Xx]", word)) and normalize_isbn(word) is not None

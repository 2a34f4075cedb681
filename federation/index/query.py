"""The reader's query syntax, parsed once for every backend.

The syntax is small on purpose (see ``docs/search-index.md``):

- words: every word must match, with or without diacritics
  (``dak lak`` finds ``Đắk Lắk``); words typed with the exact diacritics
  rank first;
- ``"a phrase"``: its syllables must be adjacent and in order;
- ``title:``, ``author:``, ``subject:``, ``isbn:`` (Vietnamese
  ``nhande:``, ``tacgia:``, ``chude:``) before a word or a phrase limit it
  to that field;
- an ISBN (10 or 13 digits, hyphens or not) matches the ISBN of a record.

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


def _looks_like_isbn(word):
    return bool(re.fullmatch(r"[0-9][0-9\-]{8,16}[0-9Xx]", word)) and normalize_isbn(word) is not None

"""CQL (the Contextual Query Language of SRU) for the subset the union
catalogue answers, translated into ``SearchQuery`` objects of ``ISearchIndex``.

What is understood:

- search clauses ``index relation term``, or a bare ``term`` (any field);
  terms unquoted or in double quotes (``\\"`` and ``\\\\`` escape);
- ``and``, ``or``, ``not`` (left to right, equal precedence, as CQL says) and
  parentheses;
- relations ``=`` and ``all`` (every word), ``adj`` and ``==`` (the words
  adjacent and in order), ``any`` (one of the words); for dates also
  ``<``, ``<=``, ``>``, ``>=``, ``<>`` and ``within "1990 2000"``;
- indexes ``title``, ``author`` (``creator``), ``subject``, ``isbn``,
  ``any`` (``cql.anywhere``, ``cql.serverChoice``, ``cql.keywords``),
  ``date`` (the year), ``language``, ``library``, ``cql.allRecords``, the
  ``dc.`` names (``dc.title``, ``dc.creator``, ``dc.contributor``,
  ``dc.subject``, ``dc.date``, ``dc.language``) and the ``bath.`` ones
  (``bath.title``, ``bath.author``, ``bath.name``, ``bath.subject``,
  ``bath.isbn``);
- prefix assignments (``> dc = "info:..."``) are read and ignored.

Anything else is a ``Diagnostic`` with its SRU URI (``info:srw/diagnostic/1/N``):
never an exception the provider does not expect. Input is bounded: the query
length, the term length, the nesting depth, the words and the searches a
query may cost.

The index knows only "all of these words", so a query becomes a disjunction
of conjunctions (``Plan``): each conjunction is one ``SearchQuery``, with
conjunctions to subtract (``not``); ``federation.providers.sru.execute`` runs it.
"""
import re
from dataclasses import dataclass, field

from pyramid.i18n import TranslationStringFactory

from federation.analysis import nfc, tokens
from federation.records import MAX_ROWS, SearchQuery

_ = TranslationStringFactory("serepok")

__all__ = ["Diagnostic", "parse", "plan", "Plan", "Conjunction", "MAX_QUERY_CHARS",
           "MAX_TERM_CHARS", "MAX_DEPTH", "MAX_WORDS", "MAX_SEARCHES", "SET_LIMIT", "INDEXES",
           "merge"]

DIAGNOSTIC = "info:srw/diagnostic/1/"
MAX_QUERY_CHARS = 2000     # a longer query is refused (diagnostic 10)
MAX_TERM_CHARS = 256       # a longer term is refused (diagnostic 23)
MAX_DEPTH = 16             # parentheses nested deeper are refused (diagnostic 13)
MAX_WORDS = 32             # words one search may hold (diagnostic 38)
MAX_SEARCHES = 16          # index searches one query may cost (diagnostic 38)
MAX_ANY_WORDS = 8          # words of one `any` relation (diagnostic 38)
SET_LIMIT = 500            # hits of each search combined by or / not (bounds the work)

# The standard message of each diagnostic used here (SRU 2.0, Annex C).
MESSAGES = {
    1: _("General system error"),
    4: _("Unsupported operation"),
    5: _("Unsupported version"),
    6: _("Unsupported parameter value"),
    7: _("Mandatory parameter not supplied"),
    8: _("Unsupported parameter"),
    10: _("Query syntax error"),
    13: _("Invalid or unsupported use of parentheses"),
    14: _("Invalid or unsupported use of quotes"),
    15: _("Unsupported context set"),
    16: _("Unsupported index"),
    19: _("Unsupported relation"),
    20: _("Unsupported relation modifier"),
    22: _("Unsupported combination of relation and index"),
    23: _("Too many characters in term"),
    27: _("Empty term unsupported"),
    28: _("Masking character not supported"),
    31: _("Anchoring character not supported"),
    36: _("Term in invalid format for index or relation"),
    37: _("Unsupported boolean operator"),
    38: _("Too many boolean operators in query"),
    46: _("Unsupported boolean modifier"),
    61: _("First record position out of range"),
    66: _("Unknown schema for retrieval"),
    71: _("Unsupported record XML escaping"),
    80: _("Sort not supported"),
    110: _("Stylesheets not supported"),
}


class Diagnostic(Exception):
    """An SRU diagnostic: ``uri``, ``details`` (what was wrong, for a program)
    and ``message`` (a TranslationString for a person)."""

    def __init__(self, number, details="", message=None):
        self.number = number
        self.uri = f"{DIAGNOSTIC}{number}"
        self.details = str(details)[:200]
        self.message = message if message is not None else MESSAGES[number]
        super().__init__(f"{self.uri} {self.details}")


# --- Parsing ----------------------------------------------------------------

_LEXEME = re.compile(r'''
    (?P<space>\s+)
  | (?P<quoted>"(?:[^"\\]|\\.)*(?:"|\Z))
  | (?P<op><>|==|<=|>=|[()=<>/])
  | (?P<word>[^\s()=<>"/]+)
''', re.VERBOSE | re.DOTALL)
_COMPARATORS = {"=", "==", "<>", "<", ">", "<=", ">="}
_BOOLEANS = {"and", "or", "not", "prox"}
_NAMED_RELATIONS = {"any", "all", "adj", "within", "encloses", "exact"}


@dataclass
class Token:
    kind: str        # "word", "quoted" or an operator: "(", ")", "=", "==", "/" ...
    text: str        # a word as written; a quoted string without its quotes


@dataclass
class Search:
    index: str       # lower case, as written ("dc.title"); "cql.serverchoice" when none
    relation: str    # lower case ("=", "any", "cql.any")
    term: str        # escapes resolved
    masked: bool = False      # an unescaped * or ?
    anchored: bool = False    # an unescaped ^


@dataclass
class Boolean:
    operator: str    # "and", "or", "not"
    left: object
    right: object


def _lex(query):
    found = []
    for match in _LEXEME.finditer(query):
        kind = match.lastgroup
        if kind == "space":
            continue
        text = match.group(kind)
        if kind == "quoted":
            if len(text) < 2 or not text.endswith('"') or _escaped_end(text[1:-1]):
                raise Diagnostic(14, text[:40], _("A quotation mark is not closed."))
            found.append(Token("quoted", text[1:-1]))
        elif kind == "op":
            found.append(Token(text, text))
        else:
            found.append(Token("word", text))
    return found


def _escaped_end(body):
    """True when ``body`` ends in an odd run of backslashes (the closing quote
    was escaped)."""
    run = len(body) - len(body.rstrip("\\"))
    return run % 2 == 1


class _Parser:
    def __init__(self, lexemes):
        self.lexemes = lexemes
        self.at = 0

    def peek(self, ahead=0):
        at = self.at + ahead
        return self.lexemes[at] if at < len(self.lexemes) else None

    def take(self):
        token = self.peek()
        self.at += 1
        return token

    def is_word(self, token, *words):
        return token is not None and token.kind == "word" and token.text.lower() in words

    def query(self):
        while self.peek() is not None and self.peek().kind == ">":
            self.prefix_assignment()
        tree = self.scoped(0)
        token = self.peek()
        if self.is_word(token, "sortby"):
            raise Diagnostic(80, "sortby", _("Sorting results is not supported."))
        if token is not None:
            if token.kind == ")":
                raise Diagnostic(13, ")", _("A closing parenthesis has no opening one."))
            raise Diagnostic(10, token.text, _("Unexpected “${text}”: expected and, or, not "
                                               "or the end of the query.",
                                               mapping={"text": token.text[:40]}))
        return tree

    def prefix_assignment(self):
        self.take()
        if self.peek() is not None and self.peek().kind in ("word", "quoted") \
                and self.peek(1) is not None and self.peek(1).kind == "=":
            self.take()
            self.take()
        token = self.take()
        if token is None or token.kind not in ("word", "quoted"):
            raise Diagnostic(10, ">", _("A prefix assignment needs a context set identifier."))

    def scoped(self, depth):
        if depth > MAX_DEPTH:
            raise Diagnostic(13, f"depth>{MAX_DEPTH}",
                             _("Parentheses are nested too deeply (at most ${max}).",
                               mapping={"max": MAX_DEPTH}))
        left = self.clause(depth)
        while self.is_word(self.peek(), *_BOOLEANS):
            operator = self.take().text.lower()
            if self.peek() is not None and self.peek().kind == "/":
                raise Diagnostic(46, operator, _("Boolean modifiers are not supported."))
            if operator == "prox":
                raise Diagnostic(37, "prox", _("Use and, or, not: prox is not supported."))
            right = self.clause(depth)
            left = Boolean(operator, left, right)
        return left

    def clause(self, depth):
        token = self.peek()
        if token is None:
            raise Diagnostic(10, "", _("The query ends where a search term was expected."))
        if token.kind == "(":
            self.take()
            inner = self.scoped(depth + 1)
            closing = self.take()
            if closing is None or closing.kind != ")":
                raise Diagnostic(13, "(", _("A parenthesis is not closed."))
            return inner
        if token.kind == ">":
            self.prefix_assignment()
            return self.clause(depth)
        if token.kind not in ("word", "quoted"):
            raise Diagnostic(10, token.text, _("Unexpected “${text}”: expected a search term.",
                                               mapping={"text": token.text}))
        if token.kind == "word" and token.text.lower() in _BOOLEANS:
            raise Diagnostic(10, token.text, _("“${text}” joins two searches: a search term "
                                               "is missing before it.",
                                               mapping={"text": token.text}))
        self.take()
        following = self.peek()
        relation = None
        if following is not None and following.kind in _COMPARATORS:
            relation = self.take().text
        elif (following is not None and following.kind == "word"
              and following.text.lower() not in _BOOLEANS | {"sortby"}):
            relation = self.take().text.lower()
        if relation is None:
            return _search("cql.serverchoice", "=", token)
        if token.kind == "quoted":
            raise Diagnostic(10, token.text[:40], _("An index name cannot be quoted."))
        if relation not in _COMPARATORS | _NAMED_RELATIONS and "." not in relation:
            # "dak lak": two words read as an index and a relation
            raise Diagnostic(10, f"{token.text} {relation}"[:60],
                             _("Put a search of several words in quotation marks: "
                               "\"${words}\".",
                               mapping={"words": f"{token.text} {relation}"[:60]}))
        if self.peek() is not None and self.peek().kind == "/":
            raise Diagnostic(20, self.modifier_text(),
                             _("Relation modifiers are not supported."))
        term = self.take()
        if term is None or term.kind not in ("word", "quoted"):
            raise Diagnostic(10, relation, _("A search term is missing after “${relation}”.",
                                             mapping={"relation": relation}))
        return _search(token.text.lower(), relation, term)

    def modifier_text(self):
        token = self.peek(1)
        return "/" + (token.text if token is not None else "")


def _search(index, relation, token):
    term, masked, anchored = _unescape(token.text)
    return Search(index, relation, term, masked, anchored)


def _unescape(text):
    out, masked, anchored, escaped = [], False, False, False
    for char in text:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            masked = masked or char in "*?"
            anchored = anchored or char == "^"
            out.append(char)
    return "".join(out), masked, anchored


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def parse(query):
    """Parse CQL into a tree of ``Search`` and ``Boolean``; raises ``Diagnostic``."""
    query = nfc(query or "")
    if len(query) > MAX_QUERY_CHARS:
        raise Diagnostic(10, f"length>{MAX_QUERY_CHARS}",
                         _("The query is longer than ${max} characters.",
                           mapping={"max": MAX_QUERY_CHARS}))
    query = _CONTROL.sub(" ", query)
    if not query.strip():
        raise Diagnostic(27, "", _("The query is empty."))
    return _Parser(_lex(query)).query()


# --- Planning ---------------------------------------------------------------

# index name (lower case) -> what it searches
INDEXES = {
    "cql.serverchoice": "any", "cql.anywhere": "any", "cql.keywords": "any",
    "any": "any", "anywhere": "any", "keywords": "any", "serverchoice": "any",
    "title": "title", "dc.title": "title", "bath.title": "title",
    "author": "author", "creator": "author", "dc.creator": "author",
    "dc.contributor": "author", "bath.author": "author", "bath.name": "author",
    "subject": "subject", "dc.subject": "subject", "bath.subject": "subject",
    "isbn": "isbn", "bath.isbn": "isbn",
    "date": "year", "year": "year", "dc.date": "year",
    "language": "language", "dc.language": "language",
    "library": "library",
    "cql.allrecords": "everything",
}
CONTEXT_SETS = {"cql", "dc", "bath"}
_LANGUAGES = {"vi": "vie", "en": "eng", "fr": "fre", "ru": "rus", "zh": "chi", "de": "ger",
              "ja": "jpn", "ko": "kor", "km": "khm", "lo": "lao", "th": "tha"}


@dataclass(frozen=True)
class Words:
    field: str | None    # None (anywhere), "title", "author", "subject"
    words: tuple         # exact tokens
    phrase: bool = False

    def text(self):
        prefix = f"{self.field}:" if self.field else ""
        if self.phrase and len(self.words) > 1:
            return prefix + '"' + " ".join(self.words) + '"'
        return " ".join(prefix + word for word in self.words)


@dataclass(frozen=True)
class Isbn:
    value: str

    def text(self):
        return f"isbn:{self.value}"


@dataclass(frozen=True)
class Years:
    low: int | None
    high: int | None


@dataclass(frozen=True)
class Values:
    field: str           # a filter field of SearchQuery: "language", "library"
    values: frozenset


@dataclass(frozen=True)
class Everything:
    pass


@dataclass
class Conjunction:
    """Records matching every literal of ``positives`` and no conjunction of
    any ``Plan`` in ``negatives``."""
    positives: tuple
    negatives: tuple = ()

    def query(self, start=0, rows=MAX_ROWS):
        """The ``SearchQuery`` of the positives, or None when they contradict
        each other (two languages, an empty year range)."""
        texts, filters, low, high = [], {}, None, None
        for literal in self.positives:
            if isinstance(literal, (Words, Isbn)):
                texts.append(literal.text())
            elif isinstance(literal, Years):
                if literal.low is not None:
                    low = literal.low if low is None else max(low, literal.low)
                if literal.high is not None:
                    high = literal.high if high is None else min(high, literal.high)
            elif isinstance(literal, Values):
                kept = filters.get(literal.field, literal.values) & literal.values
                if not kept:
                    return None
                filters[literal.field] = kept
        if low is not None and high is not None and low > high:
            return None
        return SearchQuery(text=" ".join(texts),
                           filters={k: sorted(v) for k, v in filters.items()},
                           year_from=low, year_to=high, sort="relevance",
                           start=start, rows=rows, facets=())

    def searches(self):
        return 1 + sum(p.searches() for p in self.negatives)


@dataclass
class Plan:
    """A query as a disjunction of ``Conjunction``."""
    conjunctions: list = field(default_factory=list)

    def searches(self):
        return sum(c.searches() for c in self.conjunctions)

    @property
    def simple(self):
        return len(self.conjunctions) == 1 and not self.conjunctions[0].negatives


def plan(tree):
    """Translate a parsed query into a ``Plan``; raises ``Diagnostic``."""
    result = _plan(tree)
    if result.searches() > MAX_SEARCHES:
        raise Diagnostic(38, f"searches>{MAX_SEARCHES}",
                         _("The query combines too many searches with or / not "
                           "(at most ${max}).", mapping={"max": MAX_SEARCHES}))
    return result


def _plan(tree):
    if isinstance(tree, Search):
        return Plan([Conjunction(tuple(literals)) for literals in _literals(tree)])
    left = _plan(tree.left)
    right = _plan(tree.right)
    if tree.operator == "or":
        conjunctions = left.conjunctions + right.conjunctions
    elif tree.operator == "and":
        conjunctions = [Conjunction(merge(a.positives, b.positives), a.negatives + b.negatives)
                        for a in left.conjunctions for b in right.conjunctions]
    else:   # not
        conjunctions = [Conjunction(a.positives, a.negatives + (right,))
                        for a in left.conjunctions]
    if sum(c.searches() for c in conjunctions) > MAX_SEARCHES:
        raise Diagnostic(38, f"searches>{MAX_SEARCHES}",
                         _("The query combines too many searches with or / not "
                           "(at most ${max}).", mapping={"max": MAX_SEARCHES}))
    words = max((_word_count(c.positives) for c in conjunctions), default=0)
    if words > MAX_WORDS:
        raise Diagnostic(38, f"words>{MAX_WORDS}",
                         _("The query holds too many words (at most ${max}).",
                           mapping={"max": MAX_WORDS}))
    unique = []
    for conjunction in conjunctions:
        if conjunction not in unique:
            unique.append(conjunction)
    return Plan(unique)


def merge(left, right):
    """The literals of both conjunctions (``Everything`` only when nothing else)."""
    merged = [lit for lit in left + right if not isinstance(lit, Everything)]
    merged = list(dict.fromkeys(merged))
    return tuple(merged) or (Everything(),)


def _word_count(literals):
    return sum(len(lit.words) if isinstance(lit, Words) else 1 for lit in literals)


def _literals(search):
    """The literals of one search clause, as a list of alternatives (each a
    list of literals all of which must hold)."""
    index = search.index
    kind = INDEXES.get(index)
    if kind is None:
        prefix, dot, _name = index.partition(".")
        if dot and prefix not in CONTEXT_SETS:
            raise Diagnostic(15, prefix, _("Unknown context set “${name}”: use cql, dc or bath.",
                                           mapping={"name": prefix[:40]}))
        raise Diagnostic(16, index, _("Unsupported index “${name}”: use title, author, "
                                      "subject, isbn, date, language or any.",
                                      mapping={"name": index[:40]}))
    relation = search.relation
    if relation.startswith("cql."):
        relation = relation[4:]
    if relation not in _COMPARATORS and relation not in _NAMED_RELATIONS:
        raise Diagnostic(19, search.relation, _("Unsupported relation “${name}”.",
                                                mapping={"name": search.relation[:40]}))
    term = search.term
    if len(term) > MAX_TERM_CHARS:
        raise Diagnostic(23, f"length>{MAX_TERM_CHARS}",
                         _("A search term is longer than ${max} characters.",
                           mapping={"max": MAX_TERM_CHARS}))
    if kind == "everything":
        if relation not in ("=", "==", "all", "any", "adj"):
            raise _combination(search)
        return [[Everything()]]
    if search.anchored:
        raise Diagnostic(31, term[:40], _("The anchoring character ^ is not supported."))
    if search.masked:
        raise Diagnostic(28, term[:40], _("Wildcards (* and ?) are not supported: "
                                          "search whole words, with or without diacritics."))
    if kind in ("any", "title", "author", "subject"):
        return _text_literals(search, None if kind == "any" else kind, relation, term)
    if kind == "isbn":
        return _isbn_literals(search, relation, term)
    if kind == "year":
        return _year_literals(search, relation, term)
    return _value_literals(search, kind, relation, term)


def _combination(search):
    return Diagnostic(22, f"{search.index} {search.relation}",
                      _("The relation “${relation}” cannot be used with the index “${index}”.",
                        mapping={"relation": search.relation[:20], "index": search.index[:40]}))


def _text_literals(search, field_name, relation, term):
    words = tuple(tokens(term, folded=False))
    if not words:
        raise Diagnostic(27, term[:40], _("The search term has no letters or digits."))
    if relation in ("=", "all"):
        return [[Words(field_name, words)]]
    if relation in ("adj", "==", "exact"):
        return [[Words(field_name, words, phrase=True)]]
    if relation == "any":
        words = tuple(dict.fromkeys(words))
        if len(words) > MAX_ANY_WORDS:
            raise Diagnostic(38, f"any>{MAX_ANY_WORDS}",
                             _("“any” takes at most ${max} words.",
                               mapping={"max": MAX_ANY_WORDS}))
        return [[Words(field_name, (word,))] for word in words]
    raise _combination(search)


_ISBN_PART = re.compile(r"[0-9][0-9Xx\- ]*")


def _isbn_literals(search, relation, term):
    if relation in ("=", "==", "adj", "all", "exact"):
        parts = [term]
    elif relation == "any":
        parts = term.split()[:MAX_ANY_WORDS]
    else:
        raise _combination(search)
    literals = []
    for part in parts:
        digits = re.sub(r"[^0-9Xx]", "", part).lower()
        if not _ISBN_PART.fullmatch(part.strip()) or len(digits) < 8 or len(digits) > 13:
            raise Diagnostic(36, part[:40], _("“${term}” is not an ISBN.",
                                              mapping={"term": part[:40]}))
        literals.append([Isbn(digits)])
    return literals


def _year(search, text):
    if not re.fullmatch(r"-?[0-9]{1,4}", text.strip()):
        raise Diagnostic(36, text[:40], _("A date must be a year, such as 1995."))
    return int(text)


def _year_literals(search, relation, term):
    if relation == "within":
        bounds = term.replace("-", " ").split()
        if len(bounds) != 2:
            raise Diagnostic(36, term[:40], _("“within” takes two years, such as "
                                              "\"1990 2000\"."))
        low, high = sorted(_year(search, b) for b in bounds)
        return [[Years(low, high)]]
    if relation == "any":
        return [[Years(y, y)] for y in dict.fromkeys(
            _year(search, part) for part in term.split()[:MAX_ANY_WORDS])]
    year = _year(search, term)
    ranges = {"=": [(year, year)], "==": [(year, year)], "adj": [(year, year)],
              "all": [(year, year)], "<": [(None, year - 1)], "<=": [(None, year)],
              ">": [(year + 1, None)], ">=": [(year, None)],
              "<>": [(None, year - 1), (year + 1, None)]}.get(relation)
    if ranges is None:
        raise _combination(search)
    return [[Years(low, high)] for low, high in ranges]


def _value_literals(search, kind, relation, term):
    if relation in ("=", "==", "exact", "adj", "all"):
        values = [term.strip()]
    elif relation == "any":
        values = term.split()[:MAX_ANY_WORDS]
    else:
        raise _combination(search)
    literals = []
    for value in values:
        value = value.strip().lower()
        if kind == "language":
            value = _LANGUAGES.get(value, value)
            if not re.fullmatch(r"[a-z]{3}", value):
                raise Diagnostic(36, value[:40], _("A language is a code such as vie or eng."))
        elif not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,79}", value):
            raise Diagnostic(36, value[:40], _("A library is a code such as bmt or tuy-hoa."))
        literals.append([Values(kind, frozenset([value]))])
    return literals

"""Vietnamese text analysis for search, browse lists and imports.

Every function takes ``None`` as the empty string. Text is brought to NFC
first, so a query typed in decomposed form (NFD) behaves like the composed one.

Two forms of a word are used for matching (see
``/work/shared/notes/vietnamese-text.md``): the *exact* form keeps the
diacritics (``đê`` dyke, ``dê`` goat and ``dế`` cricket stay apart) and the
*folded* form drops them and maps ``đ`` to ``d`` (all three become ``de``).
Index both and rank exact matches first.
"""
import re
import unicodedata

from federation.legacy_tables import TCVN3_DECODE, TCVN3_ENCODE, VNI_DECODE, VNI_ENCODE

__all__ = [
    "nfc", "fold", "exact", "has_diacritics", "tokens", "token_forms", "fold_words",
    "apostrophe_variants", "syllable_pairs", "sort_key", "detect_legacy", "convert_legacy",
    "encode_legacy", "kept",
]

# Combining Diacritical Marks, the block every Vietnamese diacritic lives in.
# Marks of other scripts (Thai, Khmer, Devanagari vowel signs) are letters of
# their words and are kept.
_DIACRITIC = re.compile("[\u0300-\u036f]")
# đ has no decomposition; ð (Icelandic eth) is its look-alike and is often
# typed in its place, so folding maps both (``fold``). Apostrophes seen inside
# Central Highlands names, M'nông, M’nông, Mʼnông, are all written ' (``tokens``).
# Letters, digits and combining marks; the underscore, which \w also matches,
# is made a space before (one character class is much faster than an
# alternation of two).
_WORD = r"[\w\u0300-\u036f]+"
_TOKEN = re.compile(rf"{_WORD}(?:'{_WORD})*")


def _words(text):
    return _TOKEN.findall(text.replace("_", " "))


def nfc(text):
    """Return ``text`` in Unicode NFC; ``None`` gives ``""``."""
    if text is None:
        return ""
    return unicodedata.normalize("NFC", text)


def exact(text):
    """Return the exact match form: NFC, case-folded, diacritics kept.

    ``exact("Đắk Lắk") == "đắk lắk"``; ``dế``, ``dê`` and ``đê`` stay distinct.
    """
    if text is not None and text.isascii():
        return text.casefold()
    return nfc(nfc(text).casefold())


def fold(text):
    """Return the folded match form: case-folded, without any diacritic, NFC.

    Decomposes, drops the combining diacritical marks (U+0300-U+036F), and maps
    ``đ`` (and its look-alike ``ð``) to ``d``, which no Unicode normalization
    does. ``fold("Đắk Lắk") == "dak lak"``; ``dế``, ``dê``, ``đê`` all give ``de``.
    """
    if text is None:
        return ""
    if text.isascii():              # nothing to decompose, no diacritic, no đ
        return text.casefold()
    decomposed = unicodedata.normalize("NFD", nfc(text).casefold())
    # str.replace, not str.translate: several times faster on these short strings
    return nfc(_DIACRITIC.sub("", decomposed).replace("đ", "d").replace("ð", "d"))


def has_diacritics(text):
    """Return True when folding changes the text, i.e. it carries any diacritic
    or ``đ``; case alone does not count. ``has_diacritics("Dak Lak")`` is False,
    ``has_diacritics("Đak Lak")`` is True."""
    return fold(text) != exact(text)


def tokens(text, folded=True):
    """Split ``text`` into lower-case syllable tokens, in order.

    A token is a run of letters and digits; everything else separates tokens
    (spaces, hyphens, punctuation, underscores), so ``Ê-đê`` gives two tokens
    like ``Ê Đê``. An apostrophe *between* two letters stays in the token, with
    ``’`` and ``ʼ`` written as ``'``: ``M'nông`` gives ``m'nong``. Quotes around
    a word are dropped. ``folded=True`` returns the folded form of each token
    (see ``fold``), ``folded=False`` the exact form (see ``exact``). Use
    ``apostrophe_variants`` to also index ``mnong``.
    """
    folded_words, exact_words = token_forms(text)
    return folded_words if folded else exact_words


def token_forms(text):
    """``(tokens(text), tokens(text, folded=False))``, for little more than
    the cost of one."""
    text = exact(text)
    if text.isascii():              # folding changes nothing
        words = _words(text)
        return words, words
    words = _words(text.replace("\u2019", "'").replace("\u2018", "'").replace("\u02bc", "'"))
    return fold_words(words), words


# The folded form of each exact token seen: a language's syllables are few and
# repeat from record to record (a whole catalogue: some tens of thousands of
# words), and a look-up is several times cheaper than folding. Bounded in
# entries and in word length, so hostile queries to a long-running process
# cannot make it grow past a few tens of MB.
_FOLDED_WORDS = {}
_FOLDED_WORDS_MAX = 200_000
_FOLDED_WORD_LENGTH = 40


def fold_words(words):
    """The folded tokens of exact ones (``tokens(text, folded=False)``): what
    ``tokens(text)`` gives. A token that is a lone combining mark folds to
    nothing, and is left out."""
    found = []
    for word in words:
        folded = _FOLDED_WORDS.get(word)
        if folded is None:
            folded = _words(fold(word))
            folded = folded[0] if len(folded) == 1 else tuple(folded)
            if len(word) <= _FOLDED_WORD_LENGTH and len(_FOLDED_WORDS) < _FOLDED_WORDS_MAX:
                _FOLDED_WORDS[word] = folded
        if type(folded) is str:
            found.append(folded)
        else:
            found.extend(folded)
    return found


def apostrophe_variants(tokens):
    """Return ``tokens`` with, after each token holding an apostrophe, the same
    token without it: ``["m'nong"]`` gives ``["m'nong", "mnong"]``.

    The name is also written ``Mnông``; index the result as a bag of terms so
    both spellings find the record. Positions shift, so build
    ``syllable_pairs`` from the plain ``tokens`` instead.
    """
    terms = []
    for token in tokens:
        terms.append(token)
        if "'" in token:
            terms.append(token.replace("'", ""))
    return terms


def syllable_pairs(tokens):
    """Return each pair of adjacent tokens joined by an underscore.

    ``["thu", "vien", "tinh"]`` gives ``["thu_vien", "vien_tinh"]``; fewer than
    two tokens give ``[]``. Vietnamese words are mostly two or three syllables,
    so indexing pairs gives phrase-like matching without positions. The
    underscore (as in Vietnamese word segmenters) never occurs inside a token
    and keeps the pair one term for lexicons that split on spaces.
    """
    tokens = list(tokens)
    return [f"{left}_{right}" for left, right in zip(tokens, tokens[1:])]


# --- Collation -------------------------------------------------------------

# Vietnamese alphabetical order, with f j w z at their Latin places for
# foreign words.
_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_LETTER_RANK = {letter: 20 + rank for rank, letter in enumerate(_ALPHABET)}
_LETTER_RANK["ð"] = _LETTER_RANK["đ"]
_OTHER_LETTER = 100  # letters outside the alphabet sort after z, by code point
_SPACE_RANK = 0      # a word break sorts before any digit or letter
_DIGIT_RANK = 1      # digits 0-9 take ranks 1-10
# Marks that make a letter of the alphabet (ă â ê ô ơ ư) rather than a tone.
_LETTER_MARKS = {"\u0306", "\u0302", "\u031b"}
# Tone order: ngang, huyền, hỏi, ngã, sắc, nặng.
_TONE_RANK = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5,
              "\u0340": 1, "\u0341": 4}


def _collation_element(char):
    """Return (primary, tone) for one lower-case letter."""
    decomposed = unicodedata.normalize("NFD", char)
    base, marks = decomposed[0], decomposed[1:]
    letter = unicodedata.normalize("NFC", base + "".join(m for m in marks if m in _LETTER_MARKS))
    tone = max((_TONE_RANK.get(m, 0) for m in marks), default=0)
    primary = _LETTER_RANK.get(letter, _LETTER_RANK.get(base))
    if primary is None:
        primary = _OTHER_LETTER + ord(char)
    return primary, tone


def sort_key(text):
    """Return a key that sorts text in Vietnamese alphabetical order.

    Levels, each compared only when the previous ones tie:
    1. letters in the order a ă â b c d đ e ê (f) g h i (j) k l m n o ô ơ p q
       r s t u ư v (w) x y (z), other letters after them; digits before
       letters; a run of spaces before both; punctuation (apostrophes,
       hyphens, quotes) ignored; case ignored;
    2. tones, letter by letter: none, huyền, hỏi, ngã, sắc, nặng
       (``ma < mà < mả < mã < má < mạ``);
    3. case, lower case first;
    4. the NFC text itself, so the order is total.

    ``sorted(["Đà", "Dương", "Bắc", "Âm", "Ăn", "An"], key=sort_key)`` gives
    An, Ăn, Âm, Bắc, Dương, Đà.
    """
    text = nfc(text)
    primary, tones, cases = [], [], []
    for char in text.strip():
        if char.isspace():
            if primary and primary[-1] != _SPACE_RANK:
                primary.append(_SPACE_RANK)
                tones.append(0)
                cases.append(0)
            continue
        digit = unicodedata.digit(char, None)
        if digit is not None:
            primary.append(_DIGIT_RANK + digit)
            tones.append(0)
            cases.append(0)
        elif char.isalpha():
            lower = char.lower()
            rank, tone = _collation_element(lower[0] if len(lower) == 1 else char)
            primary.append(rank)
            tones.append(tone)
            cases.append(0 if char == lower else 1)
    while primary and primary[-1] == _SPACE_RANK:  # punctuation before the end
        primary.pop()
        tones.pop()
        cases.pop()
    return tuple(primary), tuple(tones), tuple(cases), text


# --- Legacy encodings ------------------------------------------------------

LEGACY_ENCODINGS = ("tcvn3", "vni")
_ENCODING_NAMES = {"tcvn3": "tcvn3", "tcvn": "tcvn3", "abc": "tcvn3", "tcvn5712": "tcvn3",
                   "vni": "vni", "vniwindows": "vni"}
# cp1252 puts printable characters at 0x80-0x9F; its five holes (0x81, 0x8D,
# 0x8F, 0x90, 0x9D) come through as the C1 code points, as Windows and
# Latin-1 readers leave them.
_CP1252_BYTE = {}
for _byte in range(0x80, 0xA0):
    try:
        _CP1252_BYTE[bytes([_byte]).decode("cp1252")] = _byte
    except UnicodeDecodeError:
        pass
del _byte
_BYTE_CHAR = {byte: char for char, byte in _CP1252_BYTE.items()}


def _legacy_name(encoding):
    name = _ENCODING_NAMES.get(re.sub(r"[^a-z0-9]", "", str(encoding).lower()))
    if name is None:
        raise ValueError(f"unknown legacy Vietnamese encoding: {encoding!r}")
    return name


def _byte_of(char):
    """The byte a cp1252 (or Latin-1) reader turned into ``char``, or None."""
    byte = _CP1252_BYTE.get(char)
    if byte is None and ord(char) < 0x100:
        byte = ord(char)
    return byte


def _as_text(text):
    if isinstance(text, (bytes, bytearray)):
        return bytes(text).decode("latin-1")
    return text or ""


def _decode_tcvn3(text):
    out = []
    for char in text:
        byte = _byte_of(char)
        out.append(TCVN3_DECODE.get(byte, char) if byte is not None else char)
    return unicodedata.normalize("NFC", "".join(out))


def _decode_vni(text):
    out, i = [], 0
    while i < len(text):
        pair = text[i:i + 2]
        if len(pair) == 2 and pair in VNI_DECODE:
            out.append(VNI_DECODE[pair])
            i += 2
        else:
            out.append(VNI_DECODE.get(text[i], text[i]))
            i += 1
    return unicodedata.normalize("NFC", "".join(out))


_DECODERS = {"tcvn3": _decode_tcvn3, "vni": _decode_vni}


def convert_legacy(text, encoding):
    """Convert TCVN3 or VNI text to Unicode NFC.

    ``text`` is either the raw legacy bytes or the mojibake ``str`` a cp1252 or
    Latin-1 reader made of them (``"Vieät Nam"`` for VNI, ``"ViÖt Nam"`` for
    TCVN3). Characters no such reader produces (anything past U+00FF other than
    cp1252's punctuation) are kept as they are. ``encoding`` is ``"tcvn3"``
    (also ``"abc"``) or ``"vni"``; any other raises ValueError. TCVN3 data
    typed in the capital fonts (.VnTimeH) comes out lower case: the bytes do
    not say otherwise.
    """
    return _DECODERS[_legacy_name(encoding)](_as_text(text))


def encode_legacy(text, encoding):
    """Encode Unicode ``text`` as TCVN3 or VNI, returned as the mojibake a
    cp1252 reader shows (bytes cp1252 leaves undefined as C1 code points).

    The inverse of ``convert_legacy`` for ASCII and the 134 Vietnamese letters;
    any other character raises ValueError. Meant for making test fixtures and
    exports to legacy systems. TCVN3 capitals with a tone use the VN1 codes of
    TCVN 5712 (see ``federation.legacy_tables``).
    """
    name = _legacy_name(encoding)
    table = TCVN3_ENCODE if name == "tcvn3" else VNI_ENCODE
    out = []
    for char in nfc(text):
        if char.isascii():
            out.append(char)
        elif char not in table:
            raise ValueError(f"{char!r} has no {name} code")
        elif name == "tcvn3":
            byte = table[char]
            out.append(_BYTE_CHAR.get(byte, chr(byte)))
        else:
            out.append(table[char])
    return "".join(out)


# A Vietnamese syllable, without its tone: onset, vowel nucleus, final
# consonant. Onsets include the clusters and apostrophes of Central Highlands
# names (Krông, M'nông, Đắk); ``k`` ends syllables only in such names.
_ONSET = (r"(?:[bcdđghklmnpqrstvx]')?"
          r"(?:ngh|ng|gh|gi|kh|nh|ph|th|tr|ch|qu|[bcdkgpt][rl]|[bcdđghklmnpqrstvx])?")
_NUCLEI = sorted("""a ă â e ê i o ô ơ u ư y ai ao au ay âu ây eo êu ia iê iu oa oă oe oi
    ôi ơi oo ua uâ uê ui uô uơ uy ưa ưi ươ ưu ya yê iêu yêu oai oao oay oeo uây uôi
    ươi ươu uya uyê uyu""".split(), key=len, reverse=True)
_SYLLABLE = re.compile(rf"({_ONSET})({'|'.join(_NUCLEI)})(ch|ng|nh|[cmnptk])?")
_TONE_MARKS = set("\u0300\u0301\u0303\u0309\u0323")


def _is_syllable(word):
    """True when ``word`` (NFC) could be one Vietnamese syllable."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = [c for c in decomposed if c in _TONE_MARKS]
    if len(tones) > 1:
        return False
    toneless = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONE_MARKS))
    match = _SYLLABLE.fullmatch(toneless)
    if match is None:
        return False
    # ă and â are short vowels: a syllable never ends on them.
    return not (match.group(2)[-1] in "ăâ" and not match.group(3))


# Characters a reader makes of legacy bytes that Unicode Vietnamese text does
# not contain; à, é, ô and the other Latin-1 Vietnamese letters are not among
# them, since real text has them too.
_UNICODE_VIETNAMESE_LATIN1 = set("àáâãèéêìíòóôõùúýÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝ")


def _is_strong(char):
    return (char not in _UNICODE_VIETNAMESE_LATIN1
            and (not char.isascii() or (ord(char) < 0x20 and char not in "\t\n\r")))


def _is_foreign(chunk):
    """True when ``chunk`` cannot be Unicode Vietnamese: it holds a strong
    character, or a word that is no syllable (VNI ``Kroâng`` for ``Krông``)."""
    return (any(_is_strong(c) for c in chunk)
            or any(not word.isascii() and not _is_syllable(word) for word in _words(chunk)))


def _evidence(text, decode):
    """Count (syllables, non-syllables, convincing syllables) among the words
    ``decode`` changes. A syllable convinces when it has two letters or more
    and its word could not have been Unicode Vietnamese before conversion."""
    good = bad = convincing = 0
    for chunk in text.split():
        converted = decode(chunk)
        if converted == chunk:
            continue
        strong = _is_foreign(chunk)
        words = _words(converted)
        if not words or re.search(r"[\u0300-\u036f]", converted):
            bad += 1
        for word in words:
            if word.isascii():
                continue
            if _is_syllable(word):
                good += 1
                convincing += strong and len(word) > 1
            else:
                bad += 1
    return good, bad, convincing


def detect_legacy(text):
    """Return ``"tcvn3"`` or ``"vni"`` when ``text`` looks like that legacy
    encoding read as cp1252 or Latin-1 (or is its raw bytes), else None.

    Text holding any character such a reader cannot produce (ơ, ư, đ, ạ, or
    any tone mark in NFD) is Unicode and gives None, as does English. Each
    whitespace-separated word the conversion changes should become a
    Vietnamese syllable: the text qualifies when at least one multi-letter word
    that could not be Unicode Vietnamese (it holds ``§``, ``Ö``, ``ä``, ``ñ``…,
    or is no syllable, like VNI ``Kroâng``) does, and no more than one changed
    word in six fails. When both encodings qualify, the one whose words
    convert better (syllables minus failures) wins, and a tie gives None:
    short ambiguous text (``Cö`` is VNI ``Cư`` and TCVN3 ``Cử``) is left alone.
    """
    text = _as_text(text)
    if not text or any(_byte_of(c) is None for c in text):
        return None
    scores = {}
    for name, decode in _DECODERS.items():
        good, bad, convincing = _evidence(text, decode)
        if convincing and bad * 5 <= good:
            scores[name] = good - bad
    if not scores:
        return None
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return None
    return ranked[0][0]


def kept(table, key, make, most=50_000):
    """``table[key]``, made by ``make()`` the first time: for text derived
    from values that repeat from record to record (names, subjects,
    publishers). ``table`` is emptied when it holds ``most`` entries, so a
    long run with ever new values stays bounded."""
    found = table.get(key)
    if found is None:
        found = make()
        if len(table) >= most:
            table.clear()
        table[key] = found
    return found

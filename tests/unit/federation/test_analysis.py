"""What a reader of the catalogue notices of Vietnamese text analysis."""
import re
import unicodedata

import pytest

from federation.analysis import (
    apostrophe_variants,
    convert_legacy,
    detect_legacy,
    encode_legacy,
    exact,
    fold,
    has_diacritics,
    nfc,
    sort_key,
    syllable_pairs,
    token_forms,
    tokens,
)

# The 67 precomposed lower-case letters of the Vietnamese alphabet, by vowel.
LOWER_LETTERS = (
    "àảãáạ" "ăằẳẵắặ" "âầẩẫấậ" "èẻẽéẹ" "êềểễếệ" "ìỉĩíị"
    "òỏõóọ" "ôồổỗốộ" "ơờởỡớợ" "ùủũúụ" "ưừửữứự" "ỳỷỹýỵ" "đ"
)
ALL_LETTERS = LOWER_LETTERS + LOWER_LETTERS.upper()

SENTENCES = [
    "Thư viện tỉnh Đắk Lắk",
    "Buôn Ma Thuột, Krông Pắc, Ê Đê, M'nông",
    "Tiếng Việt có dấu: ươi, ưởng, nghiêng, khuỷu tay",
    "ĐẠI HỌC TÂY NGUYÊN – Sử thi Đam San (1975)",
]


def nfd(text):
    return unicodedata.normalize("NFD", text)


def test_alphabet_fixture_has_all_134_letters():
    assert len(set(ALL_LETTERS)) == len(ALL_LETTERS) == 134


# --- normalization and folding ---------------------------------------------

def test_none_is_empty_text():
    assert nfc(None) == fold(None) == exact(None) == ""
    assert tokens(None) == []
    assert has_diacritics(None) is False


def test_decomposed_input_equals_composed():
    for text in SENTENCES:
        assert nfd(text) != text
        assert nfc(nfd(text)) == text
        assert exact(nfd(text)) == exact(text)
        assert fold(nfd(text)) == fold(text)
        assert tokens(nfd(text), folded=False) == tokens(text, folded=False)


@pytest.mark.parametrize("spelling", ["dak lak", "Dak Lak", "Đắk Lắk", "ĐẮK LẮK", "Đăk Lăk"])
def test_every_spelling_of_dak_lak_folds_to_the_same_tokens(spelling):
    assert fold(spelling) == "dak lak"
    assert tokens(spelling) == ["dak", "lak"]
    assert tokens(nfd(spelling)) == ["dak", "lak"]


def test_d_with_stroke_folds_to_d():
    # Unicode folding alone keeps đ; a reader typing "dak lak" must still match.
    assert fold("Đ") == fold("đ") == "d"
    assert fold("Ðắk") == "dak"  # Icelandic eth, a frequent look-alike of Đ


def test_cricket_goat_and_dyke_fold_together_but_stay_apart_exactly():
    words = ["dế", "dê", "đê"]
    assert {fold(w) for w in words} == {"de"}
    assert len({exact(w) for w in words}) == 3
    assert exact("ĐÊ") == exact(nfd("đê")) == "đê"


def test_has_diacritics():
    assert has_diacritics("Đắk Lắk")
    assert has_diacritics("Đak Lak")  # đ alone counts
    assert has_diacritics(nfd("dế"))
    assert not has_diacritics("Dak Lak")
    assert not has_diacritics("BUON MA THUOT")
    assert not has_diacritics("")


def test_every_vietnamese_letter_folds_to_an_ascii_letter():
    for letter in ALL_LETTERS:
        folded = fold(letter)
        assert len(folded) == 1 and folded.isascii() and folded.isalpha(), letter


# --- tokens and pairs --------------------------------------------------------

@pytest.mark.parametrize("name, folded, exact_tokens", [
    ("Ê Đê", ["e", "de"], ["ê", "đê"]),
    ("Ê-đê", ["e", "de"], ["ê", "đê"]),
    ("Buôn Ma Thuột", ["buon", "ma", "thuot"], ["buôn", "ma", "thuột"]),
    ("Krông Pắc", ["krong", "pac"], ["krông", "pắc"]),
    ("M'nông", ["m'nong"], ["m'nông"]),
    ("M’nông", ["m'nong"], ["m'nông"]),
    ("Ea H'leo, Cư M'gar", ["ea", "h'leo", "cu", "m'gar"], ["ea", "h'leo", "cư", "m'gar"]),
    ("'Đắk Lắk'", ["dak", "lak"], ["đắk", "lắk"]),
    ("Sử thi Đam San (1975)", ["su", "thi", "dam", "san", "1975"],
     ["sử", "thi", "đam", "san", "1975"]),
])
def test_tokens_of_central_highlands_names(name, folded, exact_tokens):
    assert tokens(name) == folded
    assert tokens(name, folded=False) == exact_tokens


def test_underscores_and_punctuation_separate_tokens():
    assert tokens("thư_viện tỉnh") == ["thu", "vien", "tinh"]
    assert tokens("M'_nông _'a") == ["m", "nong", "a"]
    assert tokens("a'_b", folded=False) == ["a", "b"]


@pytest.mark.parametrize("text", [
    "Đắk Lắk", "M’nông Ê-đê", "a \u0301 b", "-\u0301a", "\u0301\u0301", "x\u0483y",
    "ǅemal İstanbul ﬁne Straße", "ð Ð đ Đ", "họ\u0300c", "_a_b_", "don't ’quote’", "가각"])
def test_folded_tokens_are_the_words_of_the_folded_text(text):
    # each exact token is folded on its own (and remembered): it must give what
    # folding the whole text and cutting it into words gives
    words = fold(text).replace("\u2019", "'").replace("\u2018", "'").replace("\u02bc", "'")
    expected = re.findall(r"[\w\u0300-\u036f]+(?:'[\w\u0300-\u036f]+)*",
                          words.replace("_", " "))
    assert tokens(text) == expected
    assert tokens(text) == tokens(text)          # the second time from memory
    assert token_forms(text) == (tokens(text), tokens(text, folded=False))


def test_only_words_of_a_sensible_length_are_remembered():
    from federation import analysis
    long_word = "đ" * 41
    assert tokens(long_word) == ["d" * 41]
    assert long_word not in analysis._FOLDED_WORDS
    assert tokens("Lắk") == ["lak"] and "lắk" in analysis._FOLDED_WORDS


@pytest.mark.parametrize("text", ["Dak Lak", "ISBN 978-604", "Tay Nguyen 1975", "STRASSE"])
def test_plain_ascii_text_folds_like_any_other(text):
    # ASCII text takes a short path; it must give what the long one gives
    assert fold(text) == exact(text) == text.lower()
    assert tokens(text) == tokens(text + " đ")[:-1]


def test_eth_and_capital_d_with_stroke_fold_to_d():
    assert fold("Ðắk ðắk Đắk") == "dak dak dak"


def test_mnong_is_found_with_or_without_apostrophe():
    indexed = apostrophe_variants(tokens("Người M'nông ở Đắk Lắk"))
    assert indexed == ["nguoi", "m'nong", "mnong", "o", "dak", "lak"]
    assert "mnong" in indexed and tokens("Mnông") == ["mnong"]
    assert "m'nong" in indexed and tokens("m'nong") == ["m'nong"]


def test_syllable_pairs_join_neighbours_with_underscore():
    assert syllable_pairs(tokens("Thư viện tỉnh Đắk Lắk")) == [
        "thu_vien", "vien_tinh", "tinh_dak", "dak_lak"]
    assert syllable_pairs(tokens("thư viện", folded=False)) == ["thư_viện"]
    assert syllable_pairs(["thu"]) == []
    assert syllable_pairs([]) == []


def test_pairs_tell_a_phrase_from_scattered_syllables():
    record = set(syllable_pairs(tokens("Thư viện tỉnh Đắk Lắk")))
    assert set(syllable_pairs(tokens("thu vien"))) <= record
    assert not set(syllable_pairs(tokens("vien thu"))) <= record


# --- collation ---------------------------------------------------------------

def test_sort_follows_the_vietnamese_alphabet_not_code_points():
    words = ["Đà", "Dương", "Bắc", "Âm", "Ăn", "An"]
    assert sorted(words) != ["An", "Ăn", "Âm", "Bắc", "Dương", "Đà"]
    assert sorted(words, key=sort_key) == ["An", "Ăn", "Âm", "Bắc", "Dương", "Đà"]


def test_sort_letters_with_marks_after_their_base():
    assert sorted(["ơn", "ôm", "ong"], key=sort_key) == ["ong", "ôm", "ơn"]
    assert sorted(["ưa", "ua", "ud"], key=sort_key) == ["ua", "ud", "ưa"]
    assert sorted(["Ếch", "Ê Đê", "Ea Kar"], key=sort_key) == ["Ea Kar", "Ê Đê", "Ếch"]
    assert sorted(["Đắk Mil", "Dứa", "Eakar"], key=sort_key) == ["Dứa", "Đắk Mil", "Eakar"]


def test_base_letters_decide_before_tones():
    # The tone of the first syllable matters less than the letters after it.
    assert sorted(["mạ b", "ma c"], key=sort_key) == ["mạ b", "ma c"]
    assert sorted(["bán", "ban", "bàn", "bạn", "bản", "bãn"], key=sort_key) == [
        "ban", "bàn", "bản", "bãn", "bán", "bạn"]


def test_sort_tone_order():
    assert sorted(["mạ", "má", "mã", "mả", "mà", "ma"], key=sort_key) == [
        "ma", "mà", "mả", "mã", "má", "mạ"]


def test_sort_ignores_case_and_punctuation_and_puts_digits_first():
    assert sort_key("Đắk Lắk")[:2] == sort_key("ĐẮK LẮK")[:2] == sort_key("đắk lắk")[:2]
    assert sort_key("M'nông")[:2] == sort_key("Mnông")[:2]
    assert sorted(["an", "An", "1975", "“Ba”"], key=sort_key) == ["1975", "an", "An", "“Ba”"]
    assert sorted(["thưa", "thư viện"], key=sort_key) == ["thư viện", "thưa"]
    assert sorted(["Jrai", "Ia Grai", "Krông"], key=sort_key) == ["Ia Grai", "Jrai", "Krông"]


def test_sort_decomposed_text_like_composed():
    assert sort_key(nfd("Đắk Lắk"))[:3] == sort_key("Đắk Lắk")[:3]


# --- legacy encodings --------------------------------------------------------

@pytest.mark.parametrize("encoding", ["tcvn3", "vni"])
def test_every_letter_round_trips(encoding):
    for letter in ALL_LETTERS:
        legacy = encode_legacy(letter, encoding)
        assert convert_legacy(legacy, encoding) == letter, (encoding, letter, legacy)
    legacy = encode_legacy(ALL_LETTERS, encoding)
    # What a cp1252 reader shows: every character stands for one byte.
    assert all(ord(c) < 0x100 or len(c.encode("cp1252", "ignore")) == 1 for c in legacy)
    assert convert_legacy(legacy, encoding) == ALL_LETTERS


@pytest.mark.parametrize("encoding", ["tcvn3", "vni"])
def test_sentences_round_trip(encoding):
    for text in SENTENCES:
        text = text.replace("–", "-")  # the legacy tables hold letters only
        assert convert_legacy(encode_legacy(text, encoding), encoding) == text


def test_known_vni_mojibake():
    assert encode_legacy("Việt Nam", "vni") == "Vieät Nam"
    assert encode_legacy("Đắk Lắk", "vni") == "Ñaék Laék"
    assert convert_legacy("Vieät Nam", "vni") == "Việt Nam"
    assert convert_legacy("Thö vieän tænh Ñaék Laék", "VNI-Windows") == "Thư viện tỉnh Đắk Lắk"
    assert convert_legacy("BUOÂN MA THUOÄT", "vni") == "BUÔN MA THUỘT"
    assert convert_legacy("Buoân Ma Thuoät", "vni") == "Buôn Ma Thuột"


def test_known_tcvn3_mojibake():
    assert encode_legacy("Việt Nam", "tcvn3") == "ViÖt Nam"
    assert convert_legacy("ViÖt Nam", "tcvn3") == "Việt Nam"
    assert convert_legacy("Th\xad viÖn tØnh §¾k L¾k", "abc") == "Thư viện tỉnh Đắk Lắk"
    assert convert_legacy("Hµ Néi", "tcvn3") == "Hà Nội"
    # Raw bytes convert the same as their cp1252 reading.
    assert convert_legacy("Buôn Ma Thuột".replace("ô", "\xab").replace("ộ", "\xe9")
                          .encode("latin-1"), "tcvn3") == "Buôn Ma Thuột"


def test_tcvn3_combining_tone_bytes_compose():
    # TCVN 5712 also allows a base letter followed by a tone byte (0xB0-0xB4).
    assert convert_legacy(b"Vi\xaa\xb4t", "tcvn3") == "Việt"


def test_conversion_leaves_unicode_letters_alone():
    assert convert_legacy("Đắk ViÖt", "tcvn3") == "Đắk Việt"


def test_unknown_encoding_and_unencodable_text_are_refused():
    with pytest.raises(ValueError):
        convert_legacy("x", "viscii")
    with pytest.raises(ValueError):
        encode_legacy("Việt – Nam", "tcvn3")
    with pytest.raises(ValueError):
        encode_legacy("日本", "vni")


@pytest.mark.parametrize("text", SENTENCES[:3] + [
    "Sử thi Đam San",
    "Thư viện tỉnh Đắk Lắk, Buôn Ma Thuột",
    "Krông Pắc",
    "Người M'nông",
])
@pytest.mark.parametrize("encoding", ["tcvn3", "vni"])
def test_detects_legacy_text(text, encoding):
    legacy = encode_legacy(text, encoding)
    assert detect_legacy(legacy) == encoding
    assert convert_legacy(legacy, detect_legacy(legacy)) == text


def test_detects_legacy_bytes_and_short_titles():
    assert detect_legacy("Vieät Nam") == "vni"
    assert detect_legacy("ViÖt Nam") == "tcvn3"
    assert detect_legacy("§¾k L¾k") == "tcvn3"
    assert detect_legacy("Ñaék Laék") == "vni"
    assert detect_legacy(encode_legacy("Tiếng Việt", "tcvn3").encode("cp1252")) == "tcvn3"


@pytest.mark.parametrize("text", [
    "The quick brown fox jumps over the lazy dog.",
    "Library catalogue — 2nd edition, “revised” … © 2024 ™",
    "It’s 25°C in Buon Ma Thuot; ½ cup of coffee costs €1.",
    "Café Müller, naïve résumé, São Paulo, España, Björk, Brontë, Zoë",
    "Page 3 — Index",
])
def test_english_is_not_legacy(text):
    assert detect_legacy(text) is None


@pytest.mark.parametrize("text", SENTENCES + [
    "Cà Mau",
    "Tô Hoài",
    "Cô bé bán diêm",
    nfd("Cà phê Buôn Ma Thuột"),
    "Đắk Lắk",
    "",
])
def test_unicode_vietnamese_is_not_legacy(text):
    assert detect_legacy(text) is None


def test_kept_makes_a_value_once_and_stays_bounded():
    from federation.analysis import kept
    table, made = {}, []

    def make(value):
        return lambda: made.append(value) or value.upper()
    assert [kept(table, v, make(v), most=2) for v in ("an", "bình", "an")] == ["AN", "BÌNH", "AN"]
    assert made == ["an", "bình"]
    assert kept(table, "cường", make("cường"), most=2) == "CƯỜNG"
    assert table == {"cường": "CƯỜNG"}          # full: emptied, then the new one kept

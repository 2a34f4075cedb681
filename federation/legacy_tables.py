"""Code tables of the two legacy Vietnamese encodings found in old catalogues.

Both are written as rows: a base letter and its six forms in tone order
(no tone, huyền/grave, hỏi/hook, ngã/tilde, sắc/acute, nặng/dot below). The
Unicode letter of each cell is built from the base letter and the tone mark,
so a row cannot name the wrong letter, only the wrong legacy code, and the
round-trip tests in ``tests/unit/federation`` check every cell.

TCVN3 ("ABC", the .VnTime fonts): TCVN 5712:1993. Its VN3 subset, the one the
ABC fonts implement, holds the lower-case letters and the capitals Ă Â Ê Ô Ơ
Ư Đ; toned capitals were typed by switching to the capital font (.VnTimeH),
which draws capitals at the lower-case codes, so in the stored bytes they are
lower case and the case cannot be recovered. The capital codes below come from
the full VN1 table of the same standard (0x80-0x9F, a few C0 positions and
the free slots of 0xA0-0xFF), which is a superset of VN3: decoding VN3 data
with it is exact, and it lets every one of the 134 letters round-trip.
0xB0-0xB4 are the standard's combining tone marks.

VNI (VNI-Windows fonts, VNI Software Co.): a base letter followed by a
modifier byte, drawn from the Latin-1 range, e.g. ``Vieät`` for ``Việt`` and
``Ñaék`` for ``Đắk``. Capitals use the upper-case form of every code of the
lower-case letter (``AÙ`` for ``Á``), so only lower-case rows are written.
"""
import unicodedata

#: Combining tone marks in table order (index 0: no tone).
TONE_MARKS = ("", "\u0300", "\u0309", "\u0303", "\u0301", "\u0323")

# TCVN 5712:1993 byte values, by base letter, in tone order.
TCVN3_ROWS = {
    "a": (0x61, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9),
    "ă": (0xA8, 0xBB, 0xBC, 0xBD, 0xBE, 0xC6),
    "â": (0xA9, 0xC7, 0xC8, 0xC9, 0xCA, 0xCB),
    "e": (0x65, 0xCC, 0xCE, 0xCF, 0xD0, 0xD1),
    "ê": (0xAA, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6),
    "i": (0x69, 0xD7, 0xD8, 0xDC, 0xDD, 0xDE),
    "o": (0x6F, 0xDF, 0xE1, 0xE2, 0xE3, 0xE4),
    "ô": (0xAB, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9),
    "ơ": (0xAC, 0xEA, 0xEB, 0xEC, 0xED, 0xEE),
    "u": (0x75, 0xEF, 0xF1, 0xF2, 0xF3, 0xF4),
    "ư": (0xAD, 0xF5, 0xF6, 0xF7, 0xF8, 0xF9),
    "y": (0x79, 0xFA, 0xFB, 0xFC, 0xFD, 0xFE),
    # Capitals: the toned ones exist only in VN1 (see the module docstring).
    "A": (0x41, 0x80, 0x81, 0x82, 0x83, 0x84),
    "Ă": (0xA1, 0xAF, 0xBA, 0xBF, 0xC0, 0x85),
    "Â": (0xA2, 0xC1, 0xC2, 0xC3, 0xC4, 0x86),
    "E": (0x45, 0x87, 0x88, 0x89, 0x8A, 0x8B),
    "Ê": (0xA3, 0xC5, 0xCD, 0xD9, 0xDA, 0x8C),
    "I": (0x49, 0x8D, 0x8E, 0x8F, 0x90, 0x91),
    "O": (0x4F, 0x92, 0x93, 0x94, 0x95, 0x96),
    "Ô": (0xA4, 0xDB, 0xE0, 0xF0, 0xFF, 0x97),
    "Ơ": (0xA5, 0x98, 0x99, 0x9A, 0x9B, 0x9C),
    "U": (0x55, 0x9D, 0x9E, 0x9F, 0x01, 0x02),
    "Ư": (0xA6, 0x04, 0x05, 0x06, 0x11, 0x12),
    "Y": (0x59, 0x13, 0x14, 0x15, 0x16, 0x17),
}
TCVN3_OTHER = {"đ": 0xAE, "Đ": 0xA7}
TCVN3_COMBINING = {0xB0: "\u0300", 0xB1: "\u0309", 0xB2: "\u0303",
                   0xB3: "\u0301", 0xB4: "\u0323"}

# VNI-Windows codes (as Latin-1 text), lower case, by base letter, in tone order.
VNI_ROWS = {
    "a": ("a", "aø", "aû", "aõ", "aù", "aï"),
    "ă": ("aê", "aè", "aú", "aü", "aé", "aë"),
    "â": ("aâ", "aà", "aå", "aã", "aá", "aä"),
    "e": ("e", "eø", "eû", "eõ", "eù", "eï"),
    "ê": ("eâ", "eà", "eå", "eã", "eá", "eä"),
    "i": ("i", "ì", "æ", "ó", "í", "ò"),
    "o": ("o", "oø", "oû", "oõ", "où", "oï"),
    "ô": ("oâ", "oà", "oå", "oã", "oá", "oä"),
    "ơ": ("ô", "ôø", "ôû", "ôõ", "ôù", "ôï"),
    "u": ("u", "uø", "uû", "uõ", "uù", "uï"),
    "ư": ("ö", "öø", "öû", "öõ", "öù", "öï"),
    "y": ("y", "yø", "yû", "yõ", "yù", "î"),
}
VNI_OTHER = {"đ": "ñ"}


def _letter(base, tone):
    return unicodedata.normalize("NFC", base + TONE_MARKS[tone])


def _build_tcvn3():
    encode = {}
    for base, codes in TCVN3_ROWS.items():
        for tone, code in enumerate(codes):
            encode[_letter(base, tone)] = code
    encode.update(TCVN3_OTHER)
    decode = {code: letter for letter, code in encode.items() if code >= 0x80 or code < 0x20}
    decode.update(TCVN3_COMBINING)
    encode = {letter: code for letter, code in encode.items() if not letter.isascii()}
    return encode, decode


def _build_vni():
    encode = {}
    for base, codes in VNI_ROWS.items():
        for tone, code in enumerate(codes):
            letter = _letter(base, tone)
            encode[letter] = code
            encode[letter.upper()] = code.upper()
    for letter, code in VNI_OTHER.items():
        encode[letter] = code
        encode[letter.upper()] = code.upper()
    encode = {letter: code for letter, code in encode.items() if not letter.isascii()}
    decode = {code: letter for letter, code in encode.items()}
    # Modifiers typed in the other case than their base letter (caps lock, or a
    # careless upper()) still mean the same letter; the base letter gives the case.
    for letter, code in list(encode.items()):
        if len(code) == 2:
            decode.setdefault(code[0] + code[1].swapcase(), letter)
    return encode, decode


#: Vietnamese letter -> TCVN3 byte, and byte -> letter (or combining mark).
TCVN3_ENCODE, TCVN3_DECODE = _build_tcvn3()
#: Vietnamese letter -> VNI code (one or two Latin-1 characters), and back.
VNI_ENCODE, VNI_DECODE = _build_vni()

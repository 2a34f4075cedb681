"""Field validation as a cataloguer meets it in the forms and the API."""
import datetime
import unicodedata

import pytest

from repository.resources import CONTENT_TYPES
from repository.schemas import isbn_valid, slugify, validate, validate_name

ITEM = CONTENT_TYPES["DigitalItem"].schema


def check(**data):
    data.setdefault("title", "Sách")
    return validate(ITEM, data)


@pytest.mark.parametrize("isbn, stored", [
    ("978-604-1-00000-1", "9786041000001"),     # ISBN-13 with hyphens
    ("9780306406157", "9780306406157"),
    ("0-306-40615-2", "0306406152"),            # ISBN-10
    ("0 8044 2957 x", "080442957X"),            # check digit X, lower case, spaces
])
def test_valid_isbns_are_stored_without_separators(isbn, stored):
    clean, errors = check(isbn=isbn)
    assert errors == {}
    assert clean["isbn"] == stored


@pytest.mark.parametrize("isbn", [
    "9780306406158",        # wrong check digit
    "0-306-40615-3",        # wrong check digit
    "978030640615",         # too short
    "97803064061X7",        # X inside
    "ISBN 9780306406157",
])
def test_invalid_isbns_are_refused(isbn):
    clean, errors = check(isbn=isbn)
    assert "isbn" in errors
    assert "ISBN" in errors["isbn"]


def test_isbn_check_digits():
    assert isbn_valid("9780306406157") and not isbn_valid("9780306406150")
    assert isbn_valid("080442957X") and not isbn_valid("0804429571")


@pytest.mark.parametrize("year, ok", [
    ("1975", True), ("1950", True), (str(datetime.date.today().year + 1), True),
    ("975", False), (str(datetime.date.today().year + 2), False), ("năm 1975", False),
    ("19 75", False), ("1975.5", False), ("²⁰²⁰", False),
])
def test_year(year, ok):
    clean, errors = check(year=year)
    assert ("year" not in errors) is ok, errors
    if ok:
        assert clean["year"] == int(year)


def test_empty_year_is_none():
    clean, errors = check(year="  ")
    assert errors == {} and clean["year"] is None


@pytest.mark.parametrize("code, ok", [("vie", True), ("eng", True), ("fre", True),
                                      ("vi", False), ("tiếng Việt", False), ("v1e", False)])
def test_language_is_a_marc_code(code, ok):
    clean, errors = check(language=code)
    assert ("language" not in errors) is ok


def test_title_is_required():
    for empty in ("", "   ", None):
        clean, errors = validate(ITEM, {"title": empty})
        assert "title" in errors
    clean, errors = validate(ITEM, {})
    assert "title" in errors


def test_input_typed_in_nfd_is_stored_in_nfc():
    nfd = unicodedata.normalize("NFD", "Đắk Lắk")
    assert nfd != "Đắk Lắk"
    creators = unicodedata.normalize("NFD", "Nguyễn Du\nHồ Xuân Hương")
    clean, errors = check(title=nfd, creators=creators)
    assert errors == {}
    assert clean["title"] == "Đắk Lắk"
    assert clean["creators"] == ["Nguyễn Du", "Hồ Xuân Hương"]


def test_lists_accept_lines_or_semicolons_and_drop_blanks():
    clean, errors = check(subjects="Lịch sử; Địa lý\n\n  Văn hóa  ")
    assert clean["subjects"] == ["Lịch sử", "Địa lý", "Văn hóa"]
    clean, errors = check(subjects=["Cà phê", " ", "Hồ tiêu"])
    assert clean["subjects"] == ["Cà phê", "Hồ tiêu"]


def test_lengths_are_limited():
    clean, errors = check(title="x" * 301)
    assert "title" in errors
    clean, errors = check(description="x" * 5000)
    assert "description" not in errors
    clean, errors = check(description="x" * 5001)
    assert "description" in errors


def test_partial_validation_only_checks_what_is_sent():
    clean, errors = validate(ITEM, {"year": "2001"}, partial=True)
    assert errors == {} and clean == {"year": 2001}


def test_errors_are_translation_strings():
    from pyramid.i18n import TranslationString
    clean, errors = check(year="xx", isbn="1", language="vi", title="")
    assert set(errors) == {"year", "isbn", "language", "title"}
    assert all(isinstance(m, TranslationString) and m.domain == "serepok" for m in errors.values())
    clean, errors = check(year="²⁰²⁰")            # digits to Python, not to a cataloguer
    assert isinstance(errors["year"], TranslationString)


def test_slugs_and_names():
    assert slugify("Lịch sử Đắk Lắk") == "lich-su-dak-lak"
    assert slugify("Sử thi Đam San — bản 2") == "su-thi-dam-san-ban-2"
    assert slugify("!!!") == "muc"
    assert validate_name("su-thi") is None
    assert validate_name("Sử thi") is not None
    assert validate_name("-a") is not None

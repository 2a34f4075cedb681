"""The CCCD QR parser: the 6-, 7- and longer 2024 forms, and what it refuses."""
import datetime

import pytest

from ils.readers import cccd

TODAY = datetime.date(2026, 11, 26)
SEVEN = "066090001234|241234567|Nguyễn Văn An|15031990|Nam|Thôn 3, xã Cư Êbur, Đắk Lắk|10082021"


def test_seven_field_card():
    data = cccd.parse(SEVEN, today=TODAY)
    assert (data.id_number, data.old_id_number, data.full_name) == (
        "066090001234", "241234567", "Nguyễn Văn An")
    assert data.birth_date == datetime.date(1990, 3, 15)
    assert data.sex == "Nam" and data.address.startswith("Thôn 3")
    assert data.issue_date == datetime.date(2021, 8, 10) and data.extras == []


def test_seven_fields_with_empty_old_id_and_six_field_form_agree():
    empty_old = cccd.parse("066090001234||Nguyễn Văn An|15031990|Nam|Thôn 3|10082021", TODAY)
    six = cccd.parse("066090001234|Nguyễn Văn An|15031990|Nam|Thôn 3|10082021", TODAY)
    assert empty_old.as_form() == six.as_form()
    assert six.field_count == 6 and six.old_id_number == ""


def test_2024_card_keeps_extra_fields():
    data = cccd.parse("066300001111|066190009999|Hoàng Thị Hoa|01012000|Nữ|Phường Tân An, "
                      "Đắk Lắk|01072024|Hoàng Văn Ba|Lê Thị Tư", TODAY)
    assert data.full_name == "Hoàng Thị Hoa" and data.sex == "Nữ"
    assert data.old_id_number == "066190009999"
    assert data.extras == ["Hoàng Văn Ba", "Lê Thị Tư"]


def test_decomposed_unicode_and_trailing_newline_are_accepted():
    import unicodedata
    data = cccd.parse(unicodedata.normalize("NFD", SEVEN) + "\r\n", TODAY)
    assert data.full_name == "Nguyễn Văn An"


@pytest.mark.parametrize("payload, words", [
    ("", "empty"),
    ("https://example.com/", "6"),
    ("12345|a|b|c|d|e|f", "12-digit"),
    ("066090001234|241234567|Nguyễn Văn An|31021990|Nam|Thôn 3|10082021", "not a real date"),
    ("066090001234|241234567|Nguyễn Văn An|15032090|Nam|Thôn 3|10082021", "not possible"),
    ("066090001234|241234567|Nguy?n V?n An|15031990|Nam|Thôn 3|10082021", "serial mode"),
    ("066090001234|241234567|Nguyễn Văn An|Nam|Thôn 3|10082021", "birth date"),
    ("a|b\nc|d|e|f|g", "lines"),
])
def test_refusals_say_why(payload, words):
    with pytest.raises(cccd.CccdError) as info:
        cccd.parse(payload, TODAY)
    message = info.value.message
    text = message.interpolate() if message.mapping else str(message)
    for key, value in (message.mapping or {}).items():
        text += " " + str(value)
    assert words in text

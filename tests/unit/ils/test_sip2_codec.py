"""The SIP2 codec: checksums, fixed and variable fields, dates, tolerance and strictness."""
import datetime

import pytest

from ils.sip2 import codec


def test_checksum_of_the_reference_example():
    assert codec.checksum("9900302.00AY1AZ") == "FCA5"
    message = codec.parse("9900302.00AY1AZFCA5")
    assert message.name == "sc_status"
    assert message.fixed == {"status_code": "0", "max_print_width": "030",
                             "protocol_version": "2.00"}
    assert message.sequence == "1"


def test_a_wrong_checksum_is_refused():
    with pytest.raises(codec.ChecksumError):
        codec.parse("9900302.00AY1AZFCA6")


def test_checksum_over_utf8_bytes_and_over_characters_both_accepted():
    text = "17" + " " * 18 + "AODLL|ABBMT1|AJĐắk Lắk|AY2AZ"
    assert codec.parse(text + codec.checksum(text)).get("AJ") == "Đắk Lắk"
    by_chars = f"{(-sum(map(ord, text))) & 0xFFFF:X}"       # what the PyPI Sip2 client sends
    assert codec.parse(text + by_chars).get("AB") == "BMT1"


def test_fixed_then_variable_fields_unknown_fields_kept_repeats_in_order():
    m = codec.parse("6300120261126    101500  Y       AODLL|AA123|ZZodd|AUa|AUb|", False)
    assert m.fixed["language"] == "001"
    assert m.fixed["summary"] == "  Y       "
    assert m.get("AA") == "123" and m.all("AU") == ["a", "b"] and m.get("ZZ") == "odd"
    assert m.sequence is None


def test_unknown_type_short_fixed_part_and_missing_fields():
    with pytest.raises(codec.SipError) as exc:
        codec.parse("42abc")
    assert exc.value.kind == "unknown_type"
    with pytest.raises(codec.SipError) as exc:
        codec.parse("9900")
    assert exc.value.kind == "malformed"
    with pytest.raises(codec.SipError) as exc:
        codec.parse("17" + " " * 18 + "AODLL|")
    assert exc.value.kind == "missing_field" and "AB" in exc.value.detail
    with pytest.raises(codec.SipError):
        codec.parse("\x00\x01garbage")


def test_format_appends_sequence_checksum_and_cr_and_cleans_separators():
    raw = codec.format_message("94", ["1"], [("AF", "a|b\rc"), ("AG", None)], sequence="3")
    assert raw.endswith(b"\r")
    text = raw[:-1].decode()
    assert text.startswith("941AFa/b c|AY3AZ")
    assert codec.checksum(text[:-4]) == text[-4:]
    assert codec.parse("97" + text[2:][:0] + "AZ" + codec.checksum("97AZ")).name == "resend"
    assert codec.format_message("96") == b"96AZ" + codec.checksum("96AZ").encode() + b"\r"
    assert codec.format_message("98", ["Y"], error_detection=False) == b"98Y\r"


def test_dates_are_18_characters_local_time_with_blank_zone():
    stamp = codec.sip_date(datetime.datetime(2026, 11, 26, 9, 5, 7))
    assert stamp == "20261126    090507" and len(stamp) == 18
    assert codec.sip_date(datetime.date(2026, 12, 10)) == "20261210    235959"
    assert codec.parse_date(stamp) == datetime.datetime(2026, 11, 26, 9, 5, 7)
    assert codec.parse_date("20261126   Z090507") == datetime.datetime(2026, 11, 26, 9, 5, 7)
    assert codec.parse_date(" " * 18) is None and codec.parse_date("garbage") is None

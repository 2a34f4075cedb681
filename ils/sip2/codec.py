"""SIP2 2.00 messages on the wire: parse what a self-check machine sends, format our answers.

A message is a two-digit code, fixed-length fields, then variable fields
``XXvalue|`` (two-letter field id, value, ``|``), then optionally the error
detection tail ``AY<sequence>AZ<checksum>`` and a carriage return. The checksum is
the two's complement of the 16-bit sum of the bytes up to and including ``AZ``,
as four upper-case hex digits (``9900302.00AY1AZFCA5``).

Unknown variable fields are kept (and ignored by the handlers); a repeated field
keeps every value in order (``AU`` charged items and the like). Dates are 18
characters ``YYYYMMDDZZZZHHMMSS`` with blanks in the time-zone part for local time.
"""
import datetime
import re

__all__ = ["Message", "SipError", "ChecksumError", "parse", "format_message", "checksum",
           "sip_date", "parse_date", "REQUESTS", "MAX_LINE"]

MAX_LINE = 4096          # bytes: a longer line is refused, never buffered without end

# code: (name, [(fixed field name, length), ...], required variable fields)
REQUESTS = {
    "93": ("login", [("uid_algorithm", 1), ("pwd_algorithm", 1)], ("CN", "CO")),
    "99": ("sc_status", [("status_code", 1), ("max_print_width", 3),
                         ("protocol_version", 4)], ()),
    "23": ("patron_status", [("language", 3), ("transaction_date", 18)], ("AO", "AA")),
    "63": ("patron_information", [("language", 3), ("transaction_date", 18),
                                  ("summary", 10)], ("AO", "AA")),
    "17": ("item_information", [("transaction_date", 18)], ("AO", "AB")),
    "11": ("checkout", [("sc_renewal_policy", 1), ("no_block", 1), ("transaction_date", 18),
                        ("nb_due_date", 18)], ("AO", "AA", "AB")),
    "09": ("checkin", [("no_block", 1), ("transaction_date", 18), ("return_date", 18)],
           ("AO", "AB")),
    "29": ("renew", [("third_party_allowed", 1), ("no_block", 1), ("transaction_date", 18),
                     ("nb_due_date", 18)], ("AO", "AA")),
    "35": ("end_session", [("transaction_date", 18)], ("AO", "AA")),
    "15": ("hold", [("hold_mode", 1), ("transaction_date", 18)], ("AO", "AA")),
    "65": ("renew_all", [("transaction_date", 18)], ("AO", "AA")),
    "97": ("resend", [], ()),
    # SIP2 messages we understand but do not act on (98 says so): a polite refusal each
    "01": ("block_patron", [("card_retained", 1), ("transaction_date", 18)], ()),
    "19": ("item_status_update", [("transaction_date", 18)], ()),
    "25": ("patron_enable", [("transaction_date", 18)], ()),
    "37": ("fee_paid", [("transaction_date", 18), ("fee_type", 2), ("payment_type", 2),
                        ("currency_type", 3)], ()),
}

_FIELD = re.compile(r"[A-Z]{2}")
_TAIL = re.compile(r"AY(\d)AZ([0-9A-Fa-f]{1,4})$")
_TAIL_NOSEQ = re.compile(r"AZ([0-9A-Fa-f]{1,4})$")


class SipError(ValueError):
    """A message we cannot act on; ``kind`` says why (for the log and the tests)."""

    def __init__(self, kind, detail=""):
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail


class ChecksumError(SipError):
    """The checksum does not match: the answer is 96 (please resend)."""

    def __init__(self, detail=""):
        super().__init__("checksum", detail)


class Message:
    """One parsed message: ``code``, ``fixed`` (dict), ``fields`` (id -> [values]),
    ``sequence`` (str digit or None) and ``unknown`` (field ids we do not use)."""

    def __init__(self, code, fixed=None, fields=None, sequence=None):
        self.code = code
        self.fixed = fixed or {}
        self.fields = fields or {}
        self.sequence = sequence

    @property
    def name(self):
        return REQUESTS.get(self.code, ("unknown",))[0]

    def get(self, field_id, default=""):
        values = self.fields.get(field_id)
        return values[0] if values else default

    def all(self, field_id):
        return list(self.fields.get(field_id, ()))

    def __repr__(self):
        return f"<Message {self.code} {self.fixed} {self.fields} seq={self.sequence}>"


def checksum(data):
    """Four hex digits over ``data`` (bytes or str, str is taken as UTF-8)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return f"{(-sum(data)) & 0xFFFF:04X}"


def _char_checksum(text):
    # some clients (the PyPI Sip2 client among them) add code points, not bytes
    return (-sum(ord(c) for c in text)) & 0xFFFF


def decode(raw):
    """Bytes of one line (terminator removed) as text: UTF-8, else Latin-1 (never fails)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def parse(line, strict_fields=True):
    """Parse one message (str, terminator already removed).

    Raises ``ChecksumError`` for a wrong checksum, ``SipError('unknown_type')`` for a code we
    do not serve, ``SipError('malformed')`` when the fixed part is short, and
    ``SipError('missing_field')`` when a required field is absent.
    """
    line = line.rstrip("\r\n")
    sequence = None
    body = line
    tail = _TAIL.search(line)
    tail_noseq = None if tail else _TAIL_NOSEQ.search(line)
    if tail or tail_noseq:
        match = tail or tail_noseq
        given = int(match.group(match.lastindex), 16)
        through_az = line[:match.start(match.lastindex)]
        if given != int(checksum(through_az), 16) and given != _char_checksum(through_az):
            raise ChecksumError(f"{match.group(match.lastindex)} != {checksum(through_az)}")
        if tail:
            sequence = tail.group(1)
        body = line[:match.start()]
    code = body[:2]
    if len(code) < 2 or not code.isdigit():
        raise SipError("malformed", "no message code")
    if code not in REQUESTS:
        raise SipError("unknown_type", code)
    name, layout, required = REQUESTS[code]
    pos = 2
    fixed = {}
    for field_name, length in layout:
        value = body[pos:pos + length]
        if len(value) < length:
            raise SipError("malformed", f"fixed field {field_name}")
        fixed[field_name] = value
        pos += length
    fields = {}
    rest = body[pos:]
    for chunk in rest.split("|"):
        if not chunk:
            continue
        field_id = chunk[:2]
        if not _FIELD.fullmatch(field_id):
            raise SipError("malformed", f"field {chunk[:10]!r}")
        fields.setdefault(field_id, []).append(chunk[2:])
    message = Message(code, fixed, fields, sequence)
    if strict_fields:
        missing = [f for f in required if f not in fields]
        if missing:
            raise SipError("missing_field", ",".join(missing))
    return message


def _clean(value):
    # a value may not carry the field or message separators
    return str(value).replace("|", "/").replace("\r", " ").replace("\n", " ")


def format_message(code, fixed=(), fields=(), sequence=None, error_detection=True):
    """One message as bytes ending with CR.

    ``fixed``: strings already at their lengths (checked by the caller's layout);
    ``fields``: (id, value) pairs, in order; a value of None is left out.
    With error detection the tail is ``AY<sequence>AZ<checksum>`` (no AY when
    ``sequence`` is None, as for 96).
    """
    text = code + "".join(fixed)
    for field_id, value in fields:
        if value is None:
            continue
        text += f"{field_id}{_clean(value)}|"
    if error_detection:
        if sequence is not None:
            text += f"AY{sequence}"
        text += "AZ"
        text += checksum(text)
    return (text + "\r").encode("utf-8")


def sip_date(moment=None):
    """``YYYYMMDD    HHMMSS`` in local time (blanks in the zone part), as the spec prefers."""
    moment = moment or datetime.datetime.now()
    if isinstance(moment, datetime.datetime) and moment.tzinfo is not None:
        moment = moment.astimezone()
    if not isinstance(moment, datetime.datetime):
        moment = datetime.datetime.combine(moment, datetime.time(23, 59, 59))
    return moment.strftime("%Y%m%d    %H%M%S")


def parse_date(value):
    """An 18-character SIP2 date as a datetime (naive, local), or None when blank/bad."""
    value = (value or "").strip()
    if not value:
        return None
    digits = value[:8] + value[-6:]
    try:
        return datetime.datetime.strptime(digits, "%Y%m%d%H%M%S")
    except ValueError:
        return None


def flag(value):
    """Y/N from a truth value."""
    return "Y" if value else "N"

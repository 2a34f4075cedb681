"""Reader services: applications, cards, blocks, consents, the audit log, personal data.

``ReaderService`` works inside the caller's transaction and never commits.
Each method checks everything before it changes anything, so a refusal
(``ReaderError``, with a translatable message) leaves nothing half-written; the
request's transaction manager aborts on any other exception.

Card numbers: ``66`` (Đắk Lắk's province code) + one digit for the home site +
the reader's id in seven digits + a Luhn check digit: eleven digits a barcode
scanner or a person can type, unique because the id is, and a mistyped digit
is caught by the check digit before the database is asked.
"""
import datetime
import re

from pyramid.i18n import TranslationStringFactory
from sqlalchemy import or_, select
from zope.interface import Interface, implementer

from federation.analysis import fold

from .models import AuditEntry, Consent, NotificationLog, Reader, ReaderCategory, ReaderStatus
from .models import utcnow

_ = TranslationStringFactory("serepok")

__all__ = ["IReaderService", "ReaderService", "ReaderError", "card_number_for", "luhn_digit",
           "valid_card_number", "NOTICE_VERSIONS"]

PROVINCE = "66"
SITE_DIGITS = {"bmt": "1", "tuy-hoa": "2"}
OTHER_SITE_DIGIT = "9"
DEFAULT_CARD_YEARS = 3
MAX_AGE = 120
ID_RE = re.compile(r"^\d{12}$")
OLD_ID_RE = re.compile(r"^(\d{9}|\d{12})?$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_RE = re.compile(r"^\+?[0-9 .-]{8,20}$")
#: the texts a reader accepts; their versions are what the consents record
NOTICE_VERSIONS = {"rules": "2026-11", "personal_data": "2026-11"}
SEXES = ("Nam", "Nữ")


class IReaderService(Interface):
    """Register readers, issue and renew cards, block, audit, export and erase personal data."""


class ReaderError(ValueError):
    """A refusal with a message for people; ``field`` names the form field when there is one."""

    def __init__(self, code, message, field=None):
        super().__init__(code)
        self.code = code
        self.message = message
        self.field = field


def luhn_digit(digits):
    """The Luhn check digit of a string of digits."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 0:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return str((10 - total % 10) % 10)


def card_number_for(reader_id, site):
    body = PROVINCE + SITE_DIGITS.get(site, OTHER_SITE_DIGIT) + f"{reader_id:07d}"
    return body + luhn_digit(body)


def valid_card_number(number):
    return (isinstance(number, str) and len(number) == 11 and number.isdigit()
            and luhn_digit(number[:-1]) == number[-1])


def add_years(day, years):
    try:
        return day.replace(year=day.year + years)
    except ValueError:          # 29 February
        return day.replace(year=day.year + years, day=28)


def clean_text(value, limit):
    return " ".join(str(value or "").split())[:limit]


@implementer(IReaderService)
class ReaderService:
    def __init__(self, dbsession, settings=None, circulation=None):
        self.db = dbsession
        self.settings = settings or {}
        self.circulation = circulation

    @property
    def card_years(self):
        return int(self.settings.get("readers.card_years", DEFAULT_CARD_YEARS))

    # finding readers ------------------------------------------------------------------
    def get(self, reader_id):
        try:
            return self.db.get(Reader, int(reader_id))
        except (TypeError, ValueError):
            return None

    def for_user(self, user_id):
        return self.db.scalar(select(Reader).where(Reader.user_id == user_id))

    def by_card(self, number):
        return self.db.scalar(select(Reader).where(Reader.card_number == (number or "").strip()))

    def by_id_number(self, id_number):
        return self.db.scalar(select(Reader).where(Reader.id_number == (id_number or "").strip()))

    def pending(self, sites=None):
        query = select(Reader).where(Reader.status == ReaderStatus.PENDING)
        if sites is not None:
            query = query.where(Reader.home_site.in_(list(sites)))
        return list(self.db.scalars(query.order_by(Reader.created)))

    def search(self, text, limit=50):
        """Readers whose card number or ID number is ``text``, or whose name contains its
        words (with or without diacritics)."""
        text = clean_text(text, 200)
        if not text:
            return []
        exact = list(self.db.scalars(select(Reader).where(or_(
            Reader.card_number == text, Reader.id_number == text)).limit(limit)))
        if exact:
            return exact
        words = fold(text).lower().split()[:8]
        query = select(Reader).where(Reader.full_name != "")
        for word in words:
            query = query.where(Reader.name_key.contains(word, autoescape=True))
        return list(self.db.scalars(query.order_by(Reader.full_name, Reader.id).limit(limit)))

    # applications -----------------------------------------------------------------------
    def validate(self, data, today=None):
        """Clean the fields of an application; raises ReaderError on the first wrong one."""
        today = today or datetime.date.today()
        clean = {
            "full_name": clean_text(data.get("full_name"), 200),
            "id_number": clean_text(data.get("id_number"), 20).replace(" ", ""),
            "old_id_number": clean_text(data.get("old_id_number"), 20).replace(" ", ""),
            "sex": clean_text(data.get("sex"), 10),
            "address": clean_text(data.get("address"), 500),
            "phone": clean_text(data.get("phone"), 40),
            "email": clean_text(data.get("email"), 200).lower(),
            "home_site": clean_text(data.get("home_site"), 80) or "bmt",
            "language": data.get("language") if data.get("language") in ("vi", "en") else "vi",
        }
        category = data.get("category") or "adult"
        if category not in {c.value for c in ReaderCategory}:
            raise ReaderError("category", _("Choose a reader category."), "category")
        clean["category"] = ReaderCategory(category)
        if len(clean["full_name"]) < 2:
            raise ReaderError("full_name", _("Enter your full name as on your ID card."),
                              "full_name")
        if not ID_RE.match(clean["id_number"]):
            raise ReaderError("id_number", _("The citizen ID number has 12 digits."),
                              "id_number")
        if not OLD_ID_RE.match(clean["old_id_number"]):
            raise ReaderError("old_id_number", _("The old ID number (CMND) has 9 or 12 "
                                                 "digits, or leave it empty."), "old_id_number")
        birth = data.get("birth_date")
        if isinstance(birth, str):
            try:
                birth = datetime.date.fromisoformat(birth.strip())
            except ValueError:
                birth = None
        if not isinstance(birth, datetime.date):
            raise ReaderError("birth_date", _("Enter the birth date as on your ID card."),
                              "birth_date")
        if birth > today or birth.year < today.year - MAX_AGE:
            raise ReaderError("birth_date", _("The birth date ${date} is not possible.",
                                              mapping={"date": birth.strftime("%d/%m/%Y")}),
                              "birth_date")
        clean["birth_date"] = birth
        if clean["sex"] not in SEXES:
            raise ReaderError("sex", _("Choose male or female as on your ID card."), "sex")
        if clean["email"] and not EMAIL_RE.match(clean["email"]):
            raise ReaderError("email", _("This e-mail address is not valid."), "email")
        if clean["phone"] and not PHONE_RE.match(clean["phone"]):
            raise ReaderError("phone", _("This phone number is not valid."), "phone")
        if self.by_id_number(clean["id_number"]) is not None:
            raise ReaderError("id_taken", _(
                "This citizen ID number already has a library card or an application. One "
                "person, one card: sign in to your account, or ask at the desk if you lost "
                "your card."), "id_number")
        return clean

    def validate_contact(self, data):
        """Check the fields a reader may change alone: e-mail and telephone."""
        email = clean_text(data.get("email"), 200)
        phone = clean_text(data.get("phone"), 40)
        if email and not EMAIL_RE.match(email):
            raise ReaderError("email", _("This e-mail address is not valid."), "email")
        if phone and not PHONE_RE.match(phone):
            raise ReaderError("phone", _("This phone number is not valid."), "phone")

    def register(self, data, consents=(), channel="portal", user=None, source="online",
                 today=None):
        """A pending application from cleaned or raw ``data``; ``consents`` are
        (kind, text_version) pairs; both rules and personal-data consents are required."""
        clean = self.validate(data, today=today)
        kinds = {kind for kind, _version in consents}
        if not {"rules", "personal_data"} <= kinds:
            raise ReaderError("consent", _("Please accept the library rules and the "
                                           "personal-data notice."), "consent")
        reader = Reader(status=ReaderStatus.PENDING, source=source, **clean)
        if user is not None:
            reader.user_id = user.id
        self.db.add(reader)
        for kind, version in consents:
            reader.consents.append(Consent(kind=kind, text_version=version, channel=channel))
        self.db.flush()
        return reader

    # cards ------------------------------------------------------------------------------
    def issue_card(self, reader, actor, today=None):
        """Verify an application and issue the card (or re-issue a lost one)."""
        today = today or datetime.date.today()
        if reader.status == ReaderStatus.CLOSED:
            raise ReaderError("closed", _("This reader's account is closed."))
        if reader.status == ReaderStatus.BLOCKED:
            raise ReaderError("blocked", _("This reader is blocked: unblock first."))
        reader.card_number = card_number_for(reader.id, reader.home_site)
        reader.status = ReaderStatus.ACTIVE
        reader.expires = add_years(today, self.card_years)
        reader.verified_by = actor
        reader.verified_at = utcnow()
        self.audit(actor, "issue", reader, card_number=reader.card_number)
        return reader

    def renew_card(self, reader, actor, today=None):
        today = today or datetime.date.today()
        if reader.status not in (ReaderStatus.ACTIVE, ReaderStatus.BLOCKED):
            raise ReaderError("not_active", _("Only an issued card can be renewed."))
        start = max(today, reader.expires or today)
        reader.expires = add_years(start, self.card_years)
        self.audit(actor, "renew", reader, expires=reader.expires.isoformat())
        return reader

    def block(self, reader, reason, actor):
        reason = clean_text(reason, 500)
        if not reason:
            raise ReaderError("reason", _("Give the reason for the block."), "reason")
        if reader.status != ReaderStatus.ACTIVE:
            raise ReaderError("not_active", _("Only an active card can be blocked."))
        reader.status = ReaderStatus.BLOCKED
        reader.block_reason = reason
        self.audit(actor, "block", reader, reason=reason)

    def unblock(self, reader, actor, reason=""):
        if reader.status != ReaderStatus.BLOCKED:
            raise ReaderError("not_blocked", _("This reader is not blocked."))
        reader.status = ReaderStatus.ACTIVE
        reader.block_reason = ""
        self.audit(actor, "unblock", reader, reason=clean_text(reason, 500))

    def can_borrow(self, reader, today=None):
        """None when the card may be used; otherwise a ReaderError saying why not."""
        if reader.status == ReaderStatus.PENDING:
            return ReaderError("pending", _("This card application has not been verified at "
                                            "the desk yet."))
        if reader.status == ReaderStatus.BLOCKED:
            return ReaderError("blocked", _("This card is blocked: ${reason}",
                                            mapping={"reason": reader.block_reason}))
        if reader.status == ReaderStatus.CLOSED:
            return ReaderError("closed", _("This reader's account is closed."))
        if reader.is_expired(today):
            return ReaderError("expired", _("This card expired on ${date}: renew it at the "
                                            "desk.", mapping={
                                                "date": reader.expires.strftime("%d/%m/%Y")}))
        return None

    # consents and audit ---------------------------------------------------------------
    def record_consent(self, reader, kind, version, channel="portal"):
        consent = Consent(kind=kind, text_version=version, channel=channel)
        reader.consents.append(consent)
        return consent

    def audit(self, actor, action, reader, **detail):
        entry = AuditEntry(actor=str(actor)[:100], action=action,
                           reader_id=reader.id if reader is not None else None,
                           detail=detail)
        self.db.add(entry)
        return entry

    def audit_log(self, reader, limit=100):
        return list(self.db.scalars(select(AuditEntry).where(AuditEntry.reader_id == reader.id)
                                    .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
                                    .limit(limit)))

    def preferences(self, reader, values):
        for name in ("notify_email", "notify_hold_ready", "notify_due_soon", "notify_overdue",
                     "keep_history"):
            setattr(reader, name, bool(values.get(name)))
        if values.get("language") in ("vi", "en"):
            reader.language = values["language"]

    # personal data ----------------------------------------------------------------------
    def export(self, reader):
        """Everything we hold about the reader, as JSON-ready data (Law 91/2025 access right)."""
        def iso(value):
            return value.isoformat() if value is not None else None
        data = {
            "@type": "ReaderDataExport",
            "exported_at": utcnow().isoformat(),
            "reader": {
                "card_number": reader.card_number, "status": reader.status.value,
                "category": reader.category.value, "home_site": reader.home_site,
                "full_name": reader.full_name, "id_number": reader.id_number,
                "old_id_number": reader.old_id_number, "birth_date": iso(reader.birth_date),
                "sex": reader.sex, "address": reader.address, "phone": reader.phone,
                "email": reader.email, "expires": iso(reader.expires),
                "block_reason": reader.block_reason, "keep_history": reader.keep_history,
                "notify_email": reader.notify_email,
                "notify_hold_ready": reader.notify_hold_ready,
                "notify_due_soon": reader.notify_due_soon,
                "notify_overdue": reader.notify_overdue, "language": reader.language,
                "source": reader.source, "verified_at": iso(reader.verified_at),
                "created": iso(reader.created),
            },
            "consents": [{"kind": c.kind, "text_version": c.text_version,
                          "accepted_at": iso(c.accepted_at), "withdrawn_at": iso(c.withdrawn_at),
                          "channel": c.channel} for c in reader.consents],
            "notifications": [{"at": iso(n.at), "kind": n.kind, "recipient": n.recipient,
                               "subject": n.subject, "status": n.status}
                              for n in self.db.scalars(select(NotificationLog).where(
                                  NotificationLog.reader_id == reader.id)
                                  .order_by(NotificationLog.at))],
            "access_log": [{"at": iso(a.at), "actor": a.actor, "action": a.action}
                           for a in self.db.scalars(select(AuditEntry).where(
                               AuditEntry.reader_id == reader.id).order_by(AuditEntry.at))],
        }
        circ = self.circulation
        if circ is not None:
            data["loans"] = [loan_json(x) for x in circ.loans(reader.id, active=True)]
            data["loan_history"] = ([loan_json(x) for x in circ.loans(reader.id, active=False)]
                                    if reader.keep_history else [])
            data["holds"] = [row_json(x) for x in circ.holds(reader.id)]
            data["digital_loans"] = [row_json(x) for x in circ.digital_loans(reader.id)]
        else:
            data["circulation"] = "unavailable"
        return data

    def close(self, reader, actor, user=None):
        """The reader asked for deletion: erase the personal fields, keep the row (and so
        the loan counts), close the card and the portal account."""
        if reader.status == ReaderStatus.CLOSED:
            raise ReaderError("closed", _("This reader's account is closed."))
        circ = self.circulation
        if circ is not None and list(circ.loans(reader.id, active=True)):
            raise ReaderError("loans", _("Please return your borrowed items before we delete "
                                         "your account."))
        if circ is not None:
            for hold in circ.holds(reader.id):
                circ.cancel_hold(hold.id, actor, reader_id=reader.id)
            anonymise = getattr(circ, "anonymise_reader", None)
            if anonymise is not None:
                anonymise(reader.id)
        for name in ("full_name", "old_id_number", "sex", "address", "phone", "email",
                     "block_reason", "staff_note", "verified_by"):
            setattr(reader, name, "")
        reader.id_number = None
        reader.birth_date = None
        reader.card_number = None
        reader.keep_history = False
        reader.notify_email = False
        reader.status = ReaderStatus.CLOSED
        if user is not None:
            user.active = False
            user.login = f"closed-{reader.id}-{user.id}"
            user.display_name = ""
            user.email = ""
            user.session_version = (user.session_version or 1) + 1
            reader.user_id = None
        for entry in self.db.scalars(select(NotificationLog).where(
                NotificationLog.reader_id == reader.id)):
            entry.recipient = ""
        self.audit(actor, "close", reader)
        return reader


def row_json(row):
    """Public columns of a circulation row (loans, holds, digital loans) as JSON data."""
    out = {}
    for column in getattr(row, "__table__").columns:
        value = getattr(row, column.key, None)
        if isinstance(value, (datetime.date, datetime.datetime)):
            value = value.isoformat()
        elif hasattr(value, "value"):
            value = value.value
        out[column.key] = value
    return out


def loan_json(row):
    return row_json(row)

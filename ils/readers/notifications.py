"""E-mail to readers: hold ready, due soon, overdue, card issued; every message logged.

The mailer is chosen by the ``mail.backend`` setting: ``smtp`` (the default;
``mail.host``, ``mail.port``, ``mail.username``, ``mail.password`` — or the
environment variable ``SEREPOK_MAIL_PASSWORD``, so no secret need sit in an
ini file — ``mail.starttls``, ``mail.sender``) or ``memory`` (kept in a list,
for development). Templates are plain text files in ``mail/``,
``<kind>.<language>.txt``: the first line is the subject.

``Notifier.send_due`` is what ``serepok notify INI`` runs: it sends the
circulation outbox (``notifications_outbox``, see ``ils.circulation.models``)
and the due-soon and overdue notices of active loans, each at most once (the
log's ``key`` is unique and the loan's ``*_sent`` flags are set).
"""
import datetime
import email.message
import email.utils
import os
import smtplib
import string

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from zope.interface import Interface, implementer

from .models import NotificationLog, Reader, ReaderStatus

__all__ = ["IMailer", "SMTPMailer", "MemoryMailer", "Notifier", "mailer_from_settings",
           "render", "KINDS"]

TEMPLATES = os.path.join(os.path.dirname(__file__), "mail")
KINDS = ("hold_ready", "due_soon", "overdue", "card_issued")
PREFERENCE = {"hold_ready": "notify_hold_ready", "due_soon": "notify_due_soon",
              "overdue": "notify_overdue"}
DEFAULT_DUE_SOON_DAYS = 2


class IMailer(Interface):
    def send(message):
        """Send one ``email.message.EmailMessage``; raise on failure."""


@implementer(IMailer)
class SMTPMailer:
    def __init__(self, host="localhost", port=25, username="", password="", starttls=False,
                 timeout=20):
        self.host, self.port = host, int(port)
        self.username, self.password = username, password
        self.starttls, self.timeout = starttls, timeout

    def send(self, message):
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(message)


@implementer(IMailer)
class MemoryMailer:
    def __init__(self):
        self.sent = []

    def send(self, message):
        self.sent.append(message)


def mailer_from_settings(settings):
    if settings.get("mail.backend", "smtp") == "memory":
        return MemoryMailer()
    return SMTPMailer(
        host=settings.get("mail.host", "localhost"), port=settings.get("mail.port", 25),
        username=settings.get("mail.username", ""),
        password=settings.get("mail.password") or os.environ.get("SEREPOK_MAIL_PASSWORD", ""),
        starttls=str(settings.get("mail.starttls", "false")).lower() in ("1", "true", "yes"),
        timeout=float(settings.get("mail.timeout", 20)))


def render(kind, language, values):
    """(subject, body) of a message in the reader's language (Vietnamese when unknown)."""
    language = language if language in ("vi", "en") else "vi"
    with open(os.path.join(TEMPLATES, f"{kind}.{language}.txt"), encoding="utf-8") as f:
        text = string.Template(f.read()).safe_substitute(values)
    subject, _, body = text.partition("\n")
    return subject.strip(), body.lstrip("\n")


def date_text(value):
    if isinstance(value, str):
        try:
            value = datetime.date.fromisoformat(value[:10])
        except ValueError:
            return value
    return value.strftime("%d/%m/%Y") if value else ""


class Notifier:
    def __init__(self, dbsession, mailer, settings=None):
        self.db = dbsession
        self.mailer = mailer
        self.settings = settings or {}
        self.sender = self.settings.get("mail.sender", "thuvien@localhost")
        self.base_url = self.settings.get("serepok.base_url", "http://localhost:6543")

    def wants(self, reader, kind):
        if reader is None or reader.status == ReaderStatus.CLOSED or not reader.email:
            return False
        if kind == "card_issued":
            return True
        return reader.notify_email and getattr(reader, PREFERENCE.get(kind, ""), True)

    def send(self, reader, kind, values, key=None):
        """Send one message if the reader wants it; log it. Returns the log entry or None.

        The log row is written (in a savepoint) before the mail leaves, so a duplicate
        ``key`` stops the second send; a mail server failure is logged as ``failed``.
        """
        if not self.wants(reader, kind):
            return None
        values = {"name": reader.full_name, "card_number": reader.card_number or "",
                  "account_url": self.base_url.rstrip("/") + "/account", **values}
        subject, body = render(kind, reader.language, values)
        entry = NotificationLog(reader_id=reader.id, kind=kind, recipient=reader.email,
                                subject=subject[:300], language=reader.language, key=key,
                                status="sent")
        if key is not None and self.db.scalar(
                select(NotificationLog.id).where(NotificationLog.key == key)) is not None:
            return None
        try:
            with self.db.begin_nested():
                self.db.add(entry)
        except IntegrityError:
            return None
        message = email.message.EmailMessage()
        message["From"] = self.sender
        message["To"] = reader.email
        message["Subject"] = subject
        message["Date"] = email.utils.formatdate(localtime=False)
        message["Message-ID"] = email.utils.make_msgid(domain="serepok")
        message["Content-Language"] = reader.language
        message.set_content(body)
        try:
            self.mailer.send(message)
        except (OSError, smtplib.SMTPException) as exc:
            entry.status = "failed"
            entry.error = f"{type(exc).__name__}: {exc}"[:1000]
        self.db.flush()
        return entry

    def card_issued(self, reader):
        return self.send(reader, "card_issued", {"expires": date_text(reader.expires)},
                         key=f"card_issued:{reader.id}:{reader.card_number}:{reader.expires}")

    def send_due(self, today=None):
        """Send the outbox and the due-soon/overdue notices; returns counts per kind."""
        today = today or datetime.date.today()
        counts = {kind: 0 for kind in KINDS}
        counts["failed"] = 0
        try:
            from ..circulation.models import Loan, Notification
        except ImportError:          # circulation not installed
            return counts

        def tally(entry, kind):
            if entry is not None:
                counts["failed" if entry.status == "failed" else kind] += 1

        for row in self.db.scalars(select(Notification).where(Notification.sent_at.is_(None))
                                   .order_by(Notification.id)):
            reader = self.db.get(Reader, row.reader_id) if row.reader_id else None
            payload = dict(row.payload or {})
            for name in ("ready_until", "due"):
                if name in payload:
                    payload[name] = date_text(payload[name])
            if row.kind == "hold_ready":
                payload["where"] = ("" if payload.get("digital") else
                                    f"@ {payload.get('pickup_site', '')}")
            entry = self.send(reader, row.kind, payload, key=f"outbox:{row.id}")
            tally(entry, row.kind)
            if entry is not None and entry.status == "failed":
                row.error = entry.error
            else:
                row.sent_at = datetime.datetime.now(datetime.timezone.utc)
        soon = today + datetime.timedelta(
            days=int(self.settings.get("notify.due_soon_days", DEFAULT_DUE_SOON_DAYS)))
        active = select(Loan).where(Loan.returned_at.is_(None), Loan.reader_id.is_not(None))
        for loan in self.db.scalars(active.where(Loan.due < today,
                                                 Loan.overdue_sent.is_(False))):
            entry = self.send(self.db.get(Reader, loan.reader_id), "overdue",
                              self.loan_values(loan), key=f"overdue:{loan.id}:{loan.due}")
            loan.overdue_sent = True
            tally(entry, "overdue")
        for loan in self.db.scalars(active.where(Loan.due >= today, Loan.due <= soon,
                                                 Loan.due_soon_sent.is_(False))):
            entry = self.send(self.db.get(Reader, loan.reader_id), "due_soon",
                              self.loan_values(loan), key=f"due_soon:{loan.id}:{loan.due}")
            loan.due_soon_sent = True
            tally(entry, "due_soon")
        self.db.flush()
        return counts

    @staticmethod
    def loan_values(loan):
        item = loan.item
        record = getattr(item, "record", None)
        title = getattr(record, "title", "") or getattr(item, "title", "") or item.barcode
        return {"title": title, "barcode": item.barcode, "due": date_text(loan.due)}

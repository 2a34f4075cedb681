"""Readers, the consents they gave, and the audit log of staff access to them.

A ``Reader`` starts ``pending`` (an online application), becomes ``active``
when the desk verifies the person and issues the card (``card_number`` is set
then), and may be ``blocked`` or ``closed`` (the reader asked for deletion;
personal fields are erased, the row stays so loan counts survive).

The citizen ID number (``id_number``, 12 digits of the CCCD) is unique: one
person, one card. Law 91/2025/QH15: every consent is recorded with its time
and the version of the text the person accepted; every staff view of a
reader's record is written to ``reader_audit``.
"""
import datetime
import enum

from sqlalchemy import (JSON, Boolean, Date, DateTime, Enum, ForeignKey, Integer, String,
                        Unicode, UnicodeText, true)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..models import Base

__all__ = ["Reader", "ReaderStatus", "ReaderCategory", "Consent", "AuditEntry",
           "NotificationLog"]


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


class ReaderStatus(str, enum.Enum):
    PENDING = "pending"      # applied online, not yet verified at the desk
    ACTIVE = "active"        # card issued
    BLOCKED = "blocked"      # by staff, with a reason
    CLOSED = "closed"        # deleted at the reader's request: personal data erased


class ReaderCategory(str, enum.Enum):
    ADULT = "adult"
    CHILD = "child"
    STUDENT = "student"
    STAFF = "staff"
    COMMUNE = "commune"      # a commune/ward library borrowing as an institution


class Reader(Base):
    __tablename__ = "readers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    card_number: Mapped[str | None] = mapped_column(String(20), unique=True, nullable=True)
    status: Mapped[ReaderStatus] = mapped_column(
        Enum(ReaderStatus, native_enum=False, length=10,
             values_callable=lambda e: [m.value for m in e]),
        default=ReaderStatus.PENDING, index=True)
    category: Mapped[ReaderCategory] = mapped_column(
        Enum(ReaderCategory, native_enum=False, length=10,
             values_callable=lambda e: [m.value for m in e]),
        default=ReaderCategory.ADULT)
    home_site: Mapped[str] = mapped_column(String(80), default="bmt")
    full_name: Mapped[str] = mapped_column(Unicode(200), default="")
    # the name folded (no diacritics, đ → d, lower case), kept by ``_fold_name``: staff find
    # "Nguyễn Thị Lan" by typing "nguyen thi lan" with one SQL query (migration 0014)
    name_key: Mapped[str] = mapped_column(Unicode(200), default="", index=True)
    id_number: Mapped[str | None] = mapped_column(String(12), unique=True, nullable=True)
    old_id_number: Mapped[str] = mapped_column(String(12), default="")
    birth_date: Mapped[datetime.date | None] = mapped_column(Date, nullable=True)
    sex: Mapped[str] = mapped_column(String(10), default="")          # "Nam" / "Nữ" as on the card
    address: Mapped[str] = mapped_column(UnicodeText, default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    # the portal account the reader signs in with (role Reader), when there is one
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                nullable=True, unique=True)
    expires: Mapped[datetime.date | None] = mapped_column(Date, nullable=True)
    block_reason: Mapped[str] = mapped_column(UnicodeText, default="")
    staff_note: Mapped[str] = mapped_column(UnicodeText, default="")
    keep_history: Mapped[bool] = mapped_column(Boolean, default=False)   # opt-in loan history
    notify_email: Mapped[bool] = mapped_column(Boolean, default=True)
    # which e-mails the reader wants (migration 0007); notify_email is the master switch
    notify_hold_ready: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    notify_due_soon: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    notify_overdue: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    language: Mapped[str] = mapped_column(String(5), default="vi")
    source: Mapped[str] = mapped_column(String(20), default="online")  # online | desk | cccd-chip
    verified_by: Mapped[str] = mapped_column(String(100), default="")
    verified_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True),
                                                                  nullable=True)
    created: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                       onupdate=utcnow)

    consents = relationship("Consent", back_populates="reader", cascade="all, delete-orphan",
                            order_by="Consent.accepted_at")

    def is_expired(self, today=None):
        today = today or datetime.date.today()
        return self.expires is not None and self.expires < today

    @validates("full_name")
    def _fold_name(self, _key, value):
        from federation.analysis import fold
        self.name_key = fold(value or "").lower()[:200]
        return value


class Consent(Base):
    """A consent given (and perhaps withdrawn): library rules, personal data, biometrics."""

    __tablename__ = "reader_consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reader_id: Mapped[int] = mapped_column(ForeignKey("readers.id", ondelete="CASCADE"),
                                           index=True)
    kind: Mapped[str] = mapped_column(String(20))            # rules | personal_data | biometrics
    text_version: Mapped[str] = mapped_column(String(40))
    accepted_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True),
                                                           default=utcnow)
    withdrawn_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True),
                                                                   nullable=True)
    channel: Mapped[str] = mapped_column(String(20), default="portal")  # portal | desk | app

    reader = relationship("Reader", back_populates="consents")


class AuditEntry(Base):
    """Who looked at or changed a reader's personal data, when, and why."""

    __tablename__ = "reader_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                  index=True)
    actor: Mapped[str] = mapped_column(String(100))          # login of the staff member or "reader"
    action: Mapped[str] = mapped_column(String(30))          # view | edit | issue | block | export …
    reader_id: Mapped[int | None] = mapped_column(ForeignKey("readers.id", ondelete="SET NULL"),
                                                  nullable=True, index=True)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class NotificationLog(Base):
    """Every message sent (or tried) to a reader: what, to whom, when, and how it went.

    ``key`` names the event a message is about (``due_soon:loan:12:2026-12-01``), unique,
    so running ``serepok notify`` twice never sends the same notice twice.
    """

    __tablename__ = "notification_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                  index=True)
    reader_id: Mapped[int | None] = mapped_column(ForeignKey("readers.id", ondelete="SET NULL"),
                                                  nullable=True, index=True)
    kind: Mapped[str] = mapped_column(String(30))          # hold_ready | due_soon | overdue | card_issued
    channel: Mapped[str] = mapped_column(String(10), default="email")
    recipient: Mapped[str] = mapped_column(String(200), default="")
    subject: Mapped[str] = mapped_column(Unicode(300), default="")
    language: Mapped[str] = mapped_column(String(5), default="vi")
    status: Mapped[str] = mapped_column(String(10), default="sent")   # sent | failed
    error: Mapped[str] = mapped_column(UnicodeText, default="")
    key: Mapped[str | None] = mapped_column(String(200), unique=True, nullable=True)

"""Circulation tables: policies, closed days, loans, holds, digital lending, fines, the log.

What the database itself guarantees (PostgreSQL and SQLite alike):

- an item has at most one active loan: unique partial index on ``loans(item_id)``
  where ``returned_at IS NULL``;
- an item is captured for at most one hold at a time: unique partial index on
  ``holds(captured_item_id)`` where the hold is ``in_transit`` or ``ready``; the
  service moves a hold out of ``waiting`` with a compare-and-set ``UPDATE … WHERE
  status = 'waiting'``, so a hold is captured once;
- a licensed digital copy is lent once at a time: unique partial index on
  ``digital_loans(licence_id, copy_no)`` for active loans (``copy_no`` runs from 1
  to the licence's number of copies; NULL for unlimited licences), and a reader
  holds at most one active loan of a licence.

``notifications_outbox`` is the hand-over to the mailer (readers helper): the
circulation service writes one row per message to send, in the same
transaction as the change that calls for it; the mailer sends the unsent rows
after commit and sets ``sent_at`` (or ``error``). Kinds: ``hold_ready`` (a
held item, or a digital loan from the waitlist, is ready: payload ``title``,
``pickup_site``, ``ready_until``, ``digital``; ``barcode`` or ``item_uid``). Due-soon and
overdue notices are sent by the mailer straight from active loans, once each
(``loans.due_soon_sent`` / ``loans.overdue_sent``; a renewal clears both).
"""
import datetime
import enum

from sqlalchemy import (JSON, Boolean, Date, DateTime, Enum, ForeignKey, Index, Integer,
                        String, Unicode, UnicodeText, UniqueConstraint, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..models import Base

__all__ = ["Policy", "ClosedDay", "Loan", "Hold", "HoldStatus", "DigitalLicence",
           "DigitalLoan", "DigitalWait", "Fine", "CirculationEvent", "Notification",
           "OPEN_HOLD_STATES"]


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def _enum(cls, length=12):
    return Enum(cls, native_enum=False, length=length,
                values_callable=lambda e: [m.value for m in e])


class Policy(Base):
    """The lending rules of one site for one reader category (``*``: every category)."""

    __tablename__ = "circulation_policies"
    __table_args__ = (UniqueConstraint("site", "category"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site: Mapped[str] = mapped_column(String(80))
    category: Mapped[str] = mapped_column(String(10), default="*")
    loan_days: Mapped[int] = mapped_column(Integer, default=14)
    max_loans: Mapped[int] = mapped_column(Integer, default=5)
    max_renewals: Mapped[int] = mapped_column(Integer, default=2)
    hold_limit: Mapped[int] = mapped_column(Integer, default=5)
    hold_pickup_days: Mapped[int] = mapped_column(Integer, default=3)
    digital_loan_days: Mapped[int] = mapped_column(Integer, default=14)
    digital_limit: Mapped[int] = mapped_column(Integer, default=3)
    # fines are off unless the site sets a daily amount (VND)
    fine_per_day: Mapped[int] = mapped_column(Integer, default=0)
    # unpaid fines from this amount (VND) on stop borrowing here; 0: never (migration 0011)
    fine_block_at: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # a waiting hold nobody chose a date for is dropped after this many days; 0: never
    hold_wait_days: Mapped[int] = mapped_column(Integer, default=180, server_default="180")


class ClosedDay(Base):
    """A day a site is closed: no due date or pickup deadline falls on it."""

    __tablename__ = "circulation_closed_days"

    site: Mapped[str] = mapped_column(String(80), primary_key=True)
    day: Mapped[datetime.date] = mapped_column(Date, primary_key=True)
    reason: Mapped[str] = mapped_column(Unicode(200), default="")


class Loan(Base):
    __tablename__ = "loans"
    __table_args__ = (
        # the guarantee: one active loan per item
        Index("uq_loans_active_item", "item_id", unique=True,
              sqlite_where=text("returned_at IS NULL"),
              postgresql_where=text("returned_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    # NULL once the history is anonymised (counts survive)
    reader_id: Mapped[int | None] = mapped_column(ForeignKey("readers.id", ondelete="SET NULL"),
                                                  nullable=True, index=True)
    site: Mapped[str] = mapped_column(String(80), index=True)
    out_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    due: Mapped[datetime.date] = mapped_column(Date, index=True)
    returned_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True),
                                                                  nullable=True)
    returned_site: Mapped[str] = mapped_column(String(80), default="")
    renewals: Mapped[int] = mapped_column(Integer, default=0)
    overridden: Mapped[str] = mapped_column(UnicodeText, default="")   # the recorded reason
    actor: Mapped[str] = mapped_column(String(100), default="")
    due_soon_sent: Mapped[bool] = mapped_column(Boolean, default=False)
    overdue_sent: Mapped[bool] = mapped_column(Boolean, default=False)

    item = relationship("Item", lazy="joined")


class HoldStatus(str, enum.Enum):
    WAITING = "waiting"
    IN_TRANSIT = "in_transit"    # captured, travelling to the pickup site
    READY = "ready"              # on the hold shelf until ready_until
    COLLECTED = "collected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


OPEN_HOLD_STATES = (HoldStatus.WAITING, HoldStatus.IN_TRANSIT, HoldStatus.READY)


class Hold(Base):
    """A reservation of a title (any copy) or of one item, for pickup at a site."""

    __tablename__ = "holds"
    __table_args__ = (
        Index("uq_holds_captured_item", "captured_item_id", unique=True,
              sqlite_where=text("status IN ('in_transit', 'ready')"),
              postgresql_where=text("status IN ('in_transit', 'ready')")),
        Index("ix_holds_queue", "bib_record_id", "status", "placed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reader_id: Mapped[int | None] = mapped_column(ForeignKey("readers.id", ondelete="SET NULL"),
                                                  nullable=True, index=True)
    bib_record_id: Mapped[int] = mapped_column(ForeignKey("bib_records.id"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"), nullable=True)
    pickup_site: Mapped[str] = mapped_column(String(80))
    status: Mapped[HoldStatus] = mapped_column(_enum(HoldStatus), default=HoldStatus.WAITING)
    placed_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True),
                                                         default=utcnow)
    captured_item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"), nullable=True)
    captured_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True),
                                                                  nullable=True)
    ready_until: Mapped[datetime.date | None] = mapped_column(Date, nullable=True)
    # the reader no longer wants it after this day: a waiting hold expires (migration 0011)
    not_needed_after: Mapped[datetime.date | None] = mapped_column(Date, nullable=True)
    closed_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True),
                                                                nullable=True)
    actor: Mapped[str] = mapped_column(String(100), default="")

    record = relationship("BibRecord", lazy="joined")
    item = relationship("Item", foreign_keys=[item_id])
    captured_item = relationship("Item", foreign_keys=[captured_item_id])


class DigitalLicence(Base):
    """How many copies of a repository item (DigitalItem or Audiobook uid) may be lent."""

    __tablename__ = "digital_licences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_uid: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(UnicodeText, default="")
    site: Mapped[str] = mapped_column(String(80), default="")
    copies: Mapped[int | None] = mapped_column(Integer, nullable=True)   # NULL: unlimited
    loan_days: Mapped[int] = mapped_column(Integer, default=14)


class DigitalLoan(Base):
    __tablename__ = "digital_loans"
    __table_args__ = (
        Index("uq_digital_loans_copy", "licence_id", "copy_no", unique=True,
              sqlite_where=text("returned_at IS NULL"),
              postgresql_where=text("returned_at IS NULL")),
        Index("uq_digital_loans_reader", "licence_id", "reader_id", unique=True,
              sqlite_where=text("returned_at IS NULL"),
              postgresql_where=text("returned_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    licence_id: Mapped[int] = mapped_column(ForeignKey("digital_licences.id"), index=True)
    reader_id: Mapped[int | None] = mapped_column(ForeignKey("readers.id", ondelete="SET NULL"),
                                                  nullable=True, index=True)
    copy_no: Mapped[int | None] = mapped_column(Integer, nullable=True)
    started: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))
    returned_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True),
                                                                  nullable=True)

    licence = relationship("DigitalLicence", lazy="joined")


class DigitalWait(Base):
    """A reader waiting for a copy of a licensed item (served first come, first served)."""

    __tablename__ = "digital_waitlist"
    __table_args__ = (
        Index("uq_digital_waitlist_reader", "licence_id", "reader_id", unique=True,
              sqlite_where=text("status = 'waiting'"),
              postgresql_where=text("status = 'waiting'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    licence_id: Mapped[int] = mapped_column(ForeignKey("digital_licences.id"), index=True)
    reader_id: Mapped[int | None] = mapped_column(ForeignKey("readers.id", ondelete="SET NULL"),
                                                  nullable=True, index=True)
    joined: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default="waiting")  # waiting|served|cancelled
    closed_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True),
                                                                nullable=True)

    licence = relationship("DigitalLicence", lazy="joined")


class Fine(Base):
    __tablename__ = "fines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reader_id: Mapped[int | None] = mapped_column(ForeignKey("readers.id", ondelete="SET NULL"),
                                                  nullable=True, index=True)
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("loans.id"), nullable=True)
    site: Mapped[str] = mapped_column(String(80))
    amount: Mapped[int] = mapped_column(Integer)          # VND
    reason: Mapped[str] = mapped_column(String(20), default="overdue")
    created: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # set when the fine is settled at a desk: paid, or waived with a reason (migration 0011)
    paid_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True),
                                                              nullable=True)
    settled_how: Mapped[str] = mapped_column(String(10), default="", server_default="")
    settled_reason: Mapped[str] = mapped_column(UnicodeText, default="", server_default="")
    settled_by: Mapped[str] = mapped_column(String(100), default="", server_default="")


class CirculationEvent(Base):
    """What happened at a desk (or a machine): checkout, checkin, renew, override, hold…"""

    __tablename__ = "circulation_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                  index=True)
    kind: Mapped[str] = mapped_column(String(30))
    site: Mapped[str] = mapped_column(String(80), default="")
    actor: Mapped[str] = mapped_column(String(100), default="")
    reader_id: Mapped[int | None] = mapped_column(ForeignKey("readers.id", ondelete="SET NULL"),
                                                  nullable=True, index=True)
    item_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class Notification(Base):
    """A message to send to a reader (see the module docstring)."""

    __tablename__ = "notifications_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    reader_id: Mapped[int | None] = mapped_column(ForeignKey("readers.id", ondelete="CASCADE"),
                                                  nullable=True, index=True)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    created: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True),
                                                              nullable=True, index=True)
    error: Mapped[str] = mapped_column(UnicodeText, default="")

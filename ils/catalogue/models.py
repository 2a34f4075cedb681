"""Bibliographic records and the copies (items) of them each library holds.

A ``BibRecord`` keeps the whole MARC record as it was imported (UTF-8 ISO 2709,
or MARCXML for a record too long for ISO 2709) next to the key fields
extracted from it. It belongs to one *source*: the catalogue it came from (by
default the site's or commune library's code). Within a source a record is
identified by its control number (001); NULL when the record has none.

An ``Item`` is one physical copy with a unique barcode, held by a library (a
site such as ``bmt`` or ``tuy-hoa``, or a commune library's code).
"""
import datetime
import enum

from sqlalchemy import (JSON, CheckConstraint, DateTime, Enum, ForeignKey, Index, Integer,
                        LargeBinary, String, Unicode, UnicodeText, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..models import Base

__all__ = ["BibRecord", "RecordIsbn", "Item", "ItemStatus", "MARC_FORMATS"]

MARC_FORMATS = ("iso2709", "marcxml")


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


class ItemStatus(str, enum.Enum):
    """Where a copy is: on the shelf, out, or out of circulation."""

    AVAILABLE = "available"
    ON_LOAN = "on_loan"
    ON_HOLD_SHELF = "on_hold_shelf"    # waiting for the reader who reserved it
    IN_TRANSIT = "in_transit"          # travelling between sites
    IN_PROCESSING = "in_processing"    # ordered, being catalogued or repaired
    NOT_FOR_LOAN = "not_for_loan"      # reference copy: read in the library only
    DAMAGED = "damaged"
    MISSING = "missing"
    LOST = "lost"
    WITHDRAWN = "withdrawn"


class BibRecord(Base):
    __tablename__ = "bib_records"
    __table_args__ = (
        UniqueConstraint("source", "control_number"),
        Index("ix_bib_records_source_marc_hash", "source", "marc_hash"),
        CheckConstraint("marc_format IN ('iso2709', 'marcxml')", name="marc_format"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(80))
    control_number: Mapped[str | None] = mapped_column(String(64), nullable=True)
    library: Mapped[str] = mapped_column(String(80), index=True)
    source_file: Mapped[str] = mapped_column(Unicode(255), default="")
    marc: Mapped[bytes] = mapped_column(LargeBinary)
    marc_format: Mapped[str] = mapped_column(String(8), default="iso2709")
    marc_hash: Mapped[str] = mapped_column(String(32))
    encoding: Mapped[str] = mapped_column(String(24), default="utf-8")
    record_type: Mapped[str] = mapped_column(String(1), default="a")
    bib_level: Mapped[str] = mapped_column(String(1), default="m")
    format: Mapped[str] = mapped_column(String(20), default="book")
    title: Mapped[str] = mapped_column(UnicodeText, default="")
    statement: Mapped[str] = mapped_column(UnicodeText, default="")
    authors: Mapped[list] = mapped_column(JSON, default=list)
    publisher: Mapped[str] = mapped_column(UnicodeText, default="")
    place: Mapped[str] = mapped_column(UnicodeText, default="")
    year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    issns: Mapped[list] = mapped_column(JSON, default=list)
    language: Mapped[str] = mapped_column(String(3), default="")
    languages: Mapped[list] = mapped_column(JSON, default=list)
    subjects: Mapped[list] = mapped_column(JSON, default=list)
    ddc: Mapped[str] = mapped_column(String(64), default="")
    title_key: Mapped[str] = mapped_column(Unicode(500), default="")
    author_key: Mapped[str] = mapped_column(Unicode(255), default="")
    created: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    isbn_rows = relationship("RecordIsbn", cascade="all, delete-orphan", passive_deletes=True,
                             order_by="RecordIsbn.position")
    items = relationship("Item", back_populates="record", order_by="Item.barcode")

    @property
    def isbns(self):
        """The record's ISBNs as ISBN-13 digits, in catalogue order."""
        return [row.isbn for row in self.isbn_rows]

    def marc_record(self):
        """The stored MARC record (``ils.catalogue.marc.MarcRecord``, Unicode NFC)."""
        return stored_marc_record(self.marc, self.marc_format)

    def pymarc(self):
        """The stored MARC record as a ``pymarc.Record`` (for display and export)."""
        return stored_pymarc(self.marc, self.marc_format)

    def __repr__(self):
        return f"<BibRecord {self.id} {self.source}:{self.control_number} {self.title[:40]!r}>"


class RecordIsbn(Base):
    """One ISBN-13 of a record: how the union catalogue finds the same book elsewhere."""

    __tablename__ = "bib_record_isbns"

    record_id: Mapped[int] = mapped_column(ForeignKey("bib_records.id", ondelete="CASCADE"),
                                           primary_key=True)
    isbn: Mapped[str] = mapped_column(String(13), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Item(Base):
    __tablename__ = "items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    barcode: Mapped[str] = mapped_column(String(64), unique=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("bib_records.id"), index=True)
    library: Mapped[str] = mapped_column(String(80), index=True)
    branch: Mapped[str] = mapped_column(String(80), default="")
    location: Mapped[str] = mapped_column(Unicode(200), default="")
    call_number: Mapped[str] = mapped_column(Unicode(200), default="")
    item_type: Mapped[str] = mapped_column(String(40), default="")
    status: Mapped[ItemStatus] = mapped_column(
        Enum(ItemStatus, name="status", native_enum=False, create_constraint=True, length=20,
             values_callable=lambda statuses: [s.value for s in statuses]),
        default=ItemStatus.AVAILABLE)
    source: Mapped[str] = mapped_column(String(80), default="")
    created: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    record = relationship("BibRecord", back_populates="items")

    def __repr__(self):
        return f"<Item {self.barcode} {self.library} {self.status.value}>"


def stored_marc_record(marc, marc_format):
    """Decode ``BibRecord.marc`` bytes (canonical UTF-8 ISO 2709, or MARCXML)."""
    from .iso2709 import from_iso2709
    from .marcxml import from_marcxml
    if marc_format == "marcxml":
        return from_marcxml(marc)
    return from_iso2709(marc, "utf-8")


def stored_pymarc(marc, marc_format):
    """``BibRecord.marc`` bytes as a ``pymarc.Record``."""
    import io

    import pymarc
    if marc_format == "marcxml":
        return pymarc.parse_xml_to_array(io.BytesIO(marc))[0]
    return pymarc.Record(data=marc, to_unicode=True, force_utf8=True)

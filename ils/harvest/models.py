"""OAI-PMH sources the union catalogue harvests, and what was harvested from each.

An ``OaiSource`` is a partner's OAI-PMH 2.0 endpoint: its base URL, the
metadata format asked for (``oai_dc`` or ``marc21``), an optional set, how
often to harvest it, and the state of its harvests: the datestamp the next
incremental harvest starts from, the resumption token of a harvest that
stopped half-way, and how the last run ended.

An ``OaiRecord`` is one identifier of a source: the ``BibRecord`` holding its
metadata, its datestamp, and whether the source has deleted it. Deleting
never erases the BibRecord; the record is marked withdrawn.
"""
import datetime

from sqlalchemy import (JSON, Boolean, CheckConstraint, DateTime, ForeignKey, Integer, String,
                        Unicode, UnicodeText, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column

from ..models import Base

__all__ = ["OaiSource", "OaiRecord", "METADATA_PREFIXES", "utcnow"]

METADATA_PREFIXES = ("oai_dc", "marc21")


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


class OaiSource(Base):
    __tablename__ = "oai_sources"
    __table_args__ = (
        CheckConstraint("metadata_prefix IN ('oai_dc', 'marc21')", name="metadata_prefix"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # the code records are stored under: source "oai:<name>", library <name>
    name: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(Unicode(200))
    base_url: Mapped[str] = mapped_column(String(500))
    metadata_prefix: Mapped[str] = mapped_column(String(10), default="oai_dc")
    set_spec: Mapped[str] = mapped_column(Unicode(200), default="")
    interval_hours: Mapped[int] = mapped_column(Integer, default=24)    # 0: on demand only
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # the state of harvesting
    granularity: Mapped[str] = mapped_column(String(24), default="")
    last_datestamp: Mapped[str | None] = mapped_column(String(24), nullable=True)
    resumption_token: Mapped[str | None] = mapped_column(UnicodeText, nullable=True)
    resumption_from: Mapped[str | None] = mapped_column(String(24), nullable=True)
    resumption_started: Mapped[str | None] = mapped_column(String(24), nullable=True)
    running_since: Mapped[datetime.datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True)
    last_started: Mapped[datetime.datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True)
    last_finished: Mapped[datetime.datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True)
    last_status: Mapped[str] = mapped_column(String(12), default="never")
    last_error: Mapped[str] = mapped_column(UnicodeText, default="")
    last_counts: Mapped[dict] = mapped_column(JSON, default=dict)
    created: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def source(self):
        """The ``BibRecord.source`` of this source's records."""
        return f"oai:{self.name}"

    def due(self, now=None):
        """True when a scheduled harvest should run now."""
        if not self.active or self.interval_hours <= 0:
            return False
        if self.resumption_token:
            return True          # a harvest stopped half-way: carry on
        if self.last_started is None:
            return True
        now = now or utcnow()
        last = self.last_started
        if last.tzinfo is None:              # SQLite gives naive datetimes back
            last = last.replace(tzinfo=datetime.timezone.utc)
        return now - last >= datetime.timedelta(hours=self.interval_hours)

    def __repr__(self):
        return f"<OaiSource {self.name} {self.base_url}>"


class OaiRecord(Base):
    __tablename__ = "oai_records"
    __table_args__ = (UniqueConstraint("source_id", "identifier"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("oai_sources.id", ondelete="CASCADE"))
    identifier: Mapped[str] = mapped_column(Unicode(500))
    record_id: Mapped[int | None] = mapped_column(ForeignKey("bib_records.id"), nullable=True,
                                                  index=True)
    datestamp: Mapped[str] = mapped_column(String(24), default="")
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    updated: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def __repr__(self):
        return f"<OaiRecord {self.identifier} deleted={self.deleted}>"

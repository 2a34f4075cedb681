"""The union catalogue's store (SQL, on the ``ils`` metadata).

A *member* is one source record: a bibliographic record of the library's own
catalogue (``ils:<bib_records.id>``) or a published digital item or audiobook
of the repository (``repository:<uid>``). Members that describe the same book
are merged into one *union record*; its id is stable (see
``federation.merge``) and is the id of the search index, of OAI-PMH and of the
record page.

A union record is never erased: when its last member goes it is flagged
``deleted`` with a new ``datestamp``, so partners harvesting over OAI-PMH
learn of the deletion. ``datestamp`` (UTC, whole seconds) moves only when
what a partner would see changes (copies on the shelf do not count, see
``fingerprint``).
"""
import datetime

from sqlalchemy import (JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Unicode)
from sqlalchemy.orm import Mapped, mapped_column

from ils.models import Base

__all__ = ["UnionRecord", "UnionSet", "UnionMember", "UnionMatchKey", "KeepApart",
           "UnionQueue", "utcnow"]

KEY_LENGTH = 120     # a member key: "ils:123", "repository:<32 hex>"
ID_LENGTH = 32


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


class UnionRecord(Base):
    """One record of the union catalogue: the merge of its members."""

    __tablename__ = "union_records"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    # "isbn:<ISBN-13>", "work:<folded title>|<surname>|<year>" or "member:<key>"
    merge_key: Mapped[str] = mapped_column(Unicode(400), index=True)
    record: Mapped[dict] = mapped_column(JSON)        # Record.to_dict(), no full text
    fingerprint: Mapped[str] = mapped_column(String(32), default="")
    datestamp: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), index=True)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)


class UnionSet(Base):
    """The OAI-PMH sets of a union record: ``site:bmt``, ``library:xa-ea-kao``.

    Kept when the record is deleted, so a harvester of a set hears of it.
    """

    __tablename__ = "union_sets"

    union_id: Mapped[str] = mapped_column(
        ForeignKey("union_records.id", ondelete="CASCADE"), primary_key=True)
    spec: Mapped[str] = mapped_column(String(120), primary_key=True, index=True)


class UnionMember(Base):
    """One source record, normalized (``Record.to_dict()``), and its union record."""

    __tablename__ = "union_members"

    key: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True)
    union_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    record: Mapped[dict] = mapped_column(JSON)
    updated: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class UnionMatchKey(Base):
    """What a member can be merged on: ``isbn:<ISBN-13>`` and ``work:<...>``."""

    __tablename__ = "union_match_keys"

    member_key: Mapped[str] = mapped_column(
        ForeignKey("union_members.key", ondelete="CASCADE"), primary_key=True)
    match_key: Mapped[str] = mapped_column(Unicode(400), primary_key=True, index=True)


class KeepApart(Base):
    """Two members staff split apart: never merged again, by any rebuild.

    ``first`` sorts before ``second``; ``union_id`` is the record they were
    split out of, ``actor`` who did it.
    """

    __tablename__ = "union_keep_apart"

    first: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True)
    second: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True, index=True)
    union_id: Mapped[str] = mapped_column(String(ID_LENGTH), default="")
    actor: Mapped[str] = mapped_column(Unicode(200), default="")
    created: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class UnionQueue(Base):
    """Changes committed but not yet in the union store or the search index.

    Written in the same transaction as the change (so a crash loses
    nothing), removed once the store and the index have taken it. ``key`` is a
    member key or ``union:<id>`` (only the index needs it); ``record`` is the
    member's normalized record when its source cannot be read later (the
    repository), ``None`` for a member that is gone; ``batch`` names the
    transaction that queued it.
    """

    __tablename__ = "union_queue"
    __table_args__ = (Index("ix_union_queue_batch", "batch"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    record: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    snapshot: Mapped[bool] = mapped_column(Boolean, default=False)
    batch: Mapped[str] = mapped_column(String(32))
    queued: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

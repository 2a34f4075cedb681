"""The job table: the durable state of every background job.

The task queue (huey) only carries "run job 42"; what a job is, how far it
got and why it failed lives here, in the same SQL database as the rest of the
library, so a worker that dies (or a queue that loses a message) loses no job:
a job whose heartbeat went stale is queued again (see ``ils.jobs.runner``).
"""
import datetime
import json

from sqlalchemy import CheckConstraint, DateTime, Integer, String, UnicodeText
from sqlalchemy.orm import Mapped, mapped_column

from ..models import Base

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
#: Set by staff on a job still queued; ``runner.claim`` only takes ``queued`` jobs, so it never runs.
CANCELLED = "cancelled"
STATUSES = (QUEUED, RUNNING, DONE, FAILED, CANCELLED)


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def aware(moment):
    """SQLite hands back naive datetimes: read them as UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=datetime.timezone.utc)
    return moment


class Job(Base):
    """One background job: a kind (``digitize``, ``fixity``…), what it works on, how it went."""

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint("status in ('queued', 'running', 'done', 'failed', 'cancelled')",
                        name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(60), index=True)
    target: Mapped[str] = mapped_column(String(64), default="", index=True)   # an object's uid
    site: Mapped[str] = mapped_column(String(80), default="")
    status: Mapped[str] = mapped_column(String(10), default=QUEUED, index=True)
    progress: Mapped[int] = mapped_column(Integer, default=0)                  # 0–100
    message_vi: Mapped[str] = mapped_column(UnicodeText, default="")
    message_en: Mapped[str] = mapped_column(UnicodeText, default="")
    warnings_json: Mapped[str] = mapped_column(UnicodeText, default="[]")     # [[vi, en], …]
    params_json: Mapped[str] = mapped_column(UnicodeText, default="{}")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    worker: Mapped[str] = mapped_column(String(120), default="")
    created_by: Mapped[str] = mapped_column(String(100), default="")
    heartbeat: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True),
                                                                nullable=True)
    created: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True),
                                                              nullable=True)
    finished: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True),
                                                               nullable=True)

    @property
    def params(self):
        return json.loads(self.params_json or "{}")

    @property
    def warnings(self):
        return [tuple(w) for w in json.loads(self.warnings_json or "[]")]

    def message(self, lang="vi"):
        return (self.message_en if lang == "en" else self.message_vi) or self.message_vi

    def warning_texts(self, lang="vi"):
        return [en if lang == "en" else vi for vi, en in self.warnings]

    @property
    def active(self):
        return self.status in (QUEUED, RUNNING)

    def to_dict(self, lang="vi"):
        return {"id": self.id, "kind": self.kind, "target": self.target, "status": self.status,
                "progress": self.progress, "message": self.message(lang),
                "warnings": self.warning_texts(lang), "attempts": self.attempts,
                "created": aware(self.created).isoformat() if self.created else None,
                "finished": aware(self.finished).isoformat() if self.finished else None}


class PeriodicRun(Base):
    """One periodic job's minute, claimed by the worker that queued it: with several
    workers ticking, the primary key lets exactly one create the job (the others'
    insert fails), on SQLite and PostgreSQL alike. Rows older than two days are
    removed as the workers tick."""

    __tablename__ = "periodic_runs"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    minute: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    job_id: Mapped[int | None] = mapped_column(Integer, nullable=True)

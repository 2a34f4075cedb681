"""Personal data in circulation (Law 91/2025): anonymising loan history, keeping the counts.

Anonymising never deletes a row: it cuts the link to the reader (``reader_id``
becomes NULL) on returned loans, closed holds, ended digital loans and waitlist
entries, settled fines and the event log, so "how many loans, where, when" stays
exactly what it was while "who" is gone. Readers who opted in to keep their
history (``Reader.keep_history``) keep it until they opt out or leave.
"""
import datetime

from sqlalchemy import func, select, update

from ..readers.models import AuditEntry, Reader
from .models import (OPEN_HOLD_STATES, CirculationEvent, DigitalLicence, DigitalLoan,
                     DigitalWait, Fine, Hold, Loan)
from .rules import ZONE, refusal

__all__ = ["Privacy", "DEFAULT_HISTORY_DAYS"]

#: ``serepok.circulation.anonymise_after_days`` when the settings do not say
DEFAULT_HISTORY_DAYS = 365


def _utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


class Privacy:
    """Mixed into :class:`ils.circulation.service.CirculationService` (needs ``self.db``)."""

    def _detach(self, model, *where):
        result = self.db.execute(update(model).where(*where).values(reader_id=None)
                                 .execution_options(synchronize_session="fetch"))
        return result.rowcount or 0

    def anonymise_reader(self, reader_id):
        """Cut the reader off their past loans, holds, digital loans, settled fines and
        events; refused (``reader_has_loans``) while an item is still on loan. Returns
        the number of rows detached, by kind."""
        active = self.db.scalar(select(func.count(Loan.id)).where(
            Loan.reader_id == reader_id, Loan.returned_at.is_(None))) or 0
        if active:
            raise refusal("reader_has_loans", n=active)
        self.db.flush()
        return {
            "loans": self._detach(Loan, Loan.reader_id == reader_id,
                                  Loan.returned_at.is_not(None)),
            "holds": self._detach(Hold, Hold.reader_id == reader_id,
                                  Hold.status.not_in(OPEN_HOLD_STATES)),
            "digital_loans": self._detach(DigitalLoan, DigitalLoan.reader_id == reader_id,
                                          DigitalLoan.returned_at.is_not(None)),
            "waitlist": self._detach(DigitalWait, DigitalWait.reader_id == reader_id,
                                     DigitalWait.status != "waiting"),
            "fines": self._detach(Fine, Fine.reader_id == reader_id, Fine.paid_at.is_not(None)),
            "events": self._detach(CirculationEvent, CirculationEvent.reader_id == reader_id),
        }

    def _history_filters(self, site, cutoff):
        """What "history older than the cutoff of readers who did not opt in" means, per table."""
        private = select(Reader.id).where(Reader.keep_history.is_(False))
        licences = select(DigitalLicence.id).where(DigitalLicence.site == site)
        return {
            "loans": (Loan, Loan.site == site, Loan.returned_at.is_not(None),
                      Loan.returned_at < cutoff, Loan.reader_id.in_(private)),
            "holds": (Hold, Hold.pickup_site == site, Hold.status.not_in(OPEN_HOLD_STATES),
                      Hold.closed_at < cutoff, Hold.reader_id.in_(private)),
            "digital_loans": (DigitalLoan, DigitalLoan.licence_id.in_(licences),
                              DigitalLoan.returned_at < cutoff,
                              DigitalLoan.reader_id.in_(private)),
            "waitlist": (DigitalWait, DigitalWait.licence_id.in_(licences),
                         DigitalWait.status != "waiting", DigitalWait.closed_at < cutoff,
                         DigitalWait.reader_id.in_(private)),
            "fines": (Fine, Fine.site == site, Fine.paid_at < cutoff,
                      Fine.reader_id.in_(private)),
            "events": (CirculationEvent, CirculationEvent.site == site,
                       CirculationEvent.at < cutoff, CirculationEvent.reader_id.in_(private)),
        }

    def anonymisable(self, site, days, now=None):
        """How many rows of ``site`` older than ``days`` days would lose their reader."""
        cutoff = (now or _utcnow()) - datetime.timedelta(days=int(days))
        return {kind: self.db.scalar(select(func.count()).select_from(model).where(*where))
                or 0 for kind, (model, *where) in self._history_filters(site, cutoff).items()}

    def anonymise_history(self, site, days, actor, now=None):
        """Anonymise the site's circulation history older than ``days`` days of every reader
        who has not opted in to keep it; the audit log records who did it and how much."""
        now = now or _utcnow()
        days = int(days)
        cutoff = now - datetime.timedelta(days=days)
        self.db.flush()
        counts = {kind: self._detach(model, *where)
                  for kind, (model, *where) in self._history_filters(site, cutoff).items()}
        self.db.add(AuditEntry(actor=str(actor)[:100], action="anonymise_history",
                               reader_id=None, at=now,
                               detail={"site": site, "days": days,
                                       "before": cutoff.isoformat(), "counts": counts}))
        self._log("anonymise_history", site, actor, None, None, days=days, counts=counts)
        return counts

    def loan_statistics(self, site):
        """[(month "YYYY-MM" in the library's time zone, loans made)] of a site, oldest first.
        Anonymising changes none of these numbers."""
        if self.db.get_bind().dialect.name == "sqlite":
            hours = int(ZONE.utcoffset(datetime.datetime(2026, 1, 1)).total_seconds() // 3600)
            month = func.strftime("%Y-%m", Loan.out_at, f"{hours:+d} hours")
        else:
            month = func.to_char(func.timezone(str(ZONE.key), Loan.out_at), "YYYY-MM")
        rows = self.db.execute(select(month.label("month"), func.count(Loan.id))
                               .where(Loan.site == site).group_by("month").order_by("month"))
        return [(m, n) for m, n in rows]

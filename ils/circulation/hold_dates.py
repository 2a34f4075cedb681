"""Changing the day after which a waiting hold is no longer needed.

A reader who chose (or was given) a "not needed after" date may move it while
the hold still waits for a copy, without losing their place: the queue is
ordered by ``placed_at``, which does not change. Once a copy is set aside
(``in_transit`` / ``ready``) the pickup deadline rules instead, and a closed hold
changes no more. The date is a day in the library's calendar: not before today,
at most ``MAX_DAYS_AHEAD`` days ahead. Every change is written to the
circulation log with the old and the new date.
"""
import datetime

from .models import OPEN_HOLD_STATES, HoldStatus
from .rules import local_today, refusal

__all__ = ["HoldDates", "MAX_DAYS_AHEAD", "allowed_range"]

#: the furthest a reader may push a hold's "not needed after" day (one year)
MAX_DAYS_AHEAD = 365


def allowed_range(now=None):
    """(first, last) day a waiting hold's "not needed after" may be set to at ``now``."""
    today = local_today(now or datetime.datetime.now(datetime.timezone.utc))
    return today, today + datetime.timedelta(days=MAX_DAYS_AHEAD)


class HoldDates:
    """Mixed into :class:`ils.circulation.service.CirculationService` (needs ``self.db``,
    ``self._own_hold`` and ``self._log``)."""

    def change_not_needed_after(self, hold_id, not_needed_after, actor, reader_id=None,
                                now=None):
        """Set the day after which the waiting hold ``hold_id`` lapses (only the reader's own
        when ``reader_id`` is given); returns the Hold, its queue position unchanged."""
        today, latest = allowed_range(now)
        hold = self._own_hold(hold_id, reader_id, states=OPEN_HOLD_STATES)
        if hold.status != HoldStatus.WAITING:
            raise refusal("hold_captured")
        if isinstance(not_needed_after, datetime.datetime):
            not_needed_after = not_needed_after.date()
        if not isinstance(not_needed_after, datetime.date):
            raise refusal("hold_date_missing")
        if not_needed_after < today:
            raise refusal("hold_date_past")
        if not_needed_after > latest:
            raise refusal("hold_date_far", date=latest.strftime("%d/%m/%Y"))
        before = hold.not_needed_after
        hold.not_needed_after = not_needed_after
        self.db.flush()
        self._log("hold_date", hold.pickup_site, actor, hold.reader_id, None, hold_id=hold.id,
                  before=before.isoformat() if before else None,
                  after=not_needed_after.isoformat())
        return hold

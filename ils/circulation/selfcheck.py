"""What a self-check machine needs beyond the desk's calls: undoing a checkout it could not
finish (SIP2 checkin with the cancel flag ``BI`` = Y).

Undoing is not a return: the loan row is deleted (it never happened, so no
statistic counts it and no fine can arise), the item gets back the status it had
before the checkout, and a hold the checkout had collected is ready again for
the same reader. No waiting hold of another reader captures the item, so nobody
is told a book is ready that is still in the first reader's hands.
"""
import datetime

from sqlalchemy import select

from ..catalogue.models import ItemStatus
from .models import CirculationEvent, Hold, HoldStatus
from .rules import aware, refusal

__all__ = ["SelfCheck", "CANCEL_SECONDS"]

#: a checkout may be undone this long after it was made, by the same actor, at the same site
CANCEL_SECONDS = 600


class SelfCheck:
    """Mixed into :class:`ils.circulation.service.CirculationService` (needs ``self.db``)."""

    def cancel_checkout(self, barcode, site, actor, now=None):
        """Undo the loan of ``barcode`` just made by ``actor`` at ``site``; returns a dict:
        item, reader_id, hold (the hold made ready again, or None). Refused
        (``cancel_refused``) when there is no such fresh loan."""
        now = now or datetime.datetime.now(datetime.timezone.utc)
        item = self._item(barcode)
        loan = self._active_loan(item.id, lock=True)
        if (loan is None or loan.site != site or loan.renewals
                or str(actor)[:100] != loan.actor
                or aware(loan.out_at) < now - datetime.timedelta(seconds=CANCEL_SECONDS)):
            raise refusal("cancel_refused")
        event = self.db.scalars(select(CirculationEvent).where(
            CirculationEvent.kind == "checkout", CirculationEvent.item_id == item.id)
            .order_by(CirculationEvent.id.desc())).first()
        detail = event.detail if event is not None else {}
        try:
            was = ItemStatus(detail.get("was", "") if detail.get("loan_id") == loan.id
                             else ItemStatus.AVAILABLE.value)
        except ValueError:
            was = ItemStatus.AVAILABLE
        if was == ItemStatus.ON_LOAN:
            was = ItemStatus.AVAILABLE
        hold = None
        if was in (ItemStatus.ON_HOLD_SHELF, ItemStatus.IN_TRANSIT):
            hold = self.db.scalars(select(Hold).where(
                Hold.captured_item_id == item.id, Hold.reader_id == loan.reader_id,
                Hold.status == HoldStatus.COLLECTED).order_by(Hold.closed_at.desc(),
                                                             Hold.id.desc())).first()
            if hold is not None:
                hold.status = (HoldStatus.READY if was == ItemStatus.ON_HOLD_SHELF
                               else HoldStatus.IN_TRANSIT)
                hold.closed_at = None
        reader_id, loan_id = loan.reader_id, loan.id
        self.db.delete(loan)
        item.status = was
        self.db.flush()
        self._log("checkout_cancel", site, actor, reader_id, item.id, loan_id=loan_id,
                  restored=was.value, hold_id=hold.id if hold is not None else None)
        return {"item": item, "reader_id": reader_id, "hold": hold}

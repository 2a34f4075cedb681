"""Fines at the desk: what a reader owes, settling a fine (paid or waived), the fines block.

A fine is settled once: ``paid_at`` is set with how (``paid`` or ``waived``), by
whom and why (a waiver needs a reason). A site may stop borrowing when a
reader's unpaid fines reach an amount (``Policy.fine_block_at``; 0: never); staff
may override that block with a recorded reason, like the other soft blocks.
"""
import datetime

from sqlalchemy import func, select

from .models import Fine
from .rules import refusal

__all__ = ["Fines", "SETTLE_KINDS"]

SETTLE_KINDS = ("paid", "waived")


def vnd(amount):
    """12500 -> "12.500" (the way amounts in đồng are written)."""
    return f"{int(amount):,}".replace(",", ".")


class Fines:
    """Mixed into :class:`ils.circulation.service.CirculationService` (needs ``self.db``)."""

    def unpaid_fines(self, reader_id):
        """The reader's fines not yet settled, oldest first."""
        return list(self.db.scalars(select(Fine).where(
            Fine.reader_id == reader_id, Fine.paid_at.is_(None))
            .order_by(Fine.created, Fine.id)))

    def fines_owed(self, reader_id):
        return int(self.db.scalar(select(func.coalesce(func.sum(Fine.amount), 0)).where(
            Fine.reader_id == reader_id, Fine.paid_at.is_(None))) or 0)

    def fine_block(self, reader, site, rules=None):
        """The ``reader_fines`` refusal when the reader's unpaid fines reach the site's
        threshold, else None."""
        rules = rules or self.rules(site, reader.category)
        if rules.fine_block_at <= 0:
            return None
        owed = self.fines_owed(reader.id)
        if owed >= rules.fine_block_at:
            return refusal("reader_fines", amount=vnd(owed), limit=vnd(rules.fine_block_at))
        return None

    def settle_fine(self, fine_id, how, actor, reason="", site=None, reader_id=None,
                    now=None):
        """Mark a fine paid or waived (a waiver needs ``reason``). With ``site``, only that
        site's fines; with ``reader_id``, only that reader's. Returns the Fine."""
        now = now or datetime.datetime.now(datetime.timezone.utc)
        reason = (reason or "").strip()[:500]
        if how not in SETTLE_KINDS:
            raise refusal("fine_unknown")
        if how == "waived" and not reason:
            raise refusal("fine_reason")
        try:
            fine = self.db.scalars(select(Fine).where(Fine.id == int(fine_id))
                                   .with_for_update()).first()
        except (TypeError, ValueError):
            fine = None
        if fine is None or fine.paid_at is not None \
                or (site is not None and fine.site != site) \
                or (reader_id is not None and fine.reader_id != reader_id):
            raise refusal("fine_unknown")
        fine.paid_at = now
        fine.settled_how = how
        fine.settled_reason = reason
        fine.settled_by = str(actor)[:100]
        self._log("fine_" + how, fine.site, actor, fine.reader_id, None, fine_id=fine.id,
                  amount=fine.amount, reason=reason)
        self.db.flush()
        return fine

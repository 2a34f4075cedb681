"""Digital lending: licensed copies of repository items, the waitlist, access tokens.

A ``DigitalLicence`` says how many copies of a DigitalItem or Audiobook (by
uid) may be lent at once (``copies`` NULL: unlimited, for public-domain works
and the library's own rare materials). A loan takes the lowest free copy
number; the unique index on (licence, copy number) of active loans refuses a
second loan of the same copy, and the licence row is locked while copies are
counted. When no copy is free the reader joins the waitlist; a returned or
expired loan lends the copy to the first reader waiting and queues a
``hold_ready`` notification with ``digital: true``.
"""
import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .models import DigitalLicence, DigitalLoan, DigitalWait
from .rules import TOKEN_SECONDS, aware, local_today, refusal

__all__ = ["DigitalLending"]


class DigitalLending:
    """Mixed into :class:`ils.circulation.service.CirculationService` (needs ``self.db``)."""

    def licence(self, item_uid, lock=False):
        query = select(DigitalLicence).where(DigitalLicence.item_uid == str(item_uid or "")[:64])
        if lock:
            query = query.with_for_update()
        return self.db.scalars(query).first()

    def set_licence(self, item_uid, copies, title="", site="", loan_days=14):
        """Create or change the licence of a repository item (``copies`` None: unlimited)."""
        licence = self.licence(item_uid)
        if licence is None:
            licence = DigitalLicence(item_uid=item_uid)
            self.db.add(licence)
        licence.copies, licence.title, licence.site = copies, title, site
        licence.loan_days = loan_days
        self.db.flush()
        return licence

    def available_copies(self, licence):
        """Free copies now (None: unlimited)."""
        if licence.copies is None:
            return None
        used = self.db.scalar(select(func.count(DigitalLoan.id)).where(
            DigitalLoan.licence_id == licence.id, DigitalLoan.returned_at.is_(None))) or 0
        return max(0, licence.copies - used)

    def _active_digital(self, licence_id, reader_id):
        return self.db.scalars(select(DigitalLoan).where(
            DigitalLoan.licence_id == licence_id, DigitalLoan.reader_id == reader_id,
            DigitalLoan.returned_at.is_(None))).first()

    def _free_copy(self, licence):
        if licence.copies is None:
            return None, True
        used = set(self.db.scalars(select(DigitalLoan.copy_no).where(
            DigitalLoan.licence_id == licence.id, DigitalLoan.returned_at.is_(None))))
        free = [n for n in range(1, licence.copies + 1) if n not in used]
        return (free[0], True) if free else (None, False)

    def _lend(self, licence, reader_id, copy_no, now):
        loan = DigitalLoan(licence_id=licence.id, reader_id=reader_id, copy_no=copy_no,
                           started=now,
                           expires=now + datetime.timedelta(days=licence.loan_days))
        self.db.add(loan)
        try:
            self.db.flush()
        except IntegrityError:       # the copy went to someone else a moment ago
            raise refusal("digital_unavailable")
        return loan

    def borrow_digital(self, reader_id, item_uid, actor, now=None):
        now = now or datetime.datetime.now(datetime.timezone.utc)
        reader = self._reader(reader_id)
        hard = [e for e in self.blocks(reader, local_today(now))
                if e.details["reason"] != "reader_overdue"]
        if hard:
            raise hard[0]
        licence = self.licence(item_uid, lock=True)
        if licence is None:
            raise refusal("digital_unavailable")
        mine = self._active_digital(licence.id, reader.id)
        if mine is not None:
            return mine
        rules = self.rules(licence.site or reader.home_site, reader.category)
        count = self.db.scalar(select(func.count(DigitalLoan.id)).where(
            DigitalLoan.reader_id == reader.id, DigitalLoan.returned_at.is_(None))) or 0
        if count >= rules.digital_limit:
            raise refusal("digital_limit", n=count)
        copy_no, ok = self._free_copy(licence)
        if not ok:
            wait = self.db.scalars(select(DigitalWait).where(
                DigitalWait.licence_id == licence.id, DigitalWait.reader_id == reader.id,
                DigitalWait.status == "waiting")).first()
            if wait is None:
                wait = DigitalWait(licence_id=licence.id, reader_id=reader.id, joined=now)
                self.db.add(wait)
                self.db.flush()
                self._log("digital_wait", licence.site, actor, reader.id, None,
                          licence_id=licence.id, item_uid=licence.item_uid)
            return self._place_in_line(wait)
        loan = self._lend(licence, reader.id, copy_no, now)
        self._log("digital_borrow", licence.site, actor, reader.id, None, digital_loan_id=loan.id,
                  item_uid=licence.item_uid)
        return loan

    def return_digital(self, digital_loan_id, actor, reader_id=None, now=None):
        now = now or datetime.datetime.now(datetime.timezone.utc)
        try:
            loan = self.db.scalars(select(DigitalLoan).where(
                DigitalLoan.id == int(digital_loan_id)).with_for_update(of=DigitalLoan)).first()
        except (TypeError, ValueError):
            loan = None
        if loan is None or loan.returned_at is not None or (
                reader_id is not None and loan.reader_id != reader_id):
            raise refusal("loan_unknown")
        loan.returned_at = now
        self.db.flush()
        self._log("digital_return", loan.licence.site, actor, loan.reader_id, None,
                  digital_loan_id=loan.id)
        self._serve_waitlist(loan.licence_id, now)
        return loan

    def cancel_wait(self, wait_id, actor, reader_id=None, now=None):
        """Leave the waitlist."""
        wait = self.db.get(DigitalWait, wait_id)
        if wait is None or wait.status != "waiting" or (
                reader_id is not None and wait.reader_id != reader_id):
            raise refusal("loan_unknown")
        wait.status = "cancelled"
        wait.closed_at = now or datetime.datetime.now(datetime.timezone.utc)
        return wait

    def _serve_waitlist(self, licence_id, now):
        licence = self.db.scalars(select(DigitalLicence).where(
            DigitalLicence.id == licence_id).with_for_update()).first()
        served = 0
        for wait in list(self.db.scalars(select(DigitalWait).where(
                DigitalWait.licence_id == licence_id, DigitalWait.status == "waiting")
                .order_by(DigitalWait.joined, DigitalWait.id))):
            copy_no, ok = self._free_copy(licence)
            if not ok:
                break
            wait.status, wait.closed_at = "served", now
            if wait.reader_id is None or self._active_digital(licence.id, wait.reader_id):
                continue
            loan = self._lend(licence, wait.reader_id, copy_no, now)
            served += 1
            self._notify("hold_ready", wait.reader_id, digital_loan_id=loan.id,
                         title=licence.title, item_uid=licence.item_uid, digital=True,
                         ready_until=aware(loan.expires).isoformat(), pickup_site="")
            self._log("digital_borrow", licence.site, "waitlist", wait.reader_id, None,
                      digital_loan_id=loan.id, item_uid=licence.item_uid)
        return served

    def digital_loans(self, reader_id):
        loans = list(self.db.scalars(select(DigitalLoan).where(
            DigitalLoan.reader_id == reader_id, DigitalLoan.returned_at.is_(None))
            .order_by(DigitalLoan.expires)))
        waits = list(self.db.scalars(select(DigitalWait).where(
            DigitalWait.reader_id == reader_id, DigitalWait.status == "waiting")
            .order_by(DigitalWait.joined)))
        for wait in waits:
            self._place_in_line(wait)
        return loans + waits

    def _place_in_line(self, wait):
        wait.position = 1 + (self.db.scalar(select(func.count(DigitalWait.id)).where(
            DigitalWait.licence_id == wait.licence_id, DigitalWait.status == "waiting",
            (DigitalWait.joined < wait.joined)
            | ((DigitalWait.joined == wait.joined) & (DigitalWait.id < wait.id)))) or 0)
        return wait

    def access_token(self, digital_loan_id, reader_id, now=None, epoch=0):
        """A token for the loan's item, valid for at most an hour and never past the loan."""
        if self.tokens is None:
            raise RuntimeError("CirculationService was built without IAccessTokens")
        now = now or datetime.datetime.now(datetime.timezone.utc)
        loan = self.db.get(DigitalLoan, digital_loan_id) if digital_loan_id else None
        if loan is None or loan.returned_at is not None or loan.reader_id != reader_id \
                or aware(loan.expires) <= now:
            raise refusal("loan_unknown")
        until = min(aware(loan.expires).timestamp(), now.timestamp() + TOKEN_SECONDS)
        return self.tokens.issue(loan.licence.item_uid, reader_id, int(until), epoch=epoch)

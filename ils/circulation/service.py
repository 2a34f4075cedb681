"""The circulation service: checkout, checkin, renewals, holds, digital loans.

``CirculationService(dbsession, settings, tokens=None)`` implements
:class:`ICirculation` on the caller's session and never commits. After a
``CirculationError`` the caller aborts its transaction (pyramid_tm does when
the answer is an error status; the SIP2 server per message): a refusal raised
by the database (a second loan of the same item) leaves the session unusable.

Races are settled by the database: the item's row is locked (``SELECT … FOR
UPDATE`` on PostgreSQL; SQLite runs one writer at a time) before its loans and
holds are read, the unique partial indexes of :mod:`.models` refuse a second
active loan or capture, and a hold leaves ``waiting`` only through a
compare-and-set update.
"""
import datetime
import re

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from zope.interface import implementer

from ..catalogue.models import BibRecord, Item, ItemStatus
from ..readers.models import Reader, ReaderStatus
from .digital import DigitalLending
from .fines import Fines
from .hold_dates import HoldDates
from .interfaces import CirculationError, ICirculation
from .models import (OPEN_HOLD_STATES, CirculationEvent, ClosedDay, DigitalLoan, Fine, Hold,
                     HoldStatus, Loan, Notification, Policy)
from .privacy import Privacy
from .rules import (DEFAULT_POLICIES, DEFAULT_SITES, POLICY_FIELDS, Rules, aware, local_today,
                    refusal)
from .selfcheck import SelfCheck

__all__ = ["CirculationService"]

_UNLENDABLE = {ItemStatus.IN_PROCESSING, ItemStatus.DAMAGED, ItemStatus.MISSING,
               ItemStatus.LOST, ItemStatus.WITHDRAWN}
_TOKEN = re.compile(r"[0-9A-Za-z][0-9A-Za-z-]{3,19}")


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


@implementer(ICirculation)
class CirculationService(DigitalLending, Privacy, Fines, SelfCheck, HoldDates):
    def __init__(self, dbsession, settings=None, tokens=None):
        self.db = dbsession
        settings = settings or {}
        sites = settings.get("serepok.circulation.sites", "")
        self.sites = tuple(sites.split()) if sites.strip() else DEFAULT_SITES
        self.tokens = tokens

    # ------------------------------------------------------------------ rules
    def rules(self, site, category):
        category = getattr(category, "value", category) or "adult"
        values = dict(DEFAULT_POLICIES.get(category, DEFAULT_POLICIES["adult"]))
        columns = [getattr(Policy, name) for name in POLICY_FIELDS]
        rows = {r[0]: r[1:] for r in self.db.execute(select(Policy.category, *columns).where(
            Policy.site == site, Policy.category.in_((category, "*"))))}
        row = rows.get(category) or rows.get("*")
        if row is not None:
            values.update(zip(POLICY_FIELDS, row))
        return Rules(**values)

    def policies(self, site):
        """{category: Rules} of a site as they apply now (rows or defaults), and the rows."""
        return {category: self.rules(site, category) for category in DEFAULT_POLICIES}

    def set_policy(self, site, category, **values):
        """Create or change the site's policy row for ``category`` (``*``: every category)."""
        row = self.db.scalars(select(Policy).where(Policy.site == site,
                                                   Policy.category == category)).first()
        if row is None:
            row = Policy(site=site, category=category,
                         **DEFAULT_POLICIES.get(category, DEFAULT_POLICIES["adult"]))
            self.db.add(row)
        for name, value in values.items():
            if name in POLICY_FIELDS:
                setattr(row, name, int(value))
        self.db.flush()
        return row

    def closed_days(self, site, start):
        return list(self.db.scalars(select(ClosedDay).where(
            ClosedDay.site == site, ClosedDay.day >= start).order_by(ClosedDay.day)))

    def set_closed_day(self, site, day, reason="", closed=True):
        row = self.db.get(ClosedDay, (site, day))
        if closed and row is None:
            self.db.add(ClosedDay(site=site, day=day, reason=reason[:200]))
        elif closed:
            row.reason = reason[:200]
        elif row is not None:
            self.db.delete(row)
        self.db.flush()

    def next_open_day(self, site, day):
        """``day`` or the first day after it on which ``site`` is open."""
        closed = set(self.db.scalars(select(ClosedDay.day).where(
            ClosedDay.site == site, ClosedDay.day >= day,
            ClosedDay.day <= day + datetime.timedelta(days=366))))
        while day in closed:
            day += datetime.timedelta(days=1)
        return day

    def due_date(self, site, today, days):
        return self.next_open_day(site, today + datetime.timedelta(days=days))

    # ---------------------------------------------------------------- readers
    def find_reader(self, key):
        key = (key or "").strip()
        if not key or len(key) > 2000:
            return None
        candidates = [key, key.upper()]
        # an e-card QR payload or a CCCD QR payload carries the number among other text
        candidates += [t for t in _TOKEN.findall(key) if t not in candidates][:20]
        rows = list(self.db.scalars(select(Reader).where(or_(
            Reader.card_number.in_(candidates), Reader.id_number.in_(candidates)))))
        for wanted in candidates:
            for row in rows:
                if wanted in (row.card_number, row.id_number):
                    return row
        return None

    def _reader(self, reader_id):
        reader = self.db.get(Reader, reader_id) if reader_id is not None else None
        if reader is None:
            raise refusal("card_unknown")
        return reader

    def _reader_with_counts(self, reader_id, today):
        """The reader and (active loans, overdue loans), in one query."""
        active = select(func.count(Loan.id)).where(
            Loan.reader_id == Reader.id, Loan.returned_at.is_(None))
        row = self.db.execute(select(
            Reader, active.scalar_subquery(),
            active.where(Loan.due < today).scalar_subquery()).where(
            Reader.id == reader_id)).first() if reader_id is not None else None
        if row is None:
            raise refusal("card_unknown")
        return row[0], (row[1] or 0, row[2] or 0)

    def _loan_counts(self, reader_id, today):
        """(active loans, overdue loans) of the reader, in one query."""
        active, overdue = self.db.execute(select(
            func.count(Loan.id), func.count(Loan.id).filter(Loan.due < today)).where(
            Loan.reader_id == reader_id, Loan.returned_at.is_(None))).one()
        return active or 0, overdue or 0

    def blocks(self, reader, today, counts=None):
        """What stops this reader from borrowing today: [CirculationError]."""
        found = []
        if reader.status == ReaderStatus.PENDING:
            found.append(refusal("reader_pending"))
        elif reader.status == ReaderStatus.CLOSED:
            found.append(refusal("reader_closed"))
        elif reader.status == ReaderStatus.BLOCKED:
            found.append(refusal("reader_blocked", note=reader.block_reason or "—"))
        if reader.is_expired(today):
            found.append(refusal("reader_expired", date=reader.expires.strftime("%d/%m/%Y")))
        overdue = (counts or self._loan_counts(reader.id, today))[1]
        if overdue:
            found.append(refusal("reader_overdue", n=overdue))
        return found

    def reader_summary(self, reader_id, now=None, site=None):
        now = now or utcnow()
        today = local_today(now)
        reader = self._reader(reader_id)
        blocks = self.blocks(reader, today)
        fine_block = self.fine_block(reader, site or reader.home_site)
        if fine_block is not None:
            blocks.append(fine_block)
        loans = [{"loan": loan, "item": loan.item, "title": loan.item.record.title,
                  "overdue": loan.due < today, "days_overdue": max(0, (today - loan.due).days)}
                 for loan in self.loans(reader.id)]
        fines = self.db.scalar(select(func.coalesce(func.sum(Fine.amount), 0)).where(
            Fine.reader_id == reader.id, Fine.paid_at.is_(None))) or 0
        return {"reader": reader, "loans": loans, "holds": self.holds(reader.id),
                "digital": self.digital_loans(reader.id),
                "blocks": [(e.code, e.message) for e in blocks],
                "block_errors": blocks, "fines_total": int(fines),
                "fines": self.unpaid_fines(reader.id)}

    # ------------------------------------------------------------------ items
    def _item(self, barcode, lock=True):
        barcode = (barcode or "").strip()
        query = select(Item).where(Item.barcode == barcode)
        if lock:
            query = query.with_for_update()
        item = self.db.scalars(query).first() if barcode and len(barcode) <= 64 else None
        if item is None:
            raise refusal("item_unknown", barcode=barcode[:64])
        return item

    def _active_loan(self, item_id, lock=False):
        query = select(Loan).where(Loan.item_id == item_id, Loan.returned_at.is_(None))
        if lock:
            query = query.with_for_update(of=Loan)
        return self.db.scalars(query).first()

    def _log(self, kind, site="", actor="", reader_id=None, item_id=None, **detail):
        self.db.add(CirculationEvent(kind=kind, site=site or "", actor=str(actor or "")[:100],
                                     reader_id=reader_id, item_id=item_id, detail=detail))

    def _notify(self, kind, reader_id, **payload):
        self.db.add(Notification(kind=kind, reader_id=reader_id, payload=payload))

    # ------------------------------------------------------------------ loans
    def checkout(self, reader_id, barcode, site, actor, override=None, now=None):
        now = now or utcnow()
        today = local_today(now)
        if site not in self.sites:
            raise refusal("site_closed", site=site)
        reader, counts = self._reader_with_counts(reader_id, today)
        refusals = self.blocks(reader, today, counts)
        item = self._item(barcode)
        if item.library != site:
            raise refusal("item_other_site", library=item.library)
        # an item on the shelf has no active loan; if the data said otherwise, the
        # unique index would refuse the insert below all the same
        loan = self._active_loan(item.id) if item.status != ItemStatus.AVAILABLE else None
        if loan is not None:
            reason = "item_on_loan_same" if loan.reader_id == reader.id else "item_on_loan"
            raise refusal(reason, due=loan.due.strftime("%d/%m/%Y"))
        if item.status in _UNLENDABLE:
            raise refusal("item_not_for_loan", status=item.status.value)
        if item.status == ItemStatus.NOT_FOR_LOAN:
            refusals.append(refusal("item_reference"))
        hold = None
        if item.status in (ItemStatus.ON_HOLD_SHELF, ItemStatus.IN_TRANSIT):
            hold = self.db.scalars(select(Hold).where(
                Hold.captured_item_id == item.id,
                Hold.status.in_((HoldStatus.READY, HoldStatus.IN_TRANSIT)))).first()
        if hold is not None and hold.reader_id != reader.id:
            raise refusal("item_on_hold_for_other")
        rules = self.rules(site, reader.category)
        active = counts[0]
        if active >= rules.max_loans:
            refusals.append(refusal("loan_limit", n=active))
        fine_block = self.fine_block(reader, site, rules)
        if fine_block is not None:
            refusals.append(fine_block)
        hard = [e for e in refusals if not e.overridable]
        if hard:
            raise hard[0]
        override = (override or "").strip()[:500]
        if refusals and not override:
            raise refusals[0]
        loan = Loan(item_id=item.id, reader_id=reader.id, site=site, out_at=now,
                    due=self.due_date(site, today, rules.loan_days), actor=str(actor)[:100],
                    overridden=(", ".join(e.details["reason"] for e in refusals) + ": "
                                + override) if refusals else "")
        self.db.add(loan)
        try:
            self.db.flush()
        except IntegrityError:          # another desk lent it a moment ago
            raise refusal("item_on_loan", due="—")
        was = item.status
        item.status = ItemStatus.ON_LOAN
        if hold is not None:
            hold.status = HoldStatus.COLLECTED
            hold.closed_at = now
        if refusals:
            self._log("override", site, actor, reader.id, item.id, loan_id=loan.id,
                      reasons=[e.details["reason"] for e in refusals], note=override)
        self._log("checkout", site, actor, reader.id, item.id, loan_id=loan.id,
                  due=loan.due.isoformat(), was=was.value)
        return loan

    def checkin(self, barcode, site, actor, now=None):
        now = now or utcnow()
        today = local_today(now)
        if site not in self.sites:
            raise refusal("site_closed", site=site)
        item = self._item(barcode)
        loan = self._active_loan(item.id, lock=True)
        fine = 0
        if loan is not None:
            loan.returned_at = now
            loan.returned_site = site
            late = (today - loan.due).days
            if late > 0 and loan.reader_id is not None:
                reader = self.db.get(Reader, loan.reader_id)
                per_day = self.rules(loan.site, reader.category).fine_per_day
                if per_day > 0:
                    fine = late * per_day
                    self.db.add(Fine(reader_id=loan.reader_id, loan_id=loan.id, site=loan.site,
                                     amount=fine, created=now))
            self.db.flush()
        elif item.status in (ItemStatus.DAMAGED, ItemStatus.WITHDRAWN,
                             ItemStatus.IN_PROCESSING, ItemStatus.NOT_FOR_LOAN):
            self._log("checkin", site, actor, None, item.id, loan_id=None)
            return {"loan": None, "hold": None, "transit_to": None, "fine": 0, "item": item}
        hold, transit_to = self._route(item, site, now)
        self._log("checkin", site, actor, loan.reader_id if loan else None, item.id,
                  loan_id=loan.id if loan else None, hold_id=hold.id if hold else None,
                  transit_to=transit_to, fine=fine)
        return {"loan": loan, "hold": hold, "transit_to": transit_to, "fine": fine,
                "item": item}

    def _route(self, item, site, now):
        """Where a returned item goes: a hold's shelf, in transit, or back on the shelf."""
        hold = self.db.scalars(select(Hold).where(
            Hold.captured_item_id == item.id,
            Hold.status.in_((HoldStatus.READY, HoldStatus.IN_TRANSIT)))).first()
        if hold is None:
            hold = self._capture(item, site, now)
        elif hold.status == HoldStatus.IN_TRANSIT and hold.pickup_site == site:
            self._ready(hold, item, now)
        if hold is not None:
            if hold.status == HoldStatus.IN_TRANSIT:
                item.status = ItemStatus.IN_TRANSIT
                return hold, hold.pickup_site
            item.status = ItemStatus.ON_HOLD_SHELF
            return hold, None
        if item.library != site:
            item.status = ItemStatus.IN_TRANSIT
            return None, item.library
        item.status = ItemStatus.AVAILABLE
        return None, None

    def _capture(self, item, site, now):
        """Take the first waiting hold this item can fill, preferring holds picked up here."""
        waiting = list(self.db.scalars(select(Hold).where(
            Hold.status == HoldStatus.WAITING,
            or_(Hold.item_id == item.id,
                (Hold.item_id.is_(None)) & (Hold.bib_record_id == item.record_id)))
            .order_by(Hold.placed_at, Hold.id)))
        waiting.sort(key=lambda h: h.pickup_site != site)      # stable: FIFO within each
        for hold in waiting:
            status = HoldStatus.READY if hold.pickup_site == site else HoldStatus.IN_TRANSIT
            done = self.db.execute(
                update(Hold).where(Hold.id == hold.id, Hold.status == HoldStatus.WAITING)
                .values(status=status, captured_item_id=item.id, captured_at=now)
                .execution_options(synchronize_session=False))
            if done.rowcount != 1:          # someone else captured it a moment ago
                continue
            self.db.refresh(hold)
            if status == HoldStatus.READY:
                self._ready(hold, item, now)
            self._log("capture", site, "", hold.reader_id, item.id, hold_id=hold.id,
                      pickup_site=hold.pickup_site)
            return hold
        return None

    def _ready(self, hold, item, now):
        reader = self.db.get(Reader, hold.reader_id) if hold.reader_id else None
        days = self.rules(hold.pickup_site, reader.category if reader else "adult") \
            .hold_pickup_days
        hold.status = HoldStatus.READY
        hold.ready_until = self.due_date(hold.pickup_site, local_today(now), days)
        item.status = ItemStatus.ON_HOLD_SHELF
        if hold.reader_id is not None:
            self._notify("hold_ready", hold.reader_id, hold_id=hold.id,
                         title=hold.record.title, barcode=item.barcode,
                         pickup_site=hold.pickup_site, ready_until=hold.ready_until.isoformat(),
                         digital=False)

    def renew(self, barcode, actor, reader_id=None, now=None):
        now = now or utcnow()
        today = local_today(now)
        item = self._item(barcode)
        loan = self._active_loan(item.id, lock=True)
        if loan is None or (reader_id is not None and loan.reader_id != reader_id):
            raise refusal("not_on_loan")
        return self._renew(loan, item, actor, today)

    def _renew(self, loan, item, actor, today):
        reader = self._reader(loan.reader_id)
        hard = [e for e in self.blocks(reader, today)
                if e.details["reason"] not in ("reader_overdue",)]
        if hard:
            raise hard[0]
        rules = self.rules(loan.site, reader.category)
        if loan.renewals >= rules.max_renewals:
            raise refusal("renewal_limit", n=loan.renewals)
        waiting = self.db.scalar(select(func.count(Hold.id)).where(
            Hold.status == HoldStatus.WAITING,
            or_(Hold.item_id == item.id,
                (Hold.item_id.is_(None)) & (Hold.bib_record_id == item.record_id))))
        if waiting:
            raise refusal("renewal_hold")
        loan.due = max(loan.due, self.due_date(loan.site, today, rules.loan_days))
        loan.renewals += 1
        loan.due_soon_sent = loan.overdue_sent = False
        self._log("renew", loan.site, actor, loan.reader_id, item.id, loan_id=loan.id,
                  due=loan.due.isoformat())
        return loan

    def renew_all(self, reader_id, actor, now=None):
        today = local_today(now or utcnow())
        results = []
        for loan in self.loans(reader_id):
            try:
                results.append((self._renew(loan, loan.item, actor, today), None))
            except CirculationError as error:
                results.append((loan, error))
        return results

    def loans(self, reader_id, active=True):
        query = select(Loan).where(Loan.reader_id == reader_id)
        if active:
            return list(self.db.scalars(query.where(Loan.returned_at.is_(None))
                                        .order_by(Loan.due, Loan.id)))
        reader = self.db.get(Reader, reader_id)
        if reader is None or not reader.keep_history:
            return []
        return list(self.db.scalars(query.where(Loan.returned_at.is_not(None))
                                    .order_by(Loan.returned_at.desc()).limit(500)))

    # ------------------------------------------------------------------ holds
    def place_hold(self, reader_id, pickup_site, actor, bib_record_id=None, barcode=None,
                   now=None, not_needed_after=None):
        now = now or utcnow()
        today = local_today(now)
        if pickup_site not in self.sites:
            raise refusal("site_closed", site=pickup_site)
        reader = self._reader(reader_id)
        hard = [e for e in self.blocks(reader, today)
                if e.details["reason"] != "reader_overdue"]
        if hard:
            raise hard[0]
        item = None
        if barcode:
            item = self._item(barcode, lock=False)
            bib_record_id = item.record_id
        try:
            record = self.db.get(BibRecord, int(bib_record_id))
        except (TypeError, ValueError):
            record = None
        if record is None:
            raise refusal("record_unknown")
        lendable = [i for i in record.items if i.library in self.sites
                    and i.status not in _UNLENDABLE and i.status != ItemStatus.NOT_FOR_LOAN]
        if item is not None and item not in lendable or not lendable:
            raise refusal("item_not_for_loan", status=(item.status.value if item else "—"))
        if self.db.scalar(select(func.count(Hold.id)).where(
                Hold.reader_id == reader.id, Hold.bib_record_id == record.id,
                Hold.status.in_(OPEN_HOLD_STATES))):
            raise refusal("hold_exists")
        if self.db.scalar(select(func.count(Loan.id)).join(Item, Item.id == Loan.item_id).where(
                Loan.reader_id == reader.id, Loan.returned_at.is_(None),
                Item.record_id == record.id)):
            raise refusal("hold_on_loan")
        rules = self.rules(pickup_site, reader.category)
        count = self.db.scalar(select(func.count(Hold.id)).where(
            Hold.reader_id == reader.id, Hold.status.in_(OPEN_HOLD_STATES))) or 0
        if count >= rules.hold_limit:
            raise refusal("hold_limit", n=count)
        # the reader's own date, else the site's default wait (0: the hold never lapses)
        if not_needed_after is not None and not_needed_after < today:
            raise refusal("hold_date_past")
        if not_needed_after is None and rules.hold_wait_days > 0:
            not_needed_after = today + datetime.timedelta(days=rules.hold_wait_days)
        hold = Hold(reader_id=reader.id, bib_record_id=record.id,
                    item_id=item.id if item else None, pickup_site=pickup_site,
                    placed_at=now, actor=str(actor)[:100], not_needed_after=not_needed_after)
        self.db.add(hold)
        self.db.flush()
        self._log("hold", pickup_site, actor, reader.id, item.id if item else None,
                  hold_id=hold.id, record_id=record.id)
        return hold

    def _own_hold(self, hold_id, reader_id, states=OPEN_HOLD_STATES):
        try:
            hold = self.db.scalars(select(Hold).where(Hold.id == int(hold_id))
                                   .with_for_update(of=Hold)).first()
        except (TypeError, ValueError):
            hold = None
        if hold is None or (reader_id is not None and hold.reader_id != reader_id) \
                or hold.status not in states:
            raise refusal("hold_unknown")
        return hold

    def cancel_hold(self, hold_id, actor, reader_id=None, now=None):
        now = now or utcnow()
        hold = self._own_hold(hold_id, reader_id)
        was = hold.status
        hold.status = HoldStatus.CANCELLED
        hold.closed_at = now
        self.db.flush()
        if was == HoldStatus.READY and hold.captured_item is not None:
            item = self.db.scalars(select(Item).where(Item.id == hold.captured_item_id)
                                   .with_for_update()).first()
            self._route(item, hold.pickup_site, now)
        self._log("hold_cancel", hold.pickup_site, actor, hold.reader_id, hold.captured_item_id,
                  hold_id=hold.id)
        return hold

    def change_pickup(self, hold_id, pickup_site, actor, reader_id=None):
        if pickup_site not in self.sites:
            raise refusal("site_closed", site=pickup_site)
        hold = self._own_hold(hold_id, reader_id, states=(HoldStatus.WAITING,))
        hold.pickup_site = pickup_site
        self._log("hold_pickup", pickup_site, actor, hold.reader_id, None, hold_id=hold.id)
        return hold

    def queue_position(self, hold):
        """1 for the first waiting reader of the title at the hold's pickup site."""
        ahead = self.db.scalar(select(func.count(Hold.id)).where(
            Hold.status == HoldStatus.WAITING, Hold.bib_record_id == hold.bib_record_id,
            Hold.pickup_site == hold.pickup_site,
            or_(Hold.placed_at < hold.placed_at,
                (Hold.placed_at == hold.placed_at) & (Hold.id < hold.id)))) or 0
        return ahead + 1

    def holds(self, reader_id):
        rows = list(self.db.scalars(select(Hold).where(
            Hold.reader_id == reader_id, Hold.status.in_(OPEN_HOLD_STATES))
            .order_by(Hold.placed_at, Hold.id)))
        for hold in rows:
            hold.position = (self.queue_position(hold) if hold.status == HoldStatus.WAITING
                             else None)
        return rows

    def pull_list(self, site):
        """Waiting holds for pickup at ``site`` with a copy on this site's shelf now."""
        rows = self.db.execute(select(Hold, Item).join(
            Item, (Item.record_id == Hold.bib_record_id)
            & or_(Hold.item_id.is_(None), Hold.item_id == Item.id)).where(
            Hold.status == HoldStatus.WAITING, Hold.pickup_site == site,
            Item.library == site, Item.status == ItemStatus.AVAILABLE)
            .order_by(Hold.placed_at, Item.barcode)).all()
        seen, result = set(), []
        for hold, item in rows:
            if hold.id not in seen:
                seen.add(hold.id)
                result.append((hold, item))
        return result

    # ----------------------------------------------------------- housekeeping
    def expire(self, now=None):
        now = now or utcnow()
        today = local_today(now)
        counts = {"holds_expired": 0, "holds_lapsed": 0, "digital_returned": 0}
        # waiting holds past the reader's "not needed after" day: the queue moves on
        for hold in list(self.db.scalars(select(Hold).where(
                Hold.status == HoldStatus.WAITING, Hold.not_needed_after < today)
                .with_for_update(of=Hold))):
            hold.status = HoldStatus.EXPIRED
            hold.closed_at = now
            self._log("hold_lapse", hold.pickup_site, "tick", hold.reader_id, None,
                      hold_id=hold.id, not_needed_after=hold.not_needed_after.isoformat())
            counts["holds_lapsed"] += 1
        for hold in list(self.db.scalars(select(Hold).where(
                Hold.status == HoldStatus.READY, Hold.ready_until < today)
                .with_for_update(of=Hold))):
            hold.status = HoldStatus.EXPIRED
            hold.closed_at = now
            self.db.flush()
            item = self.db.scalars(select(Item).where(Item.id == hold.captured_item_id)
                                   .with_for_update()).first()
            if item is not None and item.status == ItemStatus.ON_HOLD_SHELF:
                self._route(item, hold.pickup_site, now)
            self._log("hold_expire", hold.pickup_site, "tick", hold.reader_id,
                      hold.captured_item_id, hold_id=hold.id)
            counts["holds_expired"] += 1
        licences = set()
        for loan in list(self.db.scalars(select(DigitalLoan).where(
                DigitalLoan.returned_at.is_(None), DigitalLoan.expires <= now))):
            loan.returned_at = aware(loan.expires)
            licences.add(loan.licence_id)
            counts["digital_returned"] += 1
        self.db.flush()
        for licence_id in sorted(licences):
            self._serve_waitlist(licence_id, now)
        return counts

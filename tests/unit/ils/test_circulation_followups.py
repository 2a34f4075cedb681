"""Circulation follow-ups on SQLite and PostgreSQL: anonymising history (counts survive),
settling fines and the fines block, holds that lapse, undoing a self-check checkout."""
import datetime

import pytest

from ils.catalogue.models import ItemStatus
from ils.circulation.interfaces import CirculationError
from ils.circulation.models import (CirculationEvent, Fine, Hold, HoldStatus, Loan, Notification,
                                    Policy)
from ils.circulation.service import CirculationService
from ils.readers.models import AuditEntry, ReaderStatus
from ils.readers.services import ReaderService

from ...circulation_support import NOW, days, make_reader, make_title


@pytest.fixture
def circ(dbsession):
    return CirculationService(dbsession, {})


def refused(code, call, *args, **kw):
    with pytest.raises(CirculationError) as info:
        call(*args, **kw)
    assert info.value.code == code, info.value.details
    assert str(info.value.message)
    return info.value


def lend_and_return(circ, reader, item, out, back, site="bmt"):
    loan = circ.checkout(reader.id, item.barcode, site, "x", now=out)
    circ.checkin(item.barcode, site, "x", now=back)
    return loan


# --- personal data -----------------------------------------------------------------------

def test_anonymise_reader_refuses_while_loans_are_out_then_keeps_the_counts(
        dbsession, circ, sql_backend):
    reader = make_reader(dbsession, keep_history=True)
    _record, (old, current) = make_title(dbsession, copies=[("bmt", None), ("bmt", None)])
    lend_and_return(circ, reader, old, days(-40), days(-30))
    circ.checkout(reader.id, current.barcode, "bmt", "x", now=NOW)
    before = circ.loan_statistics("bmt")
    error = refused("reader_has_loans", circ.anonymise_reader, reader.id)
    assert error.details["n"] == 1
    circ.checkin(current.barcode, "bmt", "x", now=days(1))
    counts = circ.anonymise_reader(reader.id)
    assert counts["loans"] == 2 and counts["events"] >= 4
    assert dbsession.query(Loan).filter(Loan.reader_id == reader.id).count() == 0
    assert dbsession.query(Loan).count() == 2                   # rows stay
    assert circ.loan_statistics("bmt") == before                 # and so do the numbers
    assert dbsession.query(CirculationEvent).filter(
        CirculationEvent.reader_id == reader.id).count() == 0


def test_closing_a_reader_account_anonymises_their_history(dbsession, circ, sql_backend):
    reader = make_reader(dbsession)
    _record, (item,) = make_title(dbsession)
    lend_and_return(circ, reader, item, days(-10), days(-5))
    ReaderService(dbsession, {}, circulation=circ).close(reader, "reader")
    assert reader.status == ReaderStatus.CLOSED
    loan = dbsession.query(Loan).one()
    assert loan.reader_id is None and loan.returned_at is not None


def test_anonymise_history_spares_recent_loans_and_readers_who_opted_in(
        dbsession, circ, sql_backend):
    private, keeper = make_reader(dbsession), make_reader(dbsession, keep_history=True)
    _record, items = make_title(dbsession, copies=[("bmt", None)] * 4 + [("tuy-hoa", None)])
    lend_and_return(circ, private, items[0], days(-500), days(-480))    # old: anonymised
    lend_and_return(circ, private, items[1], days(-100), days(-90))     # recent: kept
    lend_and_return(circ, keeper, items[2], days(-500), days(-480))     # opted in: kept
    lend_and_return(circ, private, items[4], days(-500), days(-480), site="tuy-hoa")
    circ.checkout(private.id, items[3].barcode, "bmt", "x", now=days(-400))  # still out
    # the event log is stamped by the clock, not by ``now``: date it as it would be
    when = {items[0].id: -480, items[1].id: -90, items[2].id: -480, items[3].id: -400,
            items[4].id: -480}
    for event in dbsession.query(CirculationEvent):
        event.at = days(when[event.item_id])
    dbsession.flush()
    stats = circ.loan_statistics("bmt")
    assert sum(n for _m, n in stats) == 4 and len(stats) == 3
    assert circ.anonymisable("bmt", 365, now=NOW)["loans"] == 1
    counts = circ.anonymise_history("bmt", 365, "quantri.bmt", now=NOW)
    # the old loan's checkout and checkin, and item 3's checkout (the loan row keeps the reader)
    assert counts["loans"] == 1 and counts["events"] == 3
    assert circ.loan_statistics("bmt") == stats
    assert circ.anonymisable("bmt", 365, now=NOW)["loans"] == 0
    by_reader = {}
    for loan in dbsession.query(Loan):
        by_reader.setdefault(loan.reader_id, []).append(loan.item_id)
    assert sorted(by_reader[None]) == [items[0].id]
    assert sorted(by_reader[private.id]) == sorted([items[1].id, items[3].id, items[4].id])
    assert [x.item_id for x in circ.loans(keeper.id, active=False)] == [items[2].id]
    audit = dbsession.query(AuditEntry).filter(AuditEntry.action == "anonymise_history").one()
    assert audit.actor == "quantri.bmt" and audit.detail["counts"]["loans"] == 1
    assert audit.detail["site"] == "bmt" and audit.detail["days"] == 365


# --- fines -------------------------------------------------------------------------------

def test_fines_over_the_site_threshold_block_borrowing_until_paid_or_waived(
        dbsession, circ, sql_backend):
    reader = make_reader(dbsession)
    _record, items = make_title(dbsession, copies=[("bmt", None)] * 4)
    dbsession.add(Policy(site="bmt", category="*", fine_per_day=1000, fine_block_at=5000))
    dbsession.flush()
    circ.checkout(reader.id, items[0].barcode, "bmt", "x", now=days(-30))
    circ.checkout(reader.id, items[1].barcode, "bmt", "x", now=days(-30))
    # 16 days late each: two fines of 16.000 đ
    assert circ.checkin(items[0].barcode, "bmt", "x", now=NOW)["fine"] == 16000
    assert circ.checkin(items[1].barcode, "bmt", "x", now=NOW)["fine"] == 16000
    summary = circ.reader_summary(reader.id, now=NOW, site="bmt")
    assert "reader_blocked" in [code for code, _m in summary["blocks"]]
    assert [f.amount for f in summary["fines"]] == [16000, 16000]
    error = refused("reader_blocked", circ.checkout, reader.id, items[2].barcode, "bmt", "x",
                    now=NOW)
    assert error.overridable and error.details["reason"] == "reader_fines"
    assert "32.000" in str(error.message.mapping["amount"])
    first, second = summary["fines"]
    refused("fine_reason", circ.settle_fine, first.id, "waived", "thuthu", reason=" ")
    refused("fine_unknown", circ.settle_fine, first.id, "paid", "thuthu", site="tuy-hoa")
    circ.settle_fine(first.id, "waived", "thuthu", reason="Sách mất do lũ", now=NOW)
    assert first.settled_how == "waived" and first.settled_reason == "Sách mất do lũ"
    refused("fine_unknown", circ.settle_fine, first.id, "paid", "thuthu")   # settled once
    # still 16.000 đ owed, over 5.000: blocked
    refused("reader_blocked", circ.checkout, reader.id, items[2].barcode, "bmt", "x", now=NOW)
    circ.settle_fine(second.id, "paid", "thuthu", now=NOW)
    assert circ.reader_summary(reader.id, now=NOW, site="bmt")["blocks"] == []
    circ.checkout(reader.id, items[2].barcode, "bmt", "x", now=NOW)
    kinds = [e.kind for e in dbsession.query(CirculationEvent).filter(
        CirculationEvent.kind.like("fine_%")).order_by(CirculationEvent.id)]
    assert kinds == ["fine_waived", "fine_paid"]
    assert dbsession.query(Fine).filter(Fine.paid_at.is_(None)).count() == 0


def test_without_a_threshold_fines_do_not_block(dbsession, circ, sql_backend):
    reader = make_reader(dbsession)
    _record, items = make_title(dbsession, copies=[("bmt", None)] * 2)
    dbsession.add(Policy(site="bmt", category="*", fine_per_day=1000))
    dbsession.flush()
    circ.checkout(reader.id, items[0].barcode, "bmt", "x", now=days(-30))
    circ.checkin(items[0].barcode, "bmt", "x", now=NOW)
    circ.checkout(reader.id, items[1].barcode, "bmt", "x", now=NOW)


# --- holds that lapse --------------------------------------------------------------------

def test_waiting_holds_lapse_after_their_not_needed_date_and_the_queue_moves_on(
        dbsession, circ, sql_backend):
    a, b, c = (make_reader(dbsession) for _ in range(3))
    record, (item,) = make_title(dbsession)
    circ.checkout(c.id, item.barcode, "bmt", "x", now=NOW)
    refused("hold_date", circ.place_hold, a.id, "bmt", "a", bib_record_id=record.id, now=NOW,
            not_needed_after=NOW.date() - datetime.timedelta(days=1))
    h_a = circ.place_hold(a.id, "bmt", "a", bib_record_id=record.id, now=NOW,
                          not_needed_after=days(5).date())
    h_b = circ.place_hold(b.id, "bmt", "b", bib_record_id=record.id, now=days(0.1))
    assert h_b.not_needed_after == NOW.date() + datetime.timedelta(days=180)  # the default
    assert circ.queue_position(h_b) == 2
    assert circ.expire(now=days(5))["holds_lapsed"] == 0        # the day itself still counts
    assert circ.expire(now=days(6))["holds_lapsed"] == 1
    assert h_a.status == HoldStatus.EXPIRED and h_b.status == HoldStatus.WAITING
    assert circ.queue_position(h_b) == 1
    assert circ.holds(a.id) == []
    result = circ.checkin(item.barcode, "bmt", "x", now=days(7))
    assert result["hold"].id == h_b.id and h_b.status == HoldStatus.READY


def test_a_site_may_keep_waiting_holds_forever(dbsession, circ, sql_backend):
    reader = make_reader(dbsession)
    record, _items = make_title(dbsession)
    circ.set_policy("bmt", "*", hold_wait_days=0)
    hold = circ.place_hold(reader.id, "bmt", "r", bib_record_id=record.id, now=NOW)
    assert hold.not_needed_after is None
    assert circ.expire(now=days(3000))["holds_lapsed"] == 0


# --- undoing a self-check checkout ------------------------------------------------------------

def test_cancel_checkout_undoes_the_loan_and_no_other_hold_captures_the_item(
        dbsession, circ, sql_backend):
    a, b = make_reader(dbsession), make_reader(dbsession)
    record, (item,) = make_title(dbsession)
    stats = circ.loan_statistics("bmt")
    circ.checkout(a.id, item.barcode, "bmt", "sip2:may1", now=NOW)
    hold_b = circ.place_hold(b.id, "bmt", "b", bib_record_id=record.id, now=NOW)
    refused("cancel_refused", circ.cancel_checkout, item.barcode, "bmt", "sip2:may2",
            now=NOW)                                         # another machine
    refused("cancel_refused", circ.cancel_checkout, item.barcode, "tuy-hoa", "sip2:may1",
            now=NOW)
    result = circ.cancel_checkout(item.barcode, "bmt", "sip2:may1", now=days(0.001))
    assert result["reader_id"] == a.id and result["hold"] is None
    assert dbsession.query(Loan).count() == 0 and circ.loan_statistics("bmt") == stats
    assert item.status == ItemStatus.AVAILABLE
    assert hold_b.status == HoldStatus.WAITING                  # not captured, not told
    assert dbsession.query(Notification).count() == 0
    refused("cancel_refused", circ.cancel_checkout, item.barcode, "bmt", "sip2:may1", now=NOW)


def test_cancel_checkout_puts_a_collected_hold_back_and_is_refused_when_late(
        dbsession, circ, sql_backend):
    a, b = make_reader(dbsession), make_reader(dbsession)
    record, (item,) = make_title(dbsession)
    circ.checkout(b.id, item.barcode, "bmt", "x", now=NOW)
    hold = circ.place_hold(a.id, "bmt", "a", bib_record_id=record.id, now=NOW)
    circ.checkin(item.barcode, "bmt", "x", now=NOW)          # b returns it: set aside for a
    assert hold.status == HoldStatus.READY and hold.captured_item_id == item.id
    circ.checkout(a.id, item.barcode, "bmt", "sip2:may1", now=days(1))
    assert hold.status == HoldStatus.COLLECTED
    result = circ.cancel_checkout(item.barcode, "bmt", "sip2:may1", now=days(1.001))
    assert result["hold"].id == hold.id and hold.status == HoldStatus.READY
    assert item.status == ItemStatus.ON_HOLD_SHELF
    assert dbsession.query(Hold).filter(Hold.status == HoldStatus.READY).count() == 1
    circ.checkout(a.id, item.barcode, "bmt", "sip2:may1", now=days(2))
    refused("cancel_refused", circ.cancel_checkout, item.barcode, "bmt", "sip2:may1",
            now=days(2) + datetime.timedelta(minutes=11))
    assert circ.loans(a.id)[0].item_id == item.id

"""The circulation service on SQLite and PostgreSQL: loans, renewals, holds, calendars, fines."""
import datetime

import pytest

from ils.catalogue.models import ItemStatus
from ils.circulation.interfaces import CirculationError
from ils.circulation.models import (CirculationEvent, ClosedDay, Fine, HoldStatus, Loan,
                                    Notification, Policy)
from ils.circulation.service import CirculationService
from ils.readers.models import ReaderStatus

from ...circulation_support import NOW, days, make_reader, make_title


@pytest.fixture
def circ(dbsession):
    return CirculationService(dbsession, {})


def refused(code, call, *args, **kw):
    with pytest.raises(CirculationError) as info:
        call(*args, **kw)
    assert info.value.code == code, info.value.details
    assert str(info.value.message)          # every refusal says something to a person
    return info.value


def test_checkout_sets_due_date_past_closed_days_and_checkin_returns(dbsession, circ,
                                                                     sql_backend):
    reader = make_reader(dbsession)
    _record, (item,) = make_title(dbsession)
    # 14 days after 26/11 is 10/12; the site is closed on 10 and 11 December
    dbsession.add_all([ClosedDay(site="bmt", day=datetime.date(2026, 12, 10)),
                       ClosedDay(site="bmt", day=datetime.date(2026, 12, 11))])
    loan = circ.checkout(reader.id, item.barcode, "bmt", "thuthu", now=NOW)
    assert loan.due == datetime.date(2026, 12, 12)
    assert item.status == ItemStatus.ON_LOAN
    assert [s["item"].barcode for s in circ.reader_summary(reader.id, now=NOW)["loans"]] \
        == [item.barcode]
    result = circ.checkin(item.barcode, "bmt", "thuthu", now=days(3))
    assert result["loan"].id == loan.id and result["transit_to"] is None
    assert item.status == ItemStatus.AVAILABLE
    assert circ.loans(reader.id) == []
    kinds = [e.kind for e in dbsession.query(CirculationEvent).order_by(CirculationEvent.id)]
    assert kinds == ["checkout", "checkin"]


def test_item_cannot_be_lent_twice_and_unknown_barcode_is_refused(dbsession, circ,
                                                                  sql_backend):
    a, b = make_reader(dbsession), make_reader(dbsession, name="Trần Thị Bình")
    _record, (item,) = make_title(dbsession)
    circ.checkout(a.id, item.barcode, "bmt", "x", now=NOW)
    error = refused("item_on_loan", circ.checkout, b.id, item.barcode, "bmt", "x", now=NOW)
    assert not error.overridable
    refused("item_on_loan", circ.checkout, a.id, item.barcode, "bmt", "x", now=NOW)
    refused("item_unknown", circ.checkout, a.id, "NO-SUCH", "bmt", "x", now=NOW)
    refused("card_unknown", circ.checkout, 999999, item.barcode, "bmt", "x", now=NOW)


def test_database_refuses_a_second_active_loan_even_without_the_service(dbsession,
                                                                       sql_backend):
    from sqlalchemy.exc import IntegrityError
    reader = make_reader(dbsession)
    _record, (item,) = make_title(dbsession)
    dbsession.add(Loan(item_id=item.id, reader_id=reader.id, site="bmt", due=NOW.date()))
    dbsession.flush()
    dbsession.add(Loan(item_id=item.id, reader_id=reader.id, site="bmt", due=NOW.date()))
    with pytest.raises(IntegrityError):
        dbsession.flush()


def test_blocks_pending_blocked_expired_and_the_override(dbsession, circ, sql_backend):
    pending = make_reader(dbsession, status=ReaderStatus.PENDING, card_number=None)
    blocked = make_reader(dbsession, status=ReaderStatus.BLOCKED, block_reason="Mất sách")
    expired = make_reader(dbsession, expires=datetime.date(2026, 1, 1))
    _record, items = make_title(dbsession, copies=[("bmt", None)] * 3)
    refused("reader_pending", circ.checkout, pending.id, items[0].barcode, "bmt", "x", now=NOW)
    error = refused("reader_blocked", circ.checkout, blocked.id, items[0].barcode, "bmt", "x",
                    now=NOW)
    assert error.overridable and "Mất sách" in str(error.message.mapping["note"])
    refused("reader_expired", circ.checkout, expired.id, items[0].barcode, "bmt", "x", now=NOW)
    loan = circ.checkout(blocked.id, items[0].barcode, "bmt", "thuthu",
                         override="Giám đốc đồng ý", now=NOW)
    assert "reader_blocked" in loan.overridden and "Giám đốc đồng ý" in loan.overridden
    assert dbsession.query(CirculationEvent).filter_by(kind="override").count() == 1
    # a pending application cannot be overridden
    refused("reader_pending", circ.checkout, pending.id, items[1].barcode, "bmt", "x",
            override="please", now=NOW)


def test_loan_limit_by_category_and_site_policy(dbsession, circ, sql_backend):
    child = make_reader(dbsession, category="child")
    _record, items = make_title(dbsession, copies=[("bmt", None)] * 5)
    for item in items[:3]:
        circ.checkout(child.id, item.barcode, "bmt", "x", now=NOW)
    error = refused("loan_limit", circ.checkout, child.id, items[3].barcode, "bmt", "x", now=NOW)
    assert error.overridable
    dbsession.add(Policy(site="bmt", category="child", max_loans=4, loan_days=7))
    dbsession.flush()
    loan = circ.checkout(child.id, items[3].barcode, "bmt", "x", now=NOW)
    assert loan.due == datetime.date(2026, 12, 3)


def test_other_sites_items_are_not_lent_here_but_are_returned_here(dbsession, circ,
                                                                    sql_backend):
    reader = make_reader(dbsession)
    _record, (item,) = make_title(dbsession, copies=[("tuy-hoa", None)])
    refused("item_not_for_loan", circ.checkout, reader.id, item.barcode, "bmt", "x", now=NOW)
    circ.checkout(reader.id, item.barcode, "tuy-hoa", "x", now=NOW)
    result = circ.checkin(item.barcode, "bmt", "x", now=NOW)
    assert result["transit_to"] == "tuy-hoa" and item.status == ItemStatus.IN_TRANSIT
    assert circ.checkin(item.barcode, "tuy-hoa", "x", now=NOW)["loan"] is None
    assert item.status == ItemStatus.AVAILABLE


def test_renewal_limit_and_holds_stop_renewals(dbsession, circ, sql_backend):
    a, b = make_reader(dbsession), make_reader(dbsession)
    record, (item, _other) = make_title(dbsession, copies=[("bmt", None), ("bmt", None)])
    loan = circ.checkout(a.id, item.barcode, "bmt", "x", now=NOW)
    circ.renew(item.barcode, "x", reader_id=a.id, now=days(10))
    assert loan.due == datetime.date(2026, 12, 20) and loan.renewals == 1
    refused("not_on_loan", circ.renew, item.barcode, "x", reader_id=b.id, now=days(10))
    circ.renew(item.barcode, "x", now=days(11))
    refused("renewal_limit", circ.renew, item.barcode, "x", now=days(12))
    loan.renewals = 0
    circ.place_hold(b.id, "bmt", "b", bib_record_id=record.id, now=days(12))
    refused("renewal_hold", circ.renew, item.barcode, "x", now=days(12))
    results = circ.renew_all(a.id, "x", now=days(12))
    assert [(r.id, e.code) for r, e in results] == [(loan.id, "renewal_hold")]


def test_hold_queue_is_fifo_per_pickup_site_and_checkin_captures(dbsession, circ, sql_backend):
    a, b, c = (make_reader(dbsession) for _ in range(3))
    record, (item,) = make_title(dbsession)
    holder = make_reader(dbsession)
    circ.checkout(holder.id, item.barcode, "bmt", "x", now=NOW)
    h_th = circ.place_hold(a.id, "tuy-hoa", "a", bib_record_id=record.id, now=days(0.1))
    h_b = circ.place_hold(b.id, "bmt", "b", bib_record_id=record.id, now=days(0.2))
    h_c = circ.place_hold(c.id, "bmt", "c", bib_record_id=record.id, now=days(0.3))
    refused("hold_exists", circ.place_hold, b.id, "bmt", "b", bib_record_id=record.id)
    assert [h.position for h in circ.holds(c.id)] == [2]
    assert [h.position for h in circ.holds(a.id)] == [1]
    # returned at Buôn Ma Thuột: the first reader waiting there gets it
    result = circ.checkin(item.barcode, "bmt", "x", now=days(1))
    assert result["hold"].id == h_b.id and h_b.status == HoldStatus.READY
    assert item.status == ItemStatus.ON_HOLD_SHELF
    assert h_b.ready_until == datetime.date(2026, 11, 30)
    note = dbsession.query(Notification).filter_by(reader_id=b.id).one()
    assert note.kind == "hold_ready" and note.payload["pickup_site"] == "bmt"
    # scanning it again changes nothing; someone else cannot take it
    assert circ.checkin(item.barcode, "bmt", "x", now=days(1))["hold"].id == h_b.id
    refused("item_on_hold_for_other", circ.checkout, c.id, item.barcode, "bmt", "x", now=days(1))
    circ.checkout(b.id, item.barcode, "bmt", "x", now=days(2))
    assert h_b.status == HoldStatus.COLLECTED
    # next return: c (bmt) before a's hold at the other site
    result = circ.checkin(item.barcode, "bmt", "x", now=days(3))
    assert result["hold"].id == h_c.id
    circ.cancel_hold(h_c.id, "c", reader_id=c.id, now=days(3))
    # c's cancellation passes the copy to a, who picks up at Tuy Hòa: in transit
    assert h_th.status == HoldStatus.IN_TRANSIT and item.status == ItemStatus.IN_TRANSIT
    result = circ.checkin(item.barcode, "tuy-hoa", "y", now=days(4))
    assert result["hold"].id == h_th.id and h_th.status == HoldStatus.READY


def test_uncollected_hold_expires_and_the_next_reader_is_served(dbsession, circ, sql_backend):
    a, b = make_reader(dbsession), make_reader(dbsession)
    record, (item,) = make_title(dbsession)
    h_a = circ.place_hold(a.id, "bmt", "a", bib_record_id=record.id, now=NOW)
    h_b = circ.place_hold(b.id, "bmt", "b", bib_record_id=record.id, now=days(0.1))
    circ.checkin(item.barcode, "bmt", "x", now=NOW)      # pulled from the shelf for a
    assert h_a.status == HoldStatus.READY
    assert circ.expire(now=days(2))["holds_expired"] == 0
    counts = circ.expire(now=days(5))
    assert counts["holds_expired"] == 1
    assert h_a.status == HoldStatus.EXPIRED and h_b.status == HoldStatus.READY
    assert h_b.captured_item_id == item.id


def test_hold_limit_and_change_pickup(dbsession, circ, sql_backend):
    reader = make_reader(dbsession, category="child")
    records = [make_title(dbsession)[0] for _ in range(4)]
    holds = [circ.place_hold(reader.id, "bmt", "r", bib_record_id=r.id) for r in records[:3]]
    refused("hold_limit", circ.place_hold, reader.id, "bmt", "r", bib_record_id=records[3].id)
    circ.change_pickup(holds[0].id, "tuy-hoa", "r", reader_id=reader.id)
    assert holds[0].pickup_site == "tuy-hoa"
    other = make_reader(dbsession)
    refused("hold_unknown", circ.cancel_hold, holds[0].id, "o", reader_id=other.id)
    refused("site_closed", circ.place_hold, reader.id, "nowhere", "r",
            bib_record_id=records[3].id)


def test_fines_when_the_site_enables_them(dbsession, circ, sql_backend):
    reader = make_reader(dbsession)
    _record, (item, item2) = make_title(dbsession, copies=[("bmt", None), ("tuy-hoa", None)])
    dbsession.add(Policy(site="tuy-hoa", category="*", fine_per_day=2000))
    dbsession.flush()
    circ.checkout(reader.id, item.barcode, "bmt", "x", now=NOW)
    circ.checkout(reader.id, item2.barcode, "tuy-hoa", "x", now=NOW)
    summary = circ.reader_summary(reader.id, now=days(17))
    assert [l["overdue"] for l in summary["loans"]] == [True, True]
    assert "reader_blocked" in [code for code, _m in summary["blocks"]]
    assert circ.checkin(item.barcode, "bmt", "x", now=days(17))["fine"] == 0
    assert circ.checkin(item2.barcode, "tuy-hoa", "x", now=days(17))["fine"] == 6000
    assert circ.reader_summary(reader.id, now=days(17))["fines_total"] == 6000
    assert dbsession.query(Fine).count() == 1


def test_find_reader_by_card_id_number_or_qr_payload(dbsession, circ, sql_backend):
    reader = make_reader(dbsession, card_number="DL00001234", id_number="066123456789")
    assert circ.find_reader("DL00001234") is reader
    assert circ.find_reader(" dl00001234 ") is reader
    assert circ.find_reader("066123456789") is reader
    assert circ.find_reader("066123456789||Nguyễn Văn An|01011990|Nam|Buôn Ma Thuột|01012021") \
        is reader
    assert circ.find_reader("serepok:card:DL00001234") is reader
    assert circ.find_reader("garbage|||") is None and circ.find_reader("") is None


def test_a_crash_after_the_loan_insert_leaves_no_half_loan(app, portal, monkeypatch,
                                                           sql_backend):
    from ils.circulation.interfaces import ICirculation
    with portal() as p:
        reader = make_reader(p.request.dbsession)
        _r, (item,) = make_title(p.request.dbsession)
        reader_id, barcode = reader.id, item.barcode

    def crash(*args, **kw):
        raise RuntimeError("power cut")
    with pytest.raises(RuntimeError):
        with portal() as p:
            circ = p.request.find_service(ICirculation)
            monkeypatch.setattr(circ, "_log", crash)
            circ.checkout(reader_id, barcode, "bmt", "x", now=NOW)
    with portal() as p:
        db = p.request.dbsession
        assert db.query(Loan).count() == 0
        from ils.catalogue.models import Item
        assert db.query(Item).filter_by(barcode=barcode).one().status == ItemStatus.AVAILABLE
        # and the desk can lend it normally afterwards
        assert p.request.find_service(ICirculation).checkout(reader_id, barcode, "bmt", "x")


@pytest.fixture
def circ_tokens(dbsession):
    from repository.access import AccessTokens
    return CirculationService(dbsession, {}, AccessTokens("test-secret"))


def test_digital_copies_waitlist_return_and_expiry(dbsession, circ_tokens, sql_backend):
    from ils.circulation.models import DigitalLoan, DigitalWait
    circ = circ_tokens
    a, b, c = (make_reader(dbsession) for _ in range(3))
    circ.set_licence("f" * 32, 1, title="Sách nói mẫu", loan_days=7)
    loan = circ.borrow_digital(a.id, "f" * 32, "a", now=NOW)
    assert isinstance(loan, DigitalLoan) and loan.copy_no == 1
    assert circ.borrow_digital(a.id, "f" * 32, "a", now=NOW).id == loan.id   # no second copy
    wait_b = circ.borrow_digital(b.id, "f" * 32, "b", now=days(0.1))
    wait_c = circ.borrow_digital(c.id, "f" * 32, "c", now=days(0.2))
    assert isinstance(wait_b, DigitalWait) and (wait_b.position, wait_c.position) == (1, 2)
    circ.return_digital(loan.id, "a", reader_id=a.id, now=days(1))
    (served,) = [e for e in circ.digital_loans(b.id) if isinstance(e, DigitalLoan)]
    assert served.copy_no == 1
    assert dbsession.query(Notification).filter_by(reader_id=b.id).one().payload["digital"]
    refused("loan_unknown", circ.return_digital, served.id, "c", reader_id=c.id)
    # the loan ends by itself and c is served
    assert circ.expire(now=days(9))["digital_returned"] == 1
    assert [type(e).__name__ for e in circ.digital_loans(c.id)] == ["DigitalLoan"]
    refused("digital_unavailable", circ.borrow_digital, a.id, "0" * 32, "a", now=NOW)


def test_unlimited_licences_and_the_database_guard_on_copies(dbsession, circ_tokens,
                                                             sql_backend):
    from sqlalchemy.exc import IntegrityError

    from ils.circulation.models import DigitalLoan
    circ = circ_tokens
    readers = [make_reader(dbsession) for _ in range(3)]
    free = circ.set_licence("e" * 32, None, title="Tài liệu quý hiếm")
    assert all(isinstance(circ.borrow_digital(r.id, "e" * 32, "x", now=NOW), DigitalLoan)
               for r in readers)
    one = circ.set_licence("d" * 32, 1)
    circ.borrow_digital(readers[0].id, "d" * 32, "x", now=NOW)
    dbsession.add(DigitalLoan(licence_id=one.id, reader_id=readers[1].id, copy_no=1,
                              expires=days(3)))
    with pytest.raises(IntegrityError):
        dbsession.flush()
    assert free.copies is None


def test_access_tokens_last_an_hour_at_most_and_stop_with_the_loan(dbsession, circ_tokens,
                                                                   sql_backend):
    circ = circ_tokens
    reader, other = make_reader(dbsession), make_reader(dbsession)
    circ.set_licence("c" * 32, 2, loan_days=1)
    loan = circ.borrow_digital(reader.id, "c" * 32, "r", now=NOW)
    token = circ.access_token(loan.id, reader.id, now=NOW)
    claims = circ.tokens.verify(token, "c" * 32, now=NOW.timestamp())
    assert claims["r"] == reader.id and claims["x"] - NOW.timestamp() == 3600
    assert circ.tokens.verify(token, "c" * 32, now=NOW.timestamp() + 3601) is None
    assert circ.tokens.verify(token, "b" * 32, now=NOW.timestamp()) is None
    # near the end of the loan the token ends with it
    late = days(1) - datetime.timedelta(minutes=10)
    claims = circ.tokens.verify(circ.access_token(loan.id, reader.id, now=late), "c" * 32,
                                now=late.timestamp())
    assert claims["x"] == int(days(1).timestamp())
    refused("loan_unknown", circ.access_token, loan.id, other.id, now=NOW)
    circ.return_digital(loan.id, "r", now=days(0.5))
    refused("loan_unknown", circ.access_token, loan.id, reader.id, now=days(0.5))

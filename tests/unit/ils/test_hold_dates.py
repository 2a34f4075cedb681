"""Changing a waiting hold's "not needed after" day, on SQLite and PostgreSQL."""
import datetime

import pytest

from ils.circulation.interfaces import CirculationError
from ils.circulation.models import CirculationEvent, HoldStatus
from ils.circulation.service import CirculationService

from ...circulation_support import NOW, days, make_reader, make_title

TODAY = datetime.date(2026, 11, 26)          # NOW is 10:00 on this day in Buôn Ma Thuột


@pytest.fixture
def circ(dbsession):
    return CirculationService(dbsession, {})


def refused(code, reason, call, *args, **kw):
    with pytest.raises(CirculationError) as info:
        call(*args, **kw)
    assert (info.value.code, info.value.details["reason"]) == (code, reason)
    assert str(info.value.message)
    return info.value


def queue(dbsession, circ, record):
    """Three readers waiting for one title at Buôn Ma Thuột, in this order."""
    readers = [make_reader(dbsession) for _ in range(3)]
    holds = [circ.place_hold(r.id, "bmt", "r", bib_record_id=record.id, now=days(0.1 * i))
             for i, r in enumerate(readers)]
    return readers, holds


def test_a_reader_moves_the_date_and_keeps_their_place_in_the_queue(dbsession, circ,
                                                                   sql_backend):
    record, _items = make_title(dbsession)
    readers, holds = queue(dbsession, circ, record)
    placed = holds[1].placed_at
    hold = circ.change_not_needed_after(holds[1].id, TODAY + datetime.timedelta(days=40),
                                        "ban-doc", reader_id=readers[1].id, now=NOW)
    assert hold.not_needed_after == datetime.date(2027, 1, 5)
    assert hold.status == HoldStatus.WAITING and hold.placed_at == placed
    assert [h.position for h in circ.holds(readers[1].id)] == [2]
    assert circ.queue_position(holds[2]) == 3
    event = dbsession.query(CirculationEvent).filter_by(kind="hold_date").one()
    assert event.reader_id == readers[1].id and event.detail["hold_id"] == hold.id
    assert event.detail["before"] == (TODAY + datetime.timedelta(days=180)).isoformat()
    assert event.detail["after"] == "2027-01-05"
    # today itself is allowed, and so is exactly one year ahead
    circ.change_not_needed_after(hold.id, TODAY, "x", reader_id=readers[1].id, now=NOW)
    circ.change_not_needed_after(hold.id, TODAY + datetime.timedelta(days=365), "x", now=NOW)
    assert hold.not_needed_after == datetime.date(2027, 11, 26)


def test_the_new_date_decides_when_the_hold_lapses(dbsession, circ, sql_backend):
    record, (item,) = make_title(dbsession)
    holder = make_reader(dbsession)
    circ.checkout(holder.id, item.barcode, "bmt", "x", now=NOW)
    readers, holds = queue(dbsession, circ, record)
    circ.change_not_needed_after(holds[0].id, TODAY + datetime.timedelta(days=2), "a",
                                 reader_id=readers[0].id, now=NOW)
    assert circ.expire(now=days(3))["holds_lapsed"] == 1
    assert holds[0].status == HoldStatus.EXPIRED
    assert circ.queue_position(holds[1]) == 1


def test_bad_dates_are_refused_and_change_nothing(dbsession, circ, sql_backend):
    record, _items = make_title(dbsession)
    readers, holds = queue(dbsession, circ, record)
    hold, reader = holds[0], readers[0]
    before = hold.not_needed_after
    # "today" is the library's day: at 23:30 UTC on 25/11 it is already 26/11 in Vietnam
    late_evening = datetime.datetime(2026, 11, 25, 23, 30, tzinfo=datetime.timezone.utc)
    refused("hold_date", "hold_date_past", circ.change_not_needed_after, hold.id,
            datetime.date(2026, 11, 25), "r", reader_id=reader.id, now=late_evening)
    refused("hold_date", "hold_date_missing", circ.change_not_needed_after, hold.id, None, "r",
            reader_id=reader.id, now=NOW)
    refused("hold_date", "hold_date_missing", circ.change_not_needed_after, hold.id, "",
            "r", reader_id=reader.id, now=NOW)
    error = refused("hold_date", "hold_date_far", circ.change_not_needed_after, hold.id,
                    TODAY + datetime.timedelta(days=366), "r", reader_id=reader.id, now=NOW)
    assert error.details["date"] == "26/11/2027"
    assert hold.not_needed_after == before
    assert dbsession.query(CirculationEvent).filter_by(kind="hold_date").count() == 0


def test_only_the_readers_own_waiting_hold_can_be_changed(dbsession, circ, sql_backend):
    record, (item,) = make_title(dbsession)
    readers, holds = queue(dbsession, circ, record)
    later = TODAY + datetime.timedelta(days=30)
    # someone else's hold: as if it did not exist
    refused("hold_unknown", "hold_unknown", circ.change_not_needed_after, holds[1].id, later,
            "r", reader_id=readers[0].id, now=NOW)
    refused("hold_unknown", "hold_unknown", circ.change_not_needed_after, 999999, later, "r",
            now=NOW)
    refused("hold_unknown", "hold_unknown", circ.change_not_needed_after, "abc", later, "r",
            now=NOW)
    # the copy comes back and is set aside for the first reader: the date no longer applies
    circ.checkin(item.barcode, "bmt", "x", now=NOW)
    assert holds[0].status == HoldStatus.READY
    refused("hold_unknown", "hold_captured", circ.change_not_needed_after, holds[0].id, later,
            "r", reader_id=readers[0].id, now=NOW)
    # a cancelled hold changes no more
    circ.cancel_hold(holds[2].id, "r", reader_id=readers[2].id, now=NOW)
    refused("hold_unknown", "hold_unknown", circ.change_not_needed_after, holds[2].id, later,
            "r", reader_id=readers[2].id, now=NOW)
    # staff (no reader_id) may change any waiting hold
    circ.change_not_needed_after(holds[1].id, later, "thuthu", now=NOW)
    assert holds[1].not_needed_after == later

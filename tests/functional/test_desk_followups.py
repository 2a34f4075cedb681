"""Desk follow-ups: settling fines at the desk, anonymising old loan history (per role),
and a reader choosing when a hold is no longer needed."""
import datetime
import re

import pytest

from ..circulation_support import days
from ..conftest import csrf_token, sign_in
from .circulation_world import world  # noqa: F401  (fixture)
from .test_desk import desk_token, scan


def add_fines(portal, world, **policy):  # noqa: F811
    from ils.circulation.models import Fine, Policy
    with portal() as p:
        db = p.request.dbsession
        db.add(Policy(site="bmt", category="*", **policy))
        db.add_all([Fine(reader_id=world.ids["an"], site="bmt", amount=20000),
                    Fine(reader_id=world.ids["an"], site="tuy-hoa", amount=3000)])
        db.flush()
        return {f.site: f.id for f in db.query(Fine)}


def test_fines_block_borrowing_until_paid_or_waived_at_the_desk(testapp, world, portal):  # noqa: F811
    fines = add_fines(portal, world, fine_block_at=10000)
    sign_in(testapp, "thuthu.bmt")
    scan(testapp, "card", world.cards["an"])
    page = testapp.get("/bmt/desk")
    assert "Tiền phạt chưa nộp" in page.text and "20.000 đ" in page.text
    assert re.search(r'desk-block">[^<]*23.000 đ tiền phạt', page.text)  # it says why
    assert "Nộp tại" in page.text                                # tuy-hoa's fine: not here
    page = scan(testapp, "item", "BMT0001", status=409)
    assert 'id="desk-reason"' in page.text                       # staff may override
    # a waiver needs a reason; another site's fine is not settled here
    page = scan(testapp, "fine", "", status=409, fine=fines["bmt"], how="waived", reason="")
    assert "Hãy ghi lý do miễn khoản phạt" in page.text
    page = scan(testapp, "fine", "", status=409, fine=fines["tuy-hoa"], how="paid")
    assert "không tồn tại hoặc đã được xử lý" in page.text
    scan(testapp, "fine", "", fine=fines["bmt"], how="waived", reason="Sách hỏng do mưa bão")
    page = testapp.get("/bmt/desk")
    assert "Đã miễn khoản phạt 20.000 đ: Sách hỏng do mưa bão" in page.text
    assert not re.search(r'desk-block">[^<]*tiền phạt', page.text)  # 3.000 đ < 10.000 đ
    scan(testapp, "item", "BMT0001")
    from ils.circulation.models import CirculationEvent, Fine
    with portal() as p:
        fine = p.request.dbsession.get(Fine, fines["bmt"])
        assert fine.settled_how == "waived" and fine.settled_by == "thuthu.bmt"
        assert fine.settled_reason == "Sách hỏng do mưa bão"
        event = p.request.dbsession.query(CirculationEvent).filter_by(kind="fine_waived").one()
        assert event.detail["amount"] == 20000 and event.actor == "thuthu.bmt"
        assert p.request.dbsession.get(Fine, fines["tuy-hoa"]).paid_at is None


def test_a_paid_fine_is_recorded_and_cannot_be_paid_twice(testapp, world, portal):  # noqa: F811
    fines = add_fines(portal, world)
    sign_in(testapp, "thuthu.bmt")
    scan(testapp, "card", world.cards["an"])
    scan(testapp, "fine", "", fine=fines["bmt"], how="paid")
    assert "Đã thu khoản phạt 20.000 đ." in testapp.get("/bmt/desk").text
    scan(testapp, "fine", "", status=409, fine=fines["bmt"], how="paid")


def old_history(portal, world):  # noqa: F811
    """Two readers' loans returned 400 days ago at bmt; one reader keeps their history."""
    from ils.circulation.service import CirculationService
    from ils.readers.models import Reader
    with portal() as p:
        db = p.request.dbsession
        db.get(Reader, world.ids["binh"]).keep_history = True
        circ = CirculationService(db, {})
        for who, barcode in (("an", "BMT0001"), ("binh", "BMT0002")):
            circ.checkout(world.ids[who], barcode, "bmt", "t", now=days(-420))
            circ.checkin(barcode, "bmt", "t", now=days(-400))
        circ.checkout(world.ids["an"], "BMT0001", "bmt", "t")      # recent, kept


@pytest.mark.parametrize("who, status", [
    ("siteadmin-bmt", 303), ("manager", 303), ("librarian-bmt", 403),
    ("librarian-tuy-hoa", 403), ("reader", 403)])
def test_only_site_admins_and_managers_anonymise_history(testapp, world, portal,  # noqa: F811
                                                         who, status):
    old_history(portal, world)
    login = {"librarian-bmt": "thuthu.bmt", "siteadmin-bmt": "quantri.bmt",
             "manager": "quantri", "librarian-tuy-hoa": "thuthu.tuyhoa",
             "reader": "bandoc"}[who]
    sign_in(testapp, login)
    token = csrf_token(testapp, "/account" if who == "reader" else
                       ("/tuy-hoa/desk" if who == "librarian-tuy-hoa" else "/bmt/desk"))
    testapp.post("/bmt/desk-settings", {"csrf_token": token, "action": "anonymise",
                                        "days": "365"}, status=status)
    from ils.circulation.models import Loan
    with portal() as p:
        anonymous = p.request.dbsession.query(Loan).filter(Loan.reader_id.is_(None)).count()
        assert p.request.dbsession.query(Loan).count() == 3
    assert anonymous == (1 if status == 303 else 0)


def test_anonymising_shows_counts_and_statistics_survive(testapp, world, portal):  # noqa: F811
    old_history(portal, world)
    sign_in(testapp, "quantri.bmt")
    page = testapp.get("/bmt/desk-settings")
    assert "Cũ hơn 365 ngày và bạn đọc không chọn lưu: 1 lượt mượn" in page.text
    table = re.findall(r"<tr><td>(\d\d/\d{4})</td><td>(\d+)</td></tr>", page.text)
    assert sum(int(n) for _m, n in table) == 3
    # bad input: refused with a message, nothing changed
    form = {"csrf_token": desk_token(page), "action": "anonymise", "days": "7"}
    page = testapp.post("/bmt/desk-settings", form, status=400)
    assert "Phải là số nguyên từ 30 đến 3650" in page.text
    testapp.post("/bmt/desk-settings", {"csrf_token": "wrong", "action": "anonymise",
                                        "days": "365"}, status=400)
    form["days"] = "365"
    page = testapp.post("/bmt/desk-settings", form, status=303).follow()
    assert "Đã ẩn danh: 1 lượt mượn" in page.text
    assert "Số lượt mượn thống kê: trước 3, sau 3." in page.text
    assert re.findall(r"<tr><td>(\d\d/\d{4})</td><td>(\d+)</td></tr>", page.text) == table
    assert "Cũ hơn 365 ngày và bạn đọc không chọn lưu: 0 lượt mượn" in page.text
    from ils.readers.models import AuditEntry
    with portal() as p:
        entry = p.request.dbsession.query(AuditEntry).filter_by(
            action="anonymise_history").one()
        assert entry.actor == "quantri.bmt" and entry.detail["counts"]["loans"] == 1


def test_reader_chooses_when_a_hold_is_no_longer_needed(testapp, world, portal):  # noqa: F811
    sign_in(testapp, "bandoc")
    token = csrf_token(testapp, "/account")
    until = datetime.date.today() + datetime.timedelta(days=20)
    testapp.post("/account/holds/place", {"csrf_token": token, "bib_record_id": world.record_id,
                                          "pickup_site": "bmt", "not_needed_after": "hôm qua"},
                 status=303)
    from ils.circulation.models import Hold
    with portal() as p:
        assert p.request.dbsession.query(Hold).count() == 0      # bad date: nothing placed
    testapp.post("/account/holds/place", {"csrf_token": token, "bib_record_id": world.record_id,
                                          "pickup_site": "bmt",
                                          "not_needed_after": until.isoformat()}, status=303)
    page = testapp.get("/account/holds")
    assert "không cần sau ngày " + until.strftime("%d/%m/%Y") in page.text
    with portal() as p:
        assert p.request.dbsession.query(Hold).one().not_needed_after == until


def test_api_hold_with_a_not_needed_after_date(testapp, world):  # noqa: F811
    from .api_support import call
    h = lambda w, key: w.people.headers(key)  # noqa: E731
    bad = call(testapp, "POST", "/api/v1/holds", {"record_id": world.record_id,
                                                  "pickup_site": "bmt",
                                                  "not_needed_after": "31/12/2026"},
               headers=h(world, "reader"), status=400).json
    assert "not_needed_after" in str(bad["error"])
    past = call(testapp, "POST", "/api/v1/holds", {"record_id": world.record_id,
                                                   "pickup_site": "bmt",
                                                   "not_needed_after": "2020-01-01"},
                headers=h(world, "reader"), status=409).json
    assert past["error"]["code"] == "hold_date"
    until = (datetime.date.today() + datetime.timedelta(days=9)).isoformat()
    hold = call(testapp, "POST", "/api/v1/holds", {"record_id": world.record_id,
                                                   "pickup_site": "bmt",
                                                   "not_needed_after": until},
                headers=h(world, "reader"), status=201).json
    assert hold["not_needed_after"] == until

"""The circulation desk: who may use it, and a librarian's keyboard-only round trip."""
import re

import pytest

from ..conftest import sign_in
from .circulation_world import world  # noqa: F401  (fixture)


def desk_token(page):
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, "the desk has no CSRF token"
    return match.group(1)


def scan(testapp, action, value, status=303, site="bmt", **extra):
    page = testapp.get(f"/{site}/desk")
    data = {"csrf_token": desk_token(page), "action": action, **extra}
    data["card" if action == "card" else "barcode"] = value
    return testapp.post(f"/{site}/desk", data, status=status)


@pytest.mark.parametrize("who, status", [
    ("librarian-bmt", 200), ("siteadmin-bmt", 200), ("manager", 200),
    ("librarian-tuy-hoa", 403), ("reader", 403)])
def test_only_staff_of_the_site_open_its_desk(testapp, world, who, status):  # noqa: F811
    login = {"librarian-bmt": "thuthu.bmt", "siteadmin-bmt": "quantri.bmt",
             "manager": "quantri", "librarian-tuy-hoa": "thuthu.tuyhoa",
             "reader": "bandoc"}[who]
    sign_in(testapp, login)
    testapp.get("/bmt/desk", status=status)


def test_anonymous_is_sent_away_and_tuy_hoa_librarian_uses_own_desk(testapp, world):  # noqa: F811
    response = testapp.get("/bmt/desk", status="*")
    assert response.status_int in (302, 303, 401, 403)
    assert "desk-card" not in response.text
    sign_in(testapp, "thuthu.tuyhoa")
    assert 'id="desk-card"' in testapp.get("/tuy-hoa/desk").text


def test_desk_round_trip_card_checkout_override_renew_checkin(testapp, world, portal):  # noqa: F811
    sign_in(testapp, "thuthu.bmt")
    page = testapp.get("/bmt/desk")
    assert 'id="desk-card"' in page.text and "autofocus" in page.text
    scan(testapp, "card", world.cards["an"])
    page = testapp.get("/bmt/desk")
    assert "Nguyễn Văn An" in page.text and 'id="desk-item"' in page.text
    scan(testapp, "item", "BMT0001")
    page = testapp.get("/bmt/desk")
    assert "Đã cho mượn: Truyện Kiều" in page.text and "BMT0001" in page.text
    # the other site's copy is refused with a clear message and nothing is saved
    page = scan(testapp, "item", "TH0001", status=409)
    assert "không cho mượn tại quầy này" in page.text
    page = scan(testapp, "item", "NOPE-1", status=409)
    assert "Không có tài liệu nào mang mã vạch NOPE-1" in page.text
    # renew mode: the loan gets renewed
    scan(testapp, "mode", "", mode="renew")
    scan(testapp, "item", "BMT0001")
    assert "Đã gia hạn: Truyện Kiều" in testapp.get("/bmt/desk").text
    scan(testapp, "checkin", "BMT0001")
    assert "Đã trả: Truyện Kiều" in testapp.get("/bmt/desk").text
    from ils.circulation.models import CirculationEvent
    from ils.readers.models import AuditEntry
    with portal() as p:
        kinds = [e.kind for e in p.request.dbsession.query(CirculationEvent)
                 .order_by(CirculationEvent.id)]
        assert kinds == ["checkout", "renew", "checkin"]
        audit = p.request.dbsession.query(AuditEntry).one()
        assert (audit.actor, audit.action, audit.reader_id) == ("thuthu.bmt", "view",
                                                                 world.ids["an"])


def test_blocked_reader_needs_an_override_with_a_reason(testapp, world, portal):  # noqa: F811
    sign_in(testapp, "thuthu.bmt")
    scan(testapp, "card", world.cards["blocked"])
    page = testapp.get("/bmt/desk")
    assert "Thẻ đang bị khóa: Chưa trả sách cũ" in page.text
    page = scan(testapp, "item", "BMT0002", status=409)
    assert 'id="desk-reason"' in page.text and 'name="action" value="override"' in page.text
    scan(testapp, "override", "BMT0002", reason="")
    assert "Hãy ghi lý do" in testapp.get("/bmt/desk").text
    scan(testapp, "override", "BMT0002", reason="Giám đốc cho phép")
    from ils.circulation.models import Loan
    with portal() as p:
        loan = p.request.dbsession.query(Loan).one()
        assert "Giám đốc cho phép" in loan.overridden and loan.actor == "thuthu.bmt"


def test_every_desk_form_needs_the_csrf_token(testapp, world):  # noqa: F811
    sign_in(testapp, "thuthu.bmt")
    testapp.get("/bmt/desk")
    testapp.post("/bmt/desk", {"action": "card", "card": world.cards["an"]}, status=400)


def test_desk_speaks_english_too(testapp, world):  # noqa: F811
    sign_in(testapp, "thuthu.bmt")
    testapp.get("/lang/en", status="*")
    testapp.set_cookie("serepok_lang", "en")
    scan(testapp, "card", "000000000000", status=409)
    page = testapp.get("/bmt/desk")
    assert "No reader has this card number or ID number." in page.text
    assert "Circulation desk" in page.text


def test_a_librarian_renews_only_loans_of_their_own_site(testapp, world, portal):  # noqa: F811
    from ils.circulation.interfaces import ICirculation
    with portal() as p:
        circ = p.request.find_service(ICirculation)
        circ.checkout(world.ids["an"], "TH0001", "tuy-hoa", "t")
        circ.checkout(world.ids["an"], "BMT0001", "bmt", "t")
    sign_in(testapp, "thuthu.bmt")
    scan(testapp, "card", world.cards["an"])
    page = scan(testapp, "renew", "TH0001", status=409)
    assert "Lượt mượn này làm tại" in page.text
    scan(testapp, "renew_all", "")
    from ils.circulation.models import Loan
    with portal() as p:
        renewals = {l.site: l.renewals for l in p.request.dbsession.query(Loan)}
        assert renewals == {"tuy-hoa": 0, "bmt": 1}
    # returning it here is fine: it goes back to Tuy Hòa
    scan(testapp, "checkin", "TH0001")
    assert "Chuyển về" in testapp.get("/bmt/desk").text


def settings_form(page):
    return {"csrf_token": desk_token(page), "action": "policies",
            **{m[0]: m[1] for m in re.findall(r'<input name="(\w+\.\w+)" value="([^"]*)"',
                                              page.text)}}


def test_site_admin_sets_rules_and_closed_days_and_loans_follow(testapp, world, portal):  # noqa: F811
    sign_in(testapp, "thuthu.bmt")
    testapp.get("/bmt/desk-settings", status=403)          # librarians lend; admins set rules
    testapp.get("/logout", status="*")
    testapp.reset()
    sign_in(testapp, "quantri.bmt")
    page = testapp.get("/bmt/desk-settings")
    form = settings_form(page)
    assert form["adult.loan_days"] == "14" and form["child.max_loans"] == "3"
    form["adult.loan_days"], form["adult.max_loans"] = "7", "abc"
    page = testapp.post("/bmt/desk-settings", form, status=400)
    assert "Phải là số nguyên" in page.text or 'aria-invalid="true"' in page.text
    form["adult.max_loans"] = "9"
    testapp.post("/bmt/desk-settings", form, status=303)
    import datetime
    from ils.circulation.rules import local_today
    today = local_today(datetime.datetime.now(datetime.timezone.utc))
    due = today + datetime.timedelta(days=7)
    page = testapp.get("/bmt/desk-settings")
    testapp.post("/bmt/desk-settings", {"csrf_token": desk_token(page), "action": "close",
                                        "day": due.isoformat(), "reason": "Kiểm kê"},
                 status=303)
    page = testapp.get("/bmt/desk-settings")
    assert "Kiểm kê" in page.text
    testapp.post("/bmt/desk-settings", {"csrf_token": desk_token(page), "action": "close",
                                        "day": "31/12/2026"}, status=400)
    from ils.circulation.interfaces import ICirculation
    with portal() as p:
        loan = p.request.find_service(ICirculation).checkout(world.ids["an"], "BMT0001", "bmt",
                                                             "t")
        assert loan.due == due + datetime.timedelta(days=1)
    # Tuy Hòa's administrator cannot touch Buôn Ma Thuột's rules
    testapp.reset()
    sign_in(testapp, "thuthu.tuyhoa")
    testapp.get("/bmt/desk-settings", status=403)

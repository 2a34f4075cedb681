"""Moving a waiting hold's "not needed after" day: the reader's account and the desk, per role."""
import datetime
import re

import pytest

from ..conftest import csrf_token, sign_in
from .circulation_world import world  # noqa: F401  (fixture)
from .test_desk import desk_token, scan


def today():
    from ils.circulation.hold_dates import allowed_range
    return allowed_range()[0]


def text_of(page):
    return " ".join(page.html.get_text(" ").split())


def place(portal, world, *who, pickup="bmt"):  # noqa: F811
    """Holds on Truyện Kiều for each reader in ``who``, in that order: {key: hold id}."""
    from ils.circulation.service import CirculationService
    ids = {}
    with portal() as p:
        circ = CirculationService(p.request.dbsession)
        for key in who:
            ids[key] = circ.place_hold(world.ids[key], pickup, key,
                                       bib_record_id=world.record_id).id
    return ids


def hold_row(portal, hold_id):
    from ils.circulation.models import Hold
    from ils.circulation.service import CirculationService
    with portal() as p:
        hold = p.request.dbsession.get(Hold, hold_id)
        position = (CirculationService(p.request.dbsession).queue_position(hold)
                    if hold.status.value == "waiting" else None)
        return hold.status.value, hold.not_needed_after, position


def post_date(testapp, hold_id, value, token=None, status=303):
    token = token or csrf_token(testapp, "/account/holds")
    return testapp.post(f"/account/holds/{hold_id}/not-needed-after",
                        {"csrf_token": token, "not_needed_after": value,
                         "next": "/account/holds"}, status=status)


def test_the_reader_moves_the_date_of_their_own_hold_and_keeps_their_place(
        testapp, world, portal):  # noqa: F811
    holds = place(portal, world, "binh", "an")
    sign_in(testapp, "bandoc")
    page = testapp.get("/account/holds")
    form = page.html.find("form", action=re.compile(rf"/account/holds/{holds['an']}/not-needed"))
    assert form is not None and form.find("input", type="date")["min"] == today().isoformat()
    # Bình's hold is not on An's page at all
    assert f"/account/holds/{holds['binh']}/not-needed" not in page.text
    new = today() + datetime.timedelta(days=45)
    page = post_date(testapp, holds["an"], new.isoformat()).follow()
    assert f"không cần sau ngày {new.strftime('%d/%m/%Y')}" in text_of(page)
    assert "thứ tự của bạn trong hàng đợi được giữ nguyên" in text_of(page)
    assert "Đang chờ: thứ 2 trong hàng đợi" in text_of(page)
    assert hold_row(portal, holds["an"]) == ("waiting", new, 2)
    from ils.circulation.models import CirculationEvent
    with portal() as p:
        event = p.request.dbsession.query(CirculationEvent).filter_by(kind="hold_date").one()
        assert event.actor == "bandoc" and event.detail["after"] == new.isoformat()


def test_another_readers_hold_is_refused_and_unchanged(testapp, world, portal):  # noqa: F811
    holds = place(portal, world, "binh")
    before = hold_row(portal, holds["binh"])
    sign_in(testapp, "bandoc")
    page = post_date(testapp, holds["binh"], (today() + datetime.timedelta(days=9)).isoformat())
    assert "không tồn tại hoặc không còn thay đổi được" in text_of(page.follow())
    assert hold_row(portal, holds["binh"]) == before


@pytest.mark.parametrize("value, message", [
    (lambda: (today() - datetime.timedelta(days=1)).isoformat(),
     "Ngày hết cần giữ chỗ phải là hôm nay hoặc muộn hơn."),
    (lambda: (today() + datetime.timedelta(days=400)).isoformat(),
     "chỉ được muộn nhất là một năm kể từ hôm nay"),
    (lambda: "", "Hãy nhập ngày mà sau đó bạn không cần tài liệu đã đặt mượn nữa."),
    (lambda: "31/12/2026", "Hãy nhập ngày, ví dụ 2026-12-31."),
])
def test_a_bad_date_is_refused_in_vietnamese_and_changes_nothing(testapp, world, portal,
                                                                  value, message):  # noqa: F811
    holds = place(portal, world, "an")
    before = hold_row(portal, holds["an"])
    sign_in(testapp, "bandoc")
    page = post_date(testapp, holds["an"], value()).follow()
    assert message in text_of(page)
    assert hold_row(portal, holds["an"]) == before


def test_a_captured_hold_keeps_its_date_and_shows_no_form(testapp, world, portal):  # noqa: F811
    holds = place(portal, world, "an")
    from ils.circulation.service import CirculationService
    with portal() as p:
        CirculationService(p.request.dbsession).checkin("BMT0001", "bmt", "thuthu.bmt")
    status, before, _position = hold_row(portal, holds["an"])
    assert status == "ready"
    sign_in(testapp, "bandoc")
    page = testapp.get("/account/holds")
    assert f"/account/holds/{holds['an']}/not-needed" not in page.text
    token = csrf_token(testapp, "/account/loans")
    page = post_date(testapp, holds["an"], (today() + datetime.timedelta(days=9)).isoformat(),
                     token=token).follow()
    assert "Đã có bản sách được giữ riêng cho lượt đặt mượn này" in text_of(page)
    assert hold_row(portal, holds["an"])[:2] == ("ready", before)


def test_the_form_needs_a_signed_in_reader_and_the_csrf_token(testapp, world, portal):  # noqa: F811
    holds = place(portal, world, "an")
    before = hold_row(portal, holds["an"])
    later = (today() + datetime.timedelta(days=9)).isoformat()
    page = testapp.post(f"/account/holds/{holds['an']}/not-needed-after",
                        {"not_needed_after": later}, status=(303, 400, 403))
    sign_in(testapp, "bandoc")
    testapp.post(f"/account/holds/{holds['an']}/not-needed-after",
                 {"not_needed_after": later}, status=(400, 403))
    assert hold_row(portal, holds["an"]) == before
    assert page.status_int != 303 or "login" in page.location


# --- the desk ---------------------------------------------------------------------------------
def desk_date(testapp, hold_id, value, status=303, site="bmt"):
    page = testapp.get(f"/{site}/desk")
    return testapp.post(f"/{site}/desk", {"csrf_token": desk_token(page), "action": "hold_date",
                                          "hold": hold_id, "not_needed_after": value},
                        status=status)


@pytest.mark.parametrize("who", ["librarian-bmt", "siteadmin-bmt", "manager"])
def test_staff_of_the_pickup_site_move_the_date_at_the_desk(testapp, world, portal, who):  # noqa: F811
    from .circulation_world import STAFF
    holds = place(portal, world, "binh", "an")
    sign_in(testapp, STAFF[who][0])
    scan(testapp, "card", world.cards["an"])
    page = testapp.get("/bmt/desk")
    assert 'name="action" value="hold_date"' in page.text
    new = today() + datetime.timedelta(days=20)
    desk_date(testapp, holds["an"], new.isoformat())
    assert f"Truyện Kiều: không cần sau ngày {new.strftime('%d/%m/%Y')}" in \
        testapp.get("/bmt/desk").text
    assert hold_row(portal, holds["an"]) == ("waiting", new, 2)
    # only the reader scanned at the desk: Bình's hold is refused
    page = desk_date(testapp, holds["binh"], new.isoformat(), status=409)
    assert "không tồn tại hoặc không còn thay đổi được" in page.text
    page = desk_date(testapp, holds["an"], (today() - datetime.timedelta(days=1)).isoformat(),
                     status=409)
    assert "Ngày hết cần giữ chỗ phải là hôm nay hoặc muộn hơn." in page.text
    assert hold_row(portal, holds["an"])[1] == new


def test_the_other_sites_librarian_cannot_change_the_hold(testapp, world, portal):  # noqa: F811
    holds = place(portal, world, "an")                 # collected at Buôn Ma Thuột
    before = hold_row(portal, holds["an"])
    sign_in(testapp, "thuthu.tuyhoa")
    scan(testapp, "card", world.cards["an"], site="tuy-hoa")
    page = testapp.get("/tuy-hoa/desk")
    assert 'name="action" value="hold_date"' not in page.text
    page = desk_date(testapp, holds["an"], (today() + datetime.timedelta(days=9)).isoformat(),
                     status=409, site="tuy-hoa")
    assert "ngày được đổi ở đó hoặc do bạn đọc tự đổi" in page.text
    assert hold_row(portal, holds["an"]) == before


@pytest.mark.parametrize("who", ["reader", "librarian-tuy-hoa"])
def test_readers_and_other_staff_cannot_post_to_the_desk(testapp, world, portal, who):  # noqa: F811
    from .circulation_world import STAFF
    holds = place(portal, world, "an")
    before = hold_row(portal, holds["an"])
    sign_in(testapp, STAFF[who][0])
    token = csrf_token(testapp, "/account/holds" if who == "reader" else "/")
    testapp.post("/bmt/desk", {"csrf_token": token, "action": "hold_date", "hold": holds["an"],
                               "not_needed_after": today().isoformat()}, status=403)
    assert hold_row(portal, holds["an"]) == before


def test_without_a_card_scanned_the_desk_asks_for_one_first(testapp, world, portal):  # noqa: F811
    holds = place(portal, world, "an")
    before = hold_row(portal, holds["an"])
    sign_in(testapp, "thuthu.bmt")
    for action, extra in (("hold_date", {"hold": holds["an"], "not_needed_after":
                                         (today() + datetime.timedelta(days=9)).isoformat()}),
                          ("fine", {"fine": "1", "how": "paid"})):
        page = testapp.get("/bmt/desk")
        answer = testapp.post("/bmt/desk", {"csrf_token": desk_token(page), "action": action,
                                            **extra}, status=(200, 303))
        if answer.status_int == 303:
            answer = answer.follow()
        assert "Hãy quét thẻ bạn đọc trước." in answer.text
    assert hold_row(portal, holds["an"]) == before

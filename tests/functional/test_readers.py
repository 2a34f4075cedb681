"""Readers on the portal: online registration, the desk's verification, the reader's own
account and e-card, personal data, the readers API — per role."""
import json

import pytest
from sqlalchemy import select

from ils.accounts.models import User
from ils.readers.models import AuditEntry, Consent, Reader, ReaderStatus
from ils.readers.services import valid_card_number
from tests.conftest import PASSWORD, csrf_token, sign_in

QR = "066090001234|241234567|Nguyễn Văn An|15031990|Nam|Thôn 3, xã Cư Êbur, Đắk Lắk|10082021"
APPLICATION = {"full_name": "Nguyễn Văn An", "id_number": "066090001234",
               "birth_date": "1990-03-15", "sex": "Nam", "address": "Thôn 3",
               "email": "an@example.org", "home_site": "bmt", "category": "adult",
               "language": "vi", "login": "nguyenvanan", "password": "mat-khau-dai-du-1",
               "confirm": "mat-khau-dai-du-1", "accept_rules": "1", "accept_personal_data": "1"}


@pytest.fixture
def settings(settings):
    settings["ratelimit.register"] = "6/hour"
    return settings


@pytest.fixture
def demo(app, portal):
    """The two sites of the library, without the demo content (only the sites matter)."""
    from portal.demo import SITES
    from repository.resources import Site
    with portal() as p:
        for name, fields in SITES:
            site = Site(**fields)
            site.state = "published"
            p.root.add(name, site)
    return app


def text_of(page):
    return " ".join(page.html.get_text(" ").split())


def apply(testapp, status=303, **changes):
    data = dict(APPLICATION, csrf_token=csrf_token(testapp, "/register"))
    data.update(changes)
    return testapp.post("/register", data, status=status)


def readers(portal):
    with portal() as p:
        return [(r.id, r.full_name, r.status, r.user_id) for r in
                p.request.dbsession.scalars(select(Reader))]


def test_register_fills_from_qr_without_javascript(testapp, demo):
    page = testapp.post("/register", {"csrf_token": csrf_token(testapp, "/register"),
                                      "action": "fill", "cccd_qr": QR})
    form = page.forms["register-form"]
    assert form["full_name"].value == "Nguyễn Văn An"
    assert form["id_number"].value == "066090001234"
    assert form["birth_date"].value == "1990-03-15"
    assert form["sex"].value == "Nam" and form["address"].value.startswith("Thôn 3")


def test_a_malformed_qr_is_refused_in_vietnamese_and_nothing_is_stored(testapp, demo, portal):
    page = testapp.post("/register", {"csrf_token": csrf_token(testapp, "/register"),
                                      "action": "fill", "cccd_qr": "https://example.com/x"},
                        status=400)
    assert "không phải mã QR của căn cước công dân" in text_of(page)
    assert readers(portal) == []


def test_registration_creates_a_pending_reader_who_can_sign_in(testapp, demo, portal):
    done = apply(testapp).follow()
    assert "Các bước tiếp theo" in text_of(done)
    [(reader_id, name, status, user_id)] = readers(portal)
    assert (name, status) == ("Nguyễn Văn An", ReaderStatus.PENDING)
    with portal() as p:
        db = p.request.dbsession
        assert db.get(User, user_id).role_set == {"Reader"}
        kinds = {(c.kind, c.text_version) for c in db.scalars(select(Consent))}
        assert kinds == {("rules", "2026-11"), ("personal_data", "2026-11")}
    account = testapp.get("/account")
    assert "Chờ xác minh" in text_of(account)


@pytest.mark.parametrize("changes, message", [
    ({"birth_date": "2090-01-01"}, "không hợp lý"),
    ({"id_number": "12345"}, "12 chữ số"),
    ({"accept_personal_data": ""}, "Vui lòng đồng ý"),
    ({"confirm": "khac-mat-khau-1"}, "không giống nhau"),
])
def test_bad_applications_say_why_and_store_nothing(testapp, demo, portal, changes, message):
    page = apply(testapp, status=400, **changes)
    assert message in text_of(page)
    assert readers(portal) == []
    with portal() as p:
        assert p.request.dbsession.scalar(select(User).where(User.login == "nguyenvanan")) is None


def test_one_person_one_card(testapp, demo, portal):
    apply(testapp)
    testapp.post("/logout", {"csrf_token": csrf_token(testapp, "/")})
    page = apply(testapp, status=400, login="nguoikhac")
    assert "Mỗi người một thẻ" in text_of(page)
    assert len(readers(portal)) == 1
    with portal() as p:
        assert p.request.dbsession.scalar(select(User).where(User.login == "nguoikhac")) is None


def test_registration_needs_csrf_and_is_rate_limited(testapp, demo):
    testapp.post("/register", dict(APPLICATION), status=400)
    for i in range(6):
        apply(testapp, status=400, id_number="1")
    apply(testapp, status=429)


def test_the_desk_verifies_issues_and_every_view_is_audited(testapp, demo, portal, make_user):
    apply(testapp)
    testapp.post("/logout", {"csrf_token": csrf_token(testapp, "/")})
    make_user("thuthu", site_roles=[("bmt", "Librarian")])
    sign_in(testapp, "thuthu")
    listing = testapp.get("/staff/readers")
    assert "Nguyễn Văn An" in text_of(listing)
    [(reader_id, *_rest)] = readers(portal)
    record = testapp.get(f"/staff/readers/{reader_id}")
    assert "066090001234" in text_of(record)
    token = csrf_token(testapp, f"/staff/readers/{reader_id}")
    testapp.post(f"/staff/readers/{reader_id}/issue", {"csrf_token": token}, status=303)
    testapp.post(f"/staff/readers/{reader_id}/block", {"csrf_token": token, "reason": ""},
                 status=303)
    with portal() as p:
        reader = p.request.dbsession.get(Reader, reader_id)
        assert reader.status == ReaderStatus.ACTIVE and valid_card_number(reader.card_number)
        actions = [a.action for a in p.request.dbsession.scalars(
            select(AuditEntry).where(AuditEntry.reader_id == reader_id).order_by(AuditEntry.id))]
    assert actions.count("view") >= 2 and "issue" in actions and "block" not in actions
    assert "Hãy ghi lý do khóa thẻ" in text_of(testapp.get(f"/staff/readers/{reader_id}"))


def test_staff_of_the_other_site_may_look_but_not_issue(testapp, demo, portal, make_user):
    apply(testapp)
    testapp.post("/logout", {"csrf_token": csrf_token(testapp, "/")})
    [(reader_id, *_rest)] = readers(portal)
    make_user("thuthu-th", site_roles=[("tuy-hoa", "Librarian")])
    sign_in(testapp, "thuthu-th")
    assert "Nguyễn Văn An" not in text_of(testapp.get("/staff/readers"))   # not their queue
    testapp.get(f"/staff/readers/{reader_id}")
    token = csrf_token(testapp, f"/staff/readers/{reader_id}")
    testapp.post(f"/staff/readers/{reader_id}/issue", {"csrf_token": token}, status=403)
    assert readers(portal)[0][2] == ReaderStatus.PENDING


@pytest.mark.parametrize("roles", [(), ("Reader",)])
def test_readers_and_visitors_never_reach_staff_screens(testapp, demo, portal, make_user,
                                                        roles):
    apply(testapp)
    [(reader_id, *_rest)] = readers(portal)
    testapp.post("/logout", {"csrf_token": csrf_token(testapp, "/")})
    if roles:
        make_user("khac", roles=roles)
        sign_in(testapp, "khac")
    for url in ("/staff/readers", f"/staff/readers/{reader_id}",
                f"/staff/readers/{reader_id}/card"):
        answer = testapp.get(url, expect_errors=True)
        if roles:
            assert answer.status_int == 403
        else:                                   # visitors are sent to sign in
            assert answer.status_int == 303 and "/login" in answer.location
    if roles:
        assert testapp.get("/api/v1/readers?q=an", expect_errors=True).status_int == 403
        # a reader without a card of their own sees no one else's
        assert testapp.get("/api/v1/me/reader", expect_errors=True).status_int == 404
    with portal() as p:
        assert p.request.dbsession.scalar(select(AuditEntry).where(
            AuditEntry.action == "view")) is None


def issue(portal, reader_id):
    from ils.readers.services import ReaderService
    with portal() as p:
        ReaderService(p.request.dbsession).issue_card(
            p.request.dbsession.get(Reader, reader_id), "thuthu")


def test_the_reader_sees_their_e_card_and_api_record(testapp, demo, portal):
    apply(testapp)
    [(reader_id, *_rest)] = readers(portal)
    issue(portal, reader_id)
    with portal() as p:
        number = p.request.dbsession.get(Reader, reader_id).card_number
    card = testapp.get("/account/card")
    assert number in text_of(card)
    assert card.html.select(".ecard-qr svg") and card.html.select(".ecard-barcode svg rect")
    me = testapp.get("/api/v1/me/reader").json
    assert me["card_number"] == number and me["ecard"]["barcode"]["format"] == "CODE128"


def test_staff_api_search_is_audited(testapp, demo, portal, make_user):
    apply(testapp)
    testapp.post("/logout", {"csrf_token": csrf_token(testapp, "/")})
    assert testapp.get("/api/v1/readers?q=an", expect_errors=True).status_int == 401
    make_user("thuthu", site_roles=[("bmt", "Librarian")])
    sign_in(testapp, "thuthu")
    found = testapp.get("/api/v1/readers", {"q": "nguyen van an"}).json
    assert [r["full_name"] for r in found["items"]] == ["Nguyễn Văn An"]
    assert testapp.get("/api/v1/readers", expect_errors=True).status_int == 400
    with portal() as p:
        entry = p.request.dbsession.scalar(select(AuditEntry).where(
            AuditEntry.action == "search"))
        assert entry.actor == "thuthu" and entry.detail["query"] == "nguyen van an"


def test_download_my_data_and_delete_my_account(testapp, demo, portal):
    apply(testapp)
    data = json.loads(testapp.get("/account/data.json").body)
    assert data["reader"]["id_number"] == "066090001234"
    assert {c["kind"] for c in data["consents"]} == {"rules", "personal_data"}
    token = csrf_token(testapp, "/account/delete")
    testapp.post("/account/delete", {"csrf_token": token, "password": "sai-mat-khau-123"},
                 status=400)
    assert readers(portal)[0][2] == ReaderStatus.PENDING
    testapp.post("/account/delete", {"csrf_token": token, "password": APPLICATION["password"]},
                 status=303)
    [(reader_id, name, status, user_id)] = readers(portal)
    assert (name, status, user_id) == ("", ReaderStatus.CLOSED, None)
    assert testapp.get("/account", expect_errors=True).status_int == 303   # signed out
    login = testapp.post("/login", {"login": "nguyenvanan", "password": APPLICATION["password"],
                                    "csrf_token": csrf_token(testapp), "came_from": "/"},
                         expect_errors=True)
    assert login.status_int == 400


def test_profile_saves_notification_preferences(testapp, demo, portal):
    apply(testapp)
    token = csrf_token(testapp, "/account/profile")
    testapp.post("/account/profile", {"csrf_token": token, "email": "khong-hop-le"}, status=400)
    testapp.post("/account/profile", {"csrf_token": token, "email": "an@example.org",
                                      "phone": "0912 345 678", "notify_email": "1",
                                      "notify_hold_ready": "1", "language": "en",
                                      "keep_history": "1"}, status=303)
    with portal() as p:
        reader = p.request.dbsession.scalars(select(Reader)).one()
        assert (reader.notify_hold_ready, reader.notify_due_soon, reader.language,
                reader.keep_history, reader.phone) == (True, False, "en", True, "0912 345 678")


def test_the_register_page_and_notice_render(testapp, demo):
    page = testapp.get("/register")
    assert "Đăng ký thẻ thư viện" in text_of(page)
    assert "91/2025/QH15" in text_of(testapp.get("/register/notice"))
    english = testapp.get("/register", headers={"Cookie": "serepok_lang=en"})
    assert "Register for a library card" in text_of(english)


def lend(portal, reader_id, barcode="BMT-R-001", title="Đất rừng phương Nam"):
    """A catalogued title with two copies at bmt; the first is lent to the reader."""
    import pymarc

    from ils.catalogue.models import BibRecord, Item
    from ils.circulation.service import CirculationService
    marc = pymarc.Record(force_utf8=True)
    marc.add_field(pymarc.Field(tag="245", indicators=["1", "0"],
                                subfields=[pymarc.Subfield("a", title)]))
    with portal() as p:
        db = p.request.dbsession
        record = BibRecord(source="bmt", library="bmt", marc=marc.as_marc(),
                           marc_format="iso2709", marc_hash="0" * 32, title=title)
        db.add(record)
        db.flush()
        db.add_all([Item(barcode=barcode, record_id=record.id, library="bmt"),
                    Item(barcode=barcode + "b", record_id=record.id, library="bmt")])
        db.flush()
        CirculationService(db).checkout(reader_id, barcode, "bmt", "thuthu")
        return record.id


def test_the_reader_renews_and_places_holds_through_circulation(testapp, demo, portal):
    apply(testapp)
    [(reader_id, *_rest)] = readers(portal)
    issue(portal, reader_id)
    record_id = lend(portal, reader_id)
    loans = testapp.get("/account/loans")
    assert "Đất rừng phương Nam" in text_of(loans) and "BMT-R-001" in text_of(loans)
    token = csrf_token(testapp, "/account/loans")
    renewed = testapp.post("/account/loans/renew", {"csrf_token": token, "barcode": "BMT-R-001",
                                                    "next": "/account/loans"}).follow()
    assert "Đã gia hạn đến ngày" in text_of(renewed)
    # a hold on a title one is borrowing is refused, with the service's message, and not kept
    refused = testapp.post("/account/holds/place", {
        "csrf_token": token, "bib_record_id": record_id, "pickup_site": "tuy-hoa",
        "next": "/account/holds"}).follow()
    assert "đang mượn nhan đề này" in text_of(refused)
    assert "Đất rừng phương Nam" not in text_of(refused)
    renew_all = testapp.post("/account/loans/renew", {"csrf_token": token}).follow()
    assert "Đã gia hạn" in text_of(renew_all)


def test_a_reader_cannot_touch_another_readers_hold(testapp, demo, portal, app):
    import webtest
    from ils.circulation.models import Hold
    apply(testapp)                       # reader A, signed in on testapp
    other = webtest.TestApp(app, extra_environ={"HTTP_HOST": "localhost",
                                                "REMOTE_ADDR": "127.0.0.2"})
    apply(other, id_number="066190005678", login="hoangthihoa", full_name="Hoàng Thị Hoa")
    (a_id, *_a), (b_id, *_b) = sorted(readers(portal))
    issue(portal, a_id)
    issue(portal, b_id)
    record_id = lend(portal, a_id)
    token_b = csrf_token(other, "/account/holds")
    other.post("/account/holds/place", {"csrf_token": token_b, "bib_record_id": record_id,
                                        "pickup_site": "bmt"}, status=303)
    with portal() as p:
        hold_id = p.request.dbsession.scalar(select(Hold.id).where(Hold.reader_id == b_id))
    assert "Hoàng Thị Hoa" not in text_of(testapp.get("/account/holds"))
    token_a = csrf_token(testapp, "/account/holds")
    testapp.post(f"/account/holds/{hold_id}/cancel", {"csrf_token": token_a}, status=303)
    testapp.post(f"/account/holds/{hold_id}/pickup", {"csrf_token": token_a,
                                                      "pickup_site": "tuy-hoa"}, status=303)
    with portal() as p:
        hold = p.request.dbsession.get(Hold, hold_id)
        assert (hold.status.value, hold.pickup_site) == ("waiting", "bmt")


def test_issuing_a_card_mails_the_reader_after_commit(settings):
    """The desk issues the card; the reader gets the e-mail from a real SMTP server, once."""
    import socket

    import webtest
    from aiosmtpd.controller import Controller

    from ils.readers.models import NotificationLog
    from portal import main
    from tests.unit.ils.test_notifications import Inbox
    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.update({"mail.host": "127.0.0.1", "mail.port": str(port),
                     "mail.sender": "thuvien@daklak.example"})
    wsgi = main({}, **settings)
    try:
        from tests.conftest import Portal
        with Portal(wsgi) as p:
            from portal.demo import SITES
            from repository.resources import Site
            for name, fields in SITES:
                site = Site(**fields)
                site.state = "published"
                p.root.add(name, site)
        app = webtest.TestApp(wsgi, extra_environ={"HTTP_HOST": "localhost",
                                                   "REMOTE_ADDR": "127.0.0.1"})
        apply(app)
        app.post("/logout", {"csrf_token": csrf_token(app, "/")})
        with Portal(wsgi) as p:
            from ils.accounts.services import IAccountService
            user = p.request.find_service(IAccountService).create("thuthu", PASSWORD)
            p.root["bmt"].grant(user.id, "Librarian")
            reader_id = p.request.dbsession.scalar(select(Reader.id))
        sign_in(app, "thuthu")
        token = csrf_token(app, f"/staff/readers/{reader_id}")
        app.post(f"/staff/readers/{reader_id}/issue", {"csrf_token": token}, status=303)
        assert [m["To"] for m in inbox.messages] == ["an@example.org"]
        assert "Thẻ thư viện của bạn đã được cấp" == inbox.messages[0]["Subject"]
        with Portal(wsgi) as p:
            number = p.request.dbsession.get(Reader, reader_id).card_number
            assert number in inbox.messages[0].get_content()
            assert p.request.dbsession.scalar(select(NotificationLog.status)) == "sent"
    finally:
        controller.stop()
        for db in getattr(wsgi.registry, "_zodb_databases", {}).values():
            db.close()
        wsgi.registry["dbengine"].dispose()


def test_a_blocked_or_expired_card_cannot_renew_and_says_why(testapp, demo, portal):
    import datetime

    from ils.readers.services import ReaderService
    apply(testapp)
    [(reader_id, *_rest)] = readers(portal)
    issue(portal, reader_id)
    lend(portal, reader_id)
    with portal() as p:
        ReaderService(p.request.dbsession).block(p.request.dbsession.get(Reader, reader_id),
                                                 "Làm hỏng sách", "thuthu")
    token = csrf_token(testapp, "/account/loans")
    page = testapp.post("/account/loans/renew", {"csrf_token": token,
                                                 "barcode": "BMT-R-001"}).follow()
    assert "Thẻ này đang bị khóa: Làm hỏng sách" in text_of(page)
    with portal() as p:
        reader = p.request.dbsession.get(Reader, reader_id)
        ReaderService(p.request.dbsession).unblock(reader, "thuthu")
        reader.expires = datetime.date.today() - datetime.timedelta(days=1)
    page = testapp.post("/account/loans/renew", {"csrf_token": token}).follow()
    assert "Thẻ đã hết hạn ngày" in text_of(page)
    with portal() as p:
        from ils.circulation.models import Loan
        assert p.request.dbsession.scalar(select(Loan.renewals)) == 0


def test_a_reader_borrows_a_restricted_scan_and_opens_it_with_a_token(testapp, demo, portal):
    """Borrow from the account, then "read": the account sends the reader to the item with a
    fresh access token that the restricted item's viewer accepts."""
    from iiif.access import find_object
    from ils.circulation.service import CirculationService
    apply(testapp)
    [(reader_id, *_rest)] = readers(portal)
    issue(portal, reader_id)
    from tests.unit.iiif.support import add_item
    with portal() as p:
        uid, _canvases = add_item(p, title="Luật tục Ê Đê", access="restricted", pages=1)
        item = find_object(p.root, uid)
        url = p.request.resource_path(item)
        CirculationService(p.request.dbsession).set_licence(uid, 1, title=item.title)
    assert testapp.get(url + "read", status=403)
    token = csrf_token(testapp, "/account/digital")
    testapp.post("/account/digital/borrow", {"csrf_token": token, "item_uid": uid}, status=303)
    with portal() as p:
        [loan] = [x for x in CirculationService(p.request.dbsession).digital_loans(reader_id)
                  if hasattr(x, "expires")]
    opened = testapp.get(f"/account/digital/{loan.id}/read", status=303)
    assert opened.location.split("?")[0].endswith(url) and "access=" in opened.location
    viewer = testapp.get(opened.location.replace(url, url + "read"), status=200)
    assert "manifest" in viewer.text

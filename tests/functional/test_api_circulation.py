"""/api/v1/loans, /holds and /digital-loans: own account for readers, own site for staff."""
import datetime

from .api_support import call
from .circulation_world import world  # noqa: F401  (fixture)


def h(world, key):  # noqa: F811
    return world.people.headers(key)


def checkout(testapp, world, barcode, reader="an", who="librarian-bmt", site="bmt",  # noqa: F811
             status=201, **extra):
    return call(testapp, "POST", "/api/v1/loans",
                {"reader": world.cards[reader], "barcode": barcode, "site": site, **extra},
                headers=h(world, who), status=status)


def test_staff_lend_at_their_own_site_only(testapp, world):  # noqa: F811
    loan = checkout(testapp, world, "BMT0001").json
    assert loan["@type"] == "Loan" and loan["barcode"] == "BMT0001"
    # a librarian of Tuy Hòa cannot lend at Buôn Ma Thuột, a reader cannot lend at all
    checkout(testapp, world, "BMT0002", who="librarian-tuy-hoa", status=403)
    checkout(testapp, world, "BMT0002", who="reader", status=403)
    checkout(testapp, world, "BMT0002", who="anonymous", status=400)   # no token, no CSRF
    refused = checkout(testapp, world, "BMT0001", reader="binh", status=409).json["error"]
    assert refused["code"] == "item_on_loan" and refused["type"] == "Conflict"
    assert refused["message"].startswith("Tài liệu này đang được mượn")
    blocked = checkout(testapp, world, "BMT0002", reader="blocked", status=409).json["error"]
    assert blocked["code"] == "reader_blocked" and blocked["overridable"] is True
    assert checkout(testapp, world, "BMT0002", reader="blocked",
                    override="Đã hẹn trả").json["barcode"] == "BMT0002"


def test_readers_see_and_renew_only_their_own_loans(testapp, world):  # noqa: F811
    loan = checkout(testapp, world, "BMT0001").json
    mine = call(testapp, "GET", "/api/v1/loans", headers=h(world, "reader")).json
    assert [l["barcode"] for l in mine["items"]] == ["BMT0001"]
    theirs = call(testapp, "GET", "/api/v1/loans", headers=h(world, "other-reader")).json
    assert theirs["items"] == []
    # ?reader= is ignored for a reader: still their own account
    sneaky = call(testapp, "GET", f"/api/v1/loans?reader={world.cards['an']}",
                  headers=h(world, "other-reader")).json
    assert sneaky["items"] == []
    call(testapp, "POST", loan["renew"], headers=h(world, "other-reader"), status=404)
    renewed = call(testapp, "POST", loan["renew"], headers=h(world, "reader")).json
    assert renewed["renewals"] == 1
    staff = call(testapp, "GET", f"/api/v1/loans?reader={world.cards['an']}",
                 headers=h(world, "librarian-bmt")).json
    assert [l["id"] for l in staff["items"]] == [loan["id"]]
    call(testapp, "GET", "/api/v1/loans", status=401)


def test_holds_queue_and_renewal_refused_while_someone_waits(testapp, world):  # noqa: F811
    loan = checkout(testapp, world, "BMT0001", reader="binh").json
    checkout(testapp, world, "BMT0002", reader="blocked", override="ok")
    call(testapp, "POST", "/api/v1/holds", {"record_id": world.record_id, "pickup_site": "bmt"},
         headers=h(world, "reader"), status=201)
    again = call(testapp, "POST", "/api/v1/holds", {"barcode": "TH0001", "pickup_site": "bmt"},
                 headers=h(world, "reader"), status=409).json["error"]
    assert again["code"] == "hold_exists"
    holds = call(testapp, "GET", "/api/v1/holds", headers=h(world, "reader")).json["items"]
    assert holds[0]["status"] == "waiting" and holds[0]["position"] == 1
    refused = call(testapp, "POST", loan["renew"], headers=h(world, "other-reader"),
                   status=409).json["error"]
    assert refused["code"] == "renewal_hold"
    call(testapp, "POST", holds[0]["cancel"], headers=h(world, "other-reader"), status=404)
    cancelled = call(testapp, "POST", holds[0]["cancel"], headers=h(world, "reader")).json
    assert cancelled["status"] == "cancelled"
    bad = call(testapp, "POST", "/api/v1/holds", {"pickup_site": "bmt", "colour": "red"},
               headers=h(world, "reader"), status=400).json["error"]
    assert set(bad["fields"]) == {"colour"}


def test_a_reader_changes_a_waiting_holds_date_and_pickup_site(testapp, world):  # noqa: F811
    checkout(testapp, world, "BMT0001", reader="binh")
    checkout(testapp, world, "BMT0002", reader="blocked", override="ok")
    hold = call(testapp, "POST", "/api/v1/holds", {"record_id": world.record_id,
                                                   "pickup_site": "bmt"},
                headers=h(world, "reader"), status=201).json
    soon = (datetime.date.today() + datetime.timedelta(days=20)).isoformat()
    changed = call(testapp, "PATCH", hold["@id"], {"not_needed_after": soon},
                   headers=h(world, "reader")).json
    assert changed["not_needed_after"] == soon and changed["position"] == 1
    moved = call(testapp, "PATCH", hold["@id"], {"pickup_site": "tuy-hoa"},
                 headers=h(world, "reader")).json
    assert (moved["pickup_site"], moved["not_needed_after"]) == ("tuy-hoa", soon)
    past = (datetime.date.today() - datetime.timedelta(days=3)).isoformat()
    refused = call(testapp, "PATCH", hold["@id"], {"not_needed_after": past},
                   headers=h(world, "reader"), status=409).json["error"]
    assert refused["code"] == "hold_date"
    for body, field in (({"not_needed_after": "31/12/2026"}, "not_needed_after"),
                        ({}, "pickup_site"), ({"colour": "red"}, "colour")):
        bad = call(testapp, "PATCH", hold["@id"], body, headers=h(world, "reader"),
                   status=400).json["error"]
        assert field in bad["fields"]
    # someone else's hold is not there for them; staff act at the hold's pickup site only
    call(testapp, "PATCH", hold["@id"], {"not_needed_after": soon},
         headers=h(world, "other-reader"), status=404)
    call(testapp, "PATCH", hold["@id"], {"not_needed_after": soon},
         headers=h(world, "librarian-bmt"), status=404)
    later = (datetime.date.today() + datetime.timedelta(days=40)).isoformat()
    assert call(testapp, "PATCH", hold["@id"], {"not_needed_after": later},
                headers=h(world, "librarian-tuy-hoa")).json["not_needed_after"] == later
    call(testapp, "PATCH", hold["@id"], {"not_needed_after": soon}, status=400)  # no token, no CSRF


def test_digital_loans_waitlist_and_access_token(testapp, world, portal):  # noqa: F811
    from ils.circulation.interfaces import ICirculation
    with portal() as p:
        p.request.find_service(ICirculation).set_licence("a" * 32, 1, title="Sách nói mẫu")
    body = {"item_uid": "a" * 32}
    loan = call(testapp, "POST", "/api/v1/digital-loans", body, headers=h(world, "reader"),
                status=201).json
    wait = call(testapp, "POST", "/api/v1/digital-loans", body,
                headers=h(world, "other-reader"), status=202).json
    assert wait["@type"] == "DigitalWait" and wait["position"] == 1
    shown = call(testapp, "GET", loan["@id"], headers=h(world, "reader")).json
    assert shown["access_token"].count(".") == 1
    call(testapp, "GET", loan["@id"], headers=h(world, "other-reader"), status=404)
    call(testapp, "POST", loan["return"], headers=h(world, "reader"))
    served = call(testapp, "GET", "/api/v1/digital-loans",
                  headers=h(world, "other-reader")).json["items"]
    assert [e["@type"] for e in served] == ["DigitalLoan"]
    unknown = call(testapp, "POST", "/api/v1/digital-loans", {"item_uid": "b" * 32},
                   headers=h(world, "reader"), status=409).json["error"]
    assert unknown["code"] == "digital_unavailable"


def test_a_restricted_audiobook_plays_only_with_a_loans_token(testapp, world, portal):  # noqa: F811
    from ils.circulation.interfaces import ICirculation
    from portal.demo import tone
    from repository.interfaces import IContentService
    with portal() as p:
        service = p.request.find_service(IContentService)
        shelf, _e = service.add(p.root["bmt"], "Collection", {"title": "Sách nói"},
                                name="sach-noi")
        book, _e = service.add(shelf, "Audiobook", {"title": "Sử thi Đăm San"})
        book.access = "restricted"
        track = book.add_track("Chương 1", tone(0.2), "audio/wav", 0.2)
        service.transition(shelf, "publish")
        service.transition(book, "publish")
        p.request.find_service(ICirculation).set_licence(book.uid, 1, title=book.title)
        url = p.request.resource_url(book, "track", track.uid)
        uid = book.uid
    # the record is public, the audio is not: anonymous visitors are asked to sign in
    assert "/login" in testapp.get(url, status=303).location
    loan = call(testapp, "POST", "/api/v1/digital-loans", {"item_uid": uid},
                headers=h(world, "reader"), status=201).json
    token = call(testapp, "GET", loan["@id"], headers=h(world, "reader")).json["access_token"]
    assert testapp.get(url, {"access": token}).body[:4] == b"RIFF"
    assert testapp.get(url, headers={"X-Serepok-Access": token}).status_int == 200
    testapp.get(url, {"access": token[:-2] + "xx"}, headers=h(world, "other-reader"), status=403)
    # staff of the site listen without a token
    testapp.get(url, headers=h(world, "librarian-bmt"), status=200)
    testapp.get(url, headers=h(world, "librarian-tuy-hoa"), status=403)


def test_examples_for_the_api_docs(testapp, world):  # noqa: F811
    from .api_support import ApiDocs
    docs = ApiDocs(testapp, "circulation", ("Mượn, đặt trước và mượn số", "Loans, holds and "
                                            "digital loans"), (
        "Bạn đọc (mã truy cập của tài khoản có thẻ) chỉ thấy và thay đổi tài khoản của mình. "
        "Cán bộ cho mượn tại cơ sở của mình và làm thay bạn đọc bằng `reader` (số thẻ). Khi "
        "quy định lưu thông từ chối, câu trả lời là 409 với `error.code` cố định.",
        "A reader (a token of an account with a card) sees and changes only their own account. "
        "Staff lend at their own site and act for a reader with `reader` (the card number). "
        "When the circulation rules refuse, the answer is 409 with a stable `error.code`."))
    staff, reader = h(world, "librarian-bmt"), h(world, "reader")
    for key, stand_in in (("librarian-bmt", "<mã cán bộ / staff token>"),
                          ("reader", "<mã bạn đọc / reader token>")):
        docs.secret(world.people.tokens[key], stand_in)
    docs.secret(world.cards["an"], "66100000018")
    loan = docs.example(("Cho mượn tại quầy", "Check out at the desk"), [], "POST",
                        "/api/v1/loans", {"reader": world.cards["an"], "barcode": "BMT0001",
                                          "site": "bmt"}, headers=staff, status=201).json
    docs.secret(loan["due"], "2025-09-16")
    year, month, day = loan["due"].split("-")
    docs.secret(f"{day}/{month}/{year}", "16/09/2025")
    docs.example(("Tài liệu đang được mượn", "An item already on loan"), [], "POST",
                 "/api/v1/loans", {"reader": world.cards["an"], "barcode": "BMT0001",
                                   "site": "bmt"}, headers=staff, status=409)
    docs.example(("Bạn đọc xem các tài liệu đang mượn", "A reader lists their loans"), [],
                 "GET", "/api/v1/loans", headers=reader)
    hold = docs.example(("Đặt trước một nhan đề", "Reserve a title"), [], "POST",
                        "/api/v1/holds", {"record_id": world.record_id, "pickup_site": "tuy-hoa"},
                        headers=h(world, "other-reader"), status=201).json
    # a date, not a time: kept at the same distance from the page's first day (the
    # times' stand-in, 2025-09-02), so the page changes only when the API does
    # (from the library's own date, which in Vietnam is a day ahead of UTC's every evening)
    from ils.circulation.rules import local_today
    library_today = local_today(datetime.datetime.now(datetime.timezone.utc))
    wait = datetime.date.fromisoformat(hold["not_needed_after"]) - library_today
    docs.secret(hold["not_needed_after"], (datetime.date(2025, 9, 2) + wait).isoformat())
    docs.secret(world.people.tokens["other-reader"], "<mã bạn đọc khác / another reader's token>")
    docs.example(("Gia hạn bị từ chối vì có người chờ", "Renewal refused: someone is waiting"),
                 [], "POST", loan["renew"], headers=reader, status=409)
    docs.write()

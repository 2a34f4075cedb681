"""Notification e-mails reach a real SMTP server (aiosmtpd), in the reader's language, once."""
import datetime
import email
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message

from ils.readers.models import NotificationLog
from ils.readers.notifications import Notifier, SMTPMailer, render
from ils.readers.services import NOTICE_VERSIONS, ReaderService

TODAY = datetime.date(2026, 11, 26)


class Inbox(Message):
    def __init__(self):
        super().__init__()
        self.messages = []

    def handle_message(self, message):
        # re-read with the modern policy: headers come back decoded
        self.messages.append(email.message_from_bytes(message.as_bytes(),
                                                      policy=email.policy.default))


@pytest.fixture
def smtp():
    inbox = Inbox()
    with socket.socket() as probe:              # a free port for the server
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


def reader(dbsession, language="vi", **kw):
    service = ReaderService(dbsession)
    data = {"full_name": "Nguyễn Văn An", "id_number": kw.pop("id_number", "066090001234"),
            "birth_date": "1990-03-15", "sex": "Nam", "email": "an@example.org",
            "language": language}
    r = service.register(data, list(NOTICE_VERSIONS.items()), today=TODAY)
    service.issue_card(r, "thuthu", today=TODAY)
    for name, value in kw.items():
        setattr(r, name, value)
    return r


def test_templates_exist_in_both_languages():
    for kind in ("hold_ready", "due_soon", "overdue", "card_issued"):
        vi_subject, vi_body = render(kind, "vi", {"title": "Đất rừng phương Nam"})
        en_subject, en_body = render(kind, "en", {"title": "Đất rừng phương Nam"})
        assert vi_subject != en_subject and "Thư viện tỉnh Đắk Lắk" in vi_body


def test_card_issued_mail_is_sent_logged_and_not_repeated(dbsession, smtp):
    controller, inbox = smtp
    r = reader(dbsession)
    notifier = Notifier(dbsession, SMTPMailer("127.0.0.1", controller.port),
                        {"mail.sender": "thuvien@daklak.example"})
    entry = notifier.card_issued(r)
    assert entry.status == "sent"
    assert notifier.card_issued(r) is None              # same key: not sent twice
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message["To"] == "an@example.org"
    assert "Thẻ thư viện" in message["Subject"]
    assert r.card_number in message.get_payload(decode=True).decode("utf-8")
    assert dbsession.query(NotificationLog).count() == 1


def test_english_reader_gets_english_and_opt_out_is_respected(dbsession, smtp):
    controller, inbox = smtp
    r = reader(dbsession, language="en")
    notifier = Notifier(dbsession, SMTPMailer("127.0.0.1", controller.port))
    notifier.send(r, "hold_ready", {"title": "Sử thi Đam San", "ready_until": "01/12/2026",
                                    "where": "@ bmt"}, key="k1")
    assert inbox.messages[-1]["Subject"] == "Your hold is ready: Sử thi Đam San"
    r.notify_hold_ready = False
    assert notifier.send(r, "hold_ready", {"title": "x"}, key="k2") is None
    assert len(inbox.messages) == 1


def test_a_mail_server_that_is_down_is_logged_as_failed(dbsession):
    r = reader(dbsession)
    entry = Notifier(dbsession, SMTPMailer("127.0.0.1", 1, timeout=2)).card_issued(r)
    assert entry.status == "failed" and entry.error


def test_send_due_mails_due_soon_overdue_and_the_outbox_once(dbsession, smtp):
    from ils.catalogue.models import BibRecord, Item
    from ils.circulation.models import Loan, Notification
    controller, inbox = smtp
    r = reader(dbsession)
    record = BibRecord(source="test", library="bmt", marc=b"", marc_hash="0" * 32,
                       title="Đất rừng phương Nam")
    dbsession.add(record)
    dbsession.flush()
    items = [Item(barcode=f"BMT00{i}", record_id=record.id, library="bmt") for i in (1, 2)]
    dbsession.add_all(items)
    dbsession.flush()
    dbsession.add_all([
        Loan(item_id=items[0].id, reader_id=r.id, site="bmt", due=TODAY + datetime.timedelta(1)),
        Loan(item_id=items[1].id, reader_id=r.id, site="bmt", due=TODAY - datetime.timedelta(3)),
        Notification(kind="hold_ready", reader_id=r.id,
                     payload={"title": "Sử thi Đam San", "pickup_site": "bmt",
                              "ready_until": "2026-11-29"})])
    dbsession.flush()
    notifier = Notifier(dbsession, SMTPMailer("127.0.0.1", controller.port))
    counts = notifier.send_due(today=TODAY)
    assert (counts["due_soon"], counts["overdue"], counts["hold_ready"]) == (1, 1, 1)
    subjects = sorted(m["Subject"] for m in inbox.messages)
    assert subjects == ["Quá hạn trả: Đất rừng phương Nam",
                        "Sách bạn đặt mượn đã sẵn sàng: Sử thi Đam San",
                        "Sắp đến hạn trả: Đất rừng phương Nam"]
    assert "29/11/2026" in [m for m in inbox.messages if "Sử thi" in m["Subject"]][0] \
        .get_payload(decode=True).decode()
    assert sum(notifier.send_due(today=TODAY).values()) == 0
    assert len(inbox.messages) == 3


def test_serepok_notify_command_sends_what_is_due(dbsession, sql_url, smtp, tmp_path):
    import argparse
    import io

    from ils.catalogue.models import BibRecord, Item
    from ils.circulation.models import Loan
    from ils.readers.cli import cmd_notify
    controller, inbox = smtp
    r = reader(dbsession)
    record = BibRecord(source="test", library="bmt", marc=b"", marc_hash="0" * 32,
                       title="Sử thi Đam San")
    dbsession.add(record)
    dbsession.flush()
    item = Item(barcode="BMT009", record_id=record.id, library="bmt")
    dbsession.add(item)
    dbsession.flush()
    dbsession.add(Loan(item_id=item.id, reader_id=r.id, site="bmt",
                       due=datetime.date.today() + datetime.timedelta(days=1)))
    dbsession.commit()
    ini = tmp_path / "notify.ini"
    ini.write_text(f"[app:main]\nuse = egg:serepok\nsqlalchemy.url = {sql_url}\n"
                   f"mail.host = 127.0.0.1\nmail.port = {controller.port}\n"
                   "mail.sender = thuvien@daklak.example\n", encoding="utf-8")
    out = io.StringIO()
    assert cmd_notify(argparse.Namespace(ini=str(ini)), out=out) == 0
    assert "due_soon 1" in out.getvalue()
    assert [m["Subject"] for m in inbox.messages] == ["Sắp đến hạn trả: Sử thi Đam San"]
    cmd_notify(argparse.Namespace(ini=str(ini)), out=io.StringIO())
    assert len(inbox.messages) == 1

"""The SIP2 server over real TCP (and TLS) against the real circulation service and a real
SQL database: answers, refusals, bad input, transactions."""
import contextlib
import datetime
import socket
import ssl
import subprocess
import threading

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from ils import db
from ils.catalogue.models import BibRecord, Item, ItemStatus
from ils.circulation.models import Loan
from ils.circulation.service import CirculationService
from ils.readers.models import Reader, ReaderStatus
from ils.sip2 import codec
from ils.sip2.language import CatalogueTranslator
from ils.sip2.models import Terminal
from ils.sip2.server import make_server

HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
TERMINAL, TERMINAL_PASSWORD = "sc-bmt-1", "mat-khau-may-1"
CARD, BLOCKED_CARD, CARD2 = "DL000001", "DL000002", "DL000003"
BARCODES = ("BMT0001", "BMT0002", "BMT0003")
TITLE = "Truyện Kiều"


def seed(session, n_items=3, readers=True):
    """A title with copies at bmt, an active and a blocked reader, a terminal of bmt."""
    record = BibRecord(source="bmt", control_number="sip2-1", library="bmt", marc=b"-",
                       marc_hash="0" * 32, title=TITLE)
    session.add(record)
    for n in range(1, n_items + 1):
        session.add(Item(barcode=f"BMT{n:04d}", record=record, library="bmt",
                         call_number="895.922 NG-D"))
    if readers:
        session.add(Reader(card_number=CARD, status=ReaderStatus.ACTIVE,
                           full_name="Nguyễn Thị Hoa", id_number="066123456789"))
        session.add(Reader(card_number=BLOCKED_CARD, status=ReaderStatus.BLOCKED,
                           block_reason="mất sách", full_name="Trần Văn Nam"))
        session.add(Reader(card_number=CARD2, status=ReaderStatus.ACTIVE,
                           full_name="Lê Thị Mai"))
    session.add(Terminal(login=TERMINAL, password_hash=HASHER.hash(TERMINAL_PASSWORD),
                         name="Máy tự mượn sảnh", site="bmt", institution_id="DLL",
                         location_code="BMT-SANH", language="vi"))
    session.commit()


@contextlib.contextmanager
def running_server(engine, **settings):
    """A real SIP2 server on a free loopback port, serving from a thread."""
    settings = {"sip2.host": "127.0.0.1", "sip2.port": "0", **settings}
    server = make_server(settings, db.session_factory(engine),
                         lambda session: CirculationService(session, {}), HASHER,
                         translate=CatalogueTranslator())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


class Terminal_:
    """A raw SIP2 client: sends lines with sequence and checksum, reads one answer."""

    def __init__(self, port, wrap=None):
        # a time limit against a hang, not a measure of speed
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        if wrap is not None:
            self.sock = wrap(self.sock)
        self.seq = 0
        self.buffer = b""

    def send_raw(self, data):
        self.sock.sendall(data)
        return self.read()

    def read(self):
        while b"\r" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\r", 1)
        return line.decode("utf-8")

    def send(self, text, checksum=True):
        if checksum:
            self.seq = (self.seq + 1) % 10
            text += f"AY{self.seq}AZ"
            text += codec.checksum(text)
        return self.send_raw(text.encode("utf-8") + b"\r")

    def login(self, user=TERMINAL, password=TERMINAL_PASSWORD):
        return self.send(f"9300CN{user}|CO{password}|CPBMT-SANH|")

    def close(self):
        self.sock.close()


def now18():
    return codec.sip_date()


def fields(answer, fixed_length):
    """The variable fields of an answer (tail removed) as {id: [values]}."""
    body = answer[fixed_length:]
    if "AY" in body:
        body = body[:body.rindex("AY")]
    out = {}
    for chunk in filter(None, body.split("|")):
        out.setdefault(chunk[:2], []).append(chunk[2:])
    return out


@pytest.fixture
def sip(engine, sql_backend):
    db.upgrade(engine)
    with db.session_factory(engine)() as session:
        seed(session)
    with running_server(engine) as server:
        clients = []

        def connect(wrap=None):
            client = Terminal_(server.port, wrap)
            clients.append(client)
            return client
        connect.server = server
        connect.engine = engine
        yield connect
        for client in clients:
            client.close()


def active_loans(engine):
    with db.session_factory(engine)() as session:
        return session.scalar(select(func.count(Loan.id)).where(Loan.returned_at.is_(None)))


def test_login_status_checkout_checkin_with_checksums(sip):
    t = sip()
    answer = t.login()
    assert answer.startswith("941") and codec.parse_date is not None
    assert codec.checksum(answer[:answer.rindex("AZ") + 2]) == answer[-4:]
    status = t.send("9900802.00")
    assert status.startswith("98YYYY")
    assert "AODLL|" in status and "ANBMT-SANH|" in status
    assert fields(status, 36)["BX"] == ["YYYNYYYYYNYNNYYY"]
    out = t.send(f"11NN{now18()}{' ' * 18}AODLL|AA{CARD}|AB{BARCODES[0]}|AC|")
    assert out.startswith("121NUY"), out
    f = fields(out, 24)
    assert f["AJ"] == [TITLE] and f["AB"] == [BARCODES[0]]
    due = codec.parse_date(f["AH"][0]).date()
    assert due >= datetime.date.today() + datetime.timedelta(days=13)
    assert "hạn trả" in f["AF"][0]            # Vietnamese by default
    assert active_loans(sip.engine) == 1
    back = t.send(f"09N{now18()}{now18()}APBMT-SANH|AODLL|AB{BARCODES[0]}|AC|")
    assert back.startswith("101YUN"), back
    assert fields(back, 24)["AA"] == [CARD]
    assert active_loans(sip.engine) == 0


def test_sequence_number_echoed_and_resend_repeats_the_last_answer(sip):
    t = sip()
    t.login()
    t.seq = 6
    first = t.send("9900802.00")
    assert "AY7AZ" in first
    again = t.send("97", checksum=False)
    assert again == first


def test_bad_checksum_asks_for_a_resend_and_changes_nothing(sip):
    t = sip()
    t.login()
    line = f"11NN{now18()}{' ' * 18}AODLL|AA{CARD}|AB{BARCODES[0]}|AC|AY1AZ"
    good = codec.checksum(line)
    bad = f"{(int(good, 16) + 1) & 0xFFFF:04X}"
    assert t.send_raw((line + bad + "\r").encode()).startswith("96")
    assert active_loans(sip.engine) == 0
    # the terminal resends: now it is lent
    assert t.send_raw((line + good + "\r").encode()).startswith("121")


def test_unknown_fields_are_ignored_and_crlf_accepted(sip):
    t = sip()
    t.login()
    out = t.send_raw(f"17{now18()}AODLL|AB{BARCODES[1]}|ZZwhatever|XYz|\r\n".encode())
    assert out.startswith("1803"), out         # available
    assert fields(out, 26)["AJ"] == [TITLE]


def test_messages_before_login_and_wrong_terminal_password_are_refused(sip):
    t = sip()
    out = t.send(f"11NN{now18()}{' ' * 18}AODLL|AA{CARD}|AB{BARCODES[0]}|AC|")
    assert out.startswith("120")
    assert "chưa đăng nhập" in fields(out, 24)["AF"][0]
    assert t.login(password="sai-mat-khau").startswith("940")
    assert t.login(user="no-such-machine").startswith("940")
    assert t.send("9900802.00").startswith("98N")
    assert active_loans(sip.engine) == 0


def test_five_failed_logins_close_the_connection(sip):
    t = sip()
    for _ in range(5):
        assert t.login(password="sai").startswith("940")
    with pytest.raises((ConnectionError, OSError)):
        t.login()


def test_unknown_card_unknown_item_blocked_reader(sip):
    t = sip()
    t.login()
    info = t.send(f"63000{now18()}{' ' * 10}AODLL|AANOBODY|")
    assert info.startswith("64YYYY")
    assert fields(info, 61)["BL"] == ["N"]
    out = t.send(f"11NN{now18()}{' ' * 18}AODLL|AA{CARD}|ABNO-SUCH|AC|")
    assert out.startswith("120")
    assert "NO-SUCH" in fields(out, 24)["AF"][0]
    out = t.send(f"11NN{now18()}{' ' * 18}AODLL|AA{BLOCKED_CARD}|AB{BARCODES[0]}|AC|")
    assert out.startswith("120")
    assert "mất sách" in fields(out, 24)["AF"][0]
    status = t.send(f"23000{now18()}AODLL|AA{BLOCKED_CARD}|AC|")
    assert status.startswith("24Y")
    assert fields(status, 37)["BL"] == ["Y"]
    assert active_loans(sip.engine) == 0


def test_missing_required_fields_get_the_message_types_refusal(sip):
    t = sip()
    t.login()
    out = t.send(f"11NN{now18()}{' ' * 18}AODLL|AB{BARCODES[0]}|")
    assert out.startswith("120")
    assert "AA" in fields(out, 24)["AF"][0]
    assert active_loans(sip.engine) == 0


def test_garbage_unknown_types_and_overlong_lines_get_96_and_the_connection_lives(sip):
    t = sip()
    t.login()
    assert t.send_raw(b"\x00\xff\xfe garbage \x81\r").startswith("96")
    assert t.send("42hello").startswith("96")           # not a SIP2 message at all
    fee = t.send(f"37{now18()}0100VNDBV5000|AODLL|AA{CARD}|")   # SIP2, but not done here
    assert fee.startswith("38N") and "hỏi tại quầy" in fields(fee, 21)["AF"][0]
    assert t.send_raw(b"1" + b"x" * (codec.MAX_LINE + 100) + b"\r").startswith("96")
    assert t.send("9900802.00").startswith("98Y")


def test_english_terminal_language_code(sip):
    t = sip()
    t.login()
    info = t.send(f"63001{now18()}{' ' * 10}AODLL|AANOBODY|")
    assert "not known" in fields(info, 61)["AF"][0]


def test_patron_information_lists_charged_items(sip):
    t = sip()
    t.login()
    for barcode in BARCODES[:2]:
        assert t.send(f"11NN{now18()}{' ' * 18}AODLL|AA{CARD}|AB{barcode}|AC|").startswith("121")
    info = t.send(f"63000{now18()}  Y       AODLL|AA{CARD}|BP1|BQ5|")
    assert info.startswith("64" + " " * 14)
    assert info[45:49] == "0002"                    # charged items count
    f = fields(info, 61)
    assert sorted(f["AU"]) == sorted(BARCODES[:2])
    assert f["AE"] == ["Nguyễn Thị Hoa"] and f["BL"] == ["Y"]
    assert "BD" not in f and "BE" not in f and "BF" not in f   # no personal data to a machine
    renew = t.send(f"29NN{now18()}{' ' * 18}AODLL|AA{CARD}|AB{BARCODES[0]}|")
    assert renew.startswith("301Y"), renew
    end = t.send(f"35{now18()}AODLL|AA{CARD}|")
    assert end.startswith("36Y")


def test_connection_limit(engine):
    db.upgrade(engine)
    with db.session_factory(engine)() as session:
        seed(session)
    with running_server(engine, **{"sip2.max_connections": "1"}) as server:
        first = Terminal_(server.port)
        assert first.login().startswith("941")
        second = Terminal_(server.port)
        with pytest.raises((ConnectionError, OSError)):
            second.login()
        first.close()
        second.close()


def test_tls_with_a_self_signed_certificate(engine, tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    db.upgrade(engine)
    with db.session_factory(engine)() as session:
        seed(session)
    with running_server(engine, **{"sip2.tls_cert": str(cert),
                                   "sip2.tls_key": str(key)}) as server:
        context = ssl.create_default_context(cafile=str(cert))
        t = Terminal_(server.port, wrap=lambda s: context.wrap_socket(
            s, server_hostname="localhost"))
        assert t.login().startswith("941")
        assert t.send(f"11NN{now18()}{' ' * 18}AODLL|AA{CARD}|AB{BARCODES[0]}|AC|"
                      ).startswith("121")
        t.close()
        # a plain-text client gets nothing from a TLS port
        plain = Terminal_(server.port)
        with pytest.raises((ConnectionError, OSError)):
            plain.login()
        plain.close()
        assert active_loans(engine) == 1


def test_item_information_of_a_lent_item(sip):
    t = sip()
    t.login()
    t.send(f"11NN{now18()}{' ' * 18}AODLL|AA{CARD}|AB{BARCODES[2]}|AC|")
    info = t.send(f"17{now18()}AODLL|AB{BARCODES[2]}|")
    assert info.startswith("1804")
    assert codec.parse_date(fields(info, 26)["AH"][0]) is not None
    missing = t.send(f"17{now18()}AODLL|ABNOPE|")
    assert missing.startswith("1801")
    assert ItemStatus.AVAILABLE  # the module's enum is the one the server maps


def test_hold_placed_and_cancelled_from_the_machine(sip):
    t = sip()
    t.login()
    out = t.send(f"11NN{now18()}{' ' * 18}AODLL|AA{BLOCKED_CARD}|AB{BARCODES[0]}|AC|")
    assert out.startswith("120")
    for barcode in BARCODES:           # every copy out: now a hold makes sense
        with db.session_factory(sip.engine)() as session:
            item = session.scalar(select(Item).where(Item.barcode == barcode))
            item.status = ItemStatus.ON_LOAN
            session.commit()
    placed = t.send(f"15+{now18()}BSbmt|AODLL|AA{CARD}|AB{BARCODES[0]}|")
    assert placed.startswith("161N"), placed
    assert "Đã đặt giữ" in fields(placed, 21)["AF"][0]
    again = t.send(f"15+{now18()}BSbmt|AODLL|AA{CARD}|AB{BARCODES[0]}|")
    assert again.startswith("160")                       # already has a hold on this title
    info = t.send(f"63000{now18()}     Y    AODLL|AA{CARD}|")
    assert info[57:61] == "0001" and fields(info, 61)["CD"] == [TITLE]
    cancelled = t.send(f"15-{now18()}AODLL|AA{CARD}|AB{BARCODES[0]}|")
    assert cancelled.startswith("161"), cancelled
    assert t.send(f"63000{now18()}{' ' * 10}AODLL|AA{CARD}|")[57:61] == "0000"


def test_patron_password_checked_against_the_readers_account(sip):
    from ils.accounts.models import User
    with db.session_factory(sip.engine)() as session:
        user = User(login="hoa", password_hash=HASHER.hash("mat-khau-ban-doc"))
        session.add(user)
        session.flush()
        session.scalar(select(Reader).where(Reader.card_number == CARD)).user_id = user.id
        session.commit()
    t = sip()
    t.login()
    good = t.send(f"23000{now18()}AODLL|AA{CARD}|AC|ADmat-khau-ban-doc|")
    assert fields(good, 37)["CQ"] == ["Y"] and good.startswith("24" + " " * 14)
    bad = t.send(f"23000{now18()}AODLL|AA{CARD}|AC|ADsai|")
    assert fields(bad, 37)["CQ"] == ["N"] and bad.startswith("24Y")
    out = t.send(f"11NN{now18()}{' ' * 18}AODLL|AA{CARD}|AB{BARCODES[0]}|AC|ADsai|")
    assert out.startswith("120") and "Mật khẩu" in fields(out, 24)["AF"][0]
    assert active_loans(sip.engine) == 0


class FailingAfterTheLoan(CirculationService):
    """The real service, with a fault after the loan row is written (a crash between steps)."""

    def checkout(self, *args, **kwargs):
        super().checkout(*args, **kwargs)
        raise RuntimeError("the disk is full")


def test_a_fault_after_the_loan_is_written_leaves_no_loan(engine):
    db.upgrade(engine)
    with db.session_factory(engine)() as session:
        seed(session)
    server = make_server({"sip2.host": "127.0.0.1", "sip2.port": "0"},
                         db.session_factory(engine), lambda s: FailingAfterTheLoan(s, {}),
                         HASHER, translate=CatalogueTranslator())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        t = Terminal_(server.port)
        t.login()
        out = t.send(f"11NN{now18()}{' ' * 18}AODLL|AA{CARD}|AB{BARCODES[0]}|AC|")
        assert out.startswith("120")
        assert "hỏi tại quầy" in fields(out, 24)["AF"][0]
        t.close()
    finally:
        server.shutdown()
        server.server_close()
    assert active_loans(engine) == 0
    with db.session_factory(engine)() as session:
        item = session.scalar(select(Item).where(Item.barcode == BARCODES[0]))
        assert item.status == ItemStatus.AVAILABLE


def test_an_idle_connection_is_closed(engine):
    db.upgrade(engine)
    with db.session_factory(engine)() as session:
        seed(session)
    with running_server(engine, **{"sip2.idle_timeout": "0.3"}) as server:
        t = Terminal_(server.port)
        assert t.login().startswith("941")
        t.sock.settimeout(5)
        assert t.sock.recv(10) == b""            # the server hung up
        t.close()


def test_a_terminal_that_requires_the_readers_password_refuses_without_it(sip):
    with db.session_factory(sip.engine)() as session:
        session.scalar(select(Terminal)).patron_password_required = True
        session.commit()
    t = sip()
    t.login()
    out = t.send(f"11NN{now18()}{' ' * 18}AODLL|AA{CARD}|AB{BARCODES[0]}|AC|")
    assert out.startswith("120") and "nhập mật khẩu" in fields(out, 24)["AF"][0]
    assert active_loans(sip.engine) == 0


def test_without_error_detection_the_answer_has_none_either(sip):
    t = sip()
    t.login()
    answer = t.send("9900802.00", checksum=False)
    assert answer.startswith("98Y") and "AZ" not in answer[-8:]


def test_renew_all_lists_renewed_and_refused_items(sip):
    t = sip()
    t.login()
    for barcode in BARCODES[:2]:
        t.send(f"11NN{now18()}{' ' * 18}AODLL|AA{CARD}|AB{barcode}|AC|")
    for _ in range(2):                                  # the adult limit is two renewals
        assert t.send(f"29NN{now18()}{' ' * 18}AODLL|AA{CARD}|AB{BARCODES[0]}|"
                      ).startswith("301")
    out = t.send(f"65{now18()}AODLL|AA{CARD}|AC|")
    assert out.startswith("6610001") and out[7:11] == "0001", out
    f = fields(out, 29)
    assert f["BM"] == [BARCODES[1]] and f["BN"] == [BARCODES[0]]
    assert f["AF"][0].startswith(BARCODES[0] + ": ")


def test_a_cancelled_checkout_never_fires_another_readers_hold(sip):
    t = sip()
    t.login()
    assert t.send(f"11NN{now18()}{' ' * 18}AODLL|AA{CARD}|AB{BARCODES[0]}|AC|"
                  ).startswith("121")
    # another reader reserves the title, then the machine cancels the checkout it just made
    assert t.send(f"15+{now18()}BSbmt|AODLL|AA{CARD2}|AB{BARCODES[1]}|").startswith("161")
    out = t.send(f"09N{now18()}{now18()}APBMT-SANH|AODLL|AB{BARCODES[0]}|AC|BIY|")
    # undone (ok, resensitise, no alert): the loan is gone and the book was not captured
    assert out.startswith("101YUN"), out
    assert "huỷ" in fields(out, 24)["AF"][0].lower() or "hủy" in fields(out, 24)["AF"][0]
    assert active_loans(sip.engine) == 0
    info = t.send(f"63000{now18()}{' ' * 10}AODLL|AA{CARD2}|")
    assert info[37:41] == "0000" and info[57:61] == "0001"   # the hold still waits
    # a real return at the machine does serve the hold, and says so
    back = t.send(f"09N{now18()}{now18()}APBMT-SANH|AODLL|AB{BARCODES[0]}|AC|")
    assert back.startswith("101NUY"), back
    assert t.send(f"63000{now18()}{' ' * 10}AODLL|AA{CARD2}|")[37:41] == "0001"


def test_cancel_only_undoes_this_terminals_last_checkout(sip):
    t, other = sip(), sip()
    t.login()
    other.login()
    assert t.send(f"11NN{now18()}{' ' * 18}AODLL|AA{CARD}|AB{BARCODES[0]}|AC|"
                  ).startswith("121")
    assert t.send(f"11NN{now18()}{' ' * 18}AODLL|AA{CARD}|AB{BARCODES[1]}|AC|"
                  ).startswith("121")
    assert t.send(f"15+{now18()}BSbmt|AODLL|AA{CARD2}|AB{BARCODES[0]}|").startswith("161")
    # not the last checkout of this terminal: no undo, and a hold waits, so to the desk
    out = t.send(f"09N{now18()}{now18()}APBMT-SANH|AODLL|AB{BARCODES[0]}|AC|BIY|")
    assert out.startswith("100") and "quầy" in fields(out, 24)["AF"][0]
    # another connection cannot undo this terminal's checkout either
    out = other.send(f"09N{now18()}{now18()}APBMT-SANH|AODLL|AB{BARCODES[1]}|AC|BIY|")
    assert out.startswith("100") and active_loans(sip.engine) == 2, out
    assert t.send(f"11NN{now18()}{' ' * 18}AODLL|AA{CARD}|AB{BARCODES[2]}|AC|"
                  ).startswith("121")
    out = t.send(f"09N{now18()}{now18()}APBMT-SANH|AODLL|AB{BARCODES[2]}|AC|BIY|")
    assert out.startswith("101YUN") and active_loans(sip.engine) == 2, out
    assert loan_rows(sip.engine) == 2                   # the undone loan never happened


def loan_rows(engine):
    with db.session_factory(engine)() as session:
        return session.scalar(select(func.count(Loan.id)))

"""A SIP2 client we did not write (PyPI ``Sip2``) drives our SIP2 server: a self-check
machine logs in, identifies a reader, lends, renews and takes back books.

The real server runs on a free loopback port with the real circulation service on a
real SQL database (SQLite and PostgreSQL).

Two quirks of the client, read in its source (Sip2/wrapper.py): its ``_command_available``
refuses checkout and renew unless the *denied* flags of the patron status are ``Y`` (the
flags mean "privileges denied", so a spec-following server sends blanks), and
``sip_item_renew`` parses the 30 answer with the 66 (renew all) layout. So checkout and
renew go through the client's own lower layer (``Sip2.sip_checkout_request`` /
``sip_checkout_response``, ``sip_renew_request`` / ``sip_renew_response``), exactly what
the wrapper would send.
"""
import contextlib
import logging
import pathlib
import ssl
import subprocess
import sys
import time

import pytest
from sqlalchemy import select

from federation.members import ils_key
from federation.records import SearchQuery
from ils import db
from ils.catalogue.models import Item
from ils.circulation.service import CirculationService
from ils.readers.models import Reader
from tests.conftest import csrf_token
from tests.functional.test_sip2_staff import sites  # noqa: F401  (fixture)
from tests.unit.ils.test_sip2_server import (BARCODES, CARD, TERMINAL, TERMINAL_PASSWORD, TITLE,
                                             running_server, seed)

Sip2Wrapper = pytest.importorskip("Sip2.wrapper").Sip2Wrapper


def client(port, tmp_path):
    return Sip2Wrapper({
            "hostName": "127.0.0.1", "hostPort": port, "tlsEnable": False,
            "socketTimeout": 30, "institutionId": "DLL", "scLocation": "BMT-SANH",
            "logfile_path": str(tmp_path), "loglevel": "WARNING",
        }, True, "Sip2")


@pytest.fixture
def peer(engine, sql_backend, tmp_path):
    db.upgrade(engine)
    with db.session_factory(engine)() as session:
        seed(session)
    with running_server(engine) as server:
        wrapper = client(server.port, tmp_path)
        yield wrapper
        wrapper.disconnect()
        close_client_log()


def close_client_log():
    for handler in list(logging.getLogger("Sip2").handlers):   # the client's log file
        logging.getLogger("Sip2").removeHandler(handler)
        handler.close()


def check_out(machine, barcode):
    """A checkout (11) through the client's lower layer; its answer, parsed."""
    sip = machine.return_sip2()
    return sip.sip_checkout_response(sip.get_response(sip.sip_checkout_request(barcode)))


def service_loans(engine):
    with db.session_factory(engine)() as session:
        reader = session.scalar(select(Reader).where(Reader.card_number == CARD))
        return {loan.item.barcode: loan.due for loan in
                CirculationService(session, {}).loans(reader.id)}


def test_self_check_session_from_login_to_checkin(peer, engine):
    assert peer.login_device(TERMINAL, TERMINAL_PASSWORD, True) is True
    assert peer.return_sc_status()["variable"]["AO"] == ["DLL"]

    assert peer.login_patron(CARD) is True
    info = peer.sip_patron_information()
    assert info["variable"]["AE"] == ["Nguyễn Thị Hoa"]
    assert info["fixed"]["ChargedItemsCount"] == "0000"

    sip = peer.return_sip2()
    for barcode in BARCODES[:2]:
        out = check_out(peer, barcode)
        assert out["fixed"]["Ok"] == "1", out
        assert out["variable"]["AJ"] == [TITLE]
        assert out["variable"]["AH"][0][:8].isdigit()
    assert set(service_loans(engine)) == set(BARCODES[:2])
    assert sorted(peer.get_patron_chargedItems()) == sorted(BARCODES[:2])

    before = service_loans(engine)[BARCODES[0]]
    out = sip.sip_renew_response(sip.get_response(sip.sip_renew_request(BARCODES[0])))
    assert out["fixed"]["Ok"] == "1" and out["fixed"]["RenewalOk"] == "Y", out
    assert service_loans(engine)[BARCODES[0]] >= before

    # an item somebody else has: a clear refusal on the machine's screen
    peer.login_patron("DL999999")          # unknown card: the client sees an invalid patron
    assert peer._inPatronSession is False
    peer.login_patron(CARD)
    refused = check_out(peer, "NO-SUCH")
    assert refused["fixed"]["Ok"] == "0"
    assert "NO-SUCH" in refused["variable"]["AF"][0]

    back = peer.sip_item_checkin(BARCODES[1])
    assert back["fixed"]["Ok"] == "1"
    assert set(service_loans(engine)) == {BARCODES[0]}
    peer.sip_patron_session_end()


def test_wrong_terminal_password_is_a_failed_login(peer):
    with pytest.raises(RuntimeError):
        peer.login_device(TERMINAL, "not-the-password", True)


def test_loans_made_at_the_machine_appear_on_the_desk(sites, sql_backend, signed_in, tmp_path):
    engine = sites.registry["dbengine"]
    with db.session_factory(engine)() as session:
        seed(session)
    with running_server(engine) as server:
        machine = client(server.port, tmp_path)
        try:
            machine.login_device(TERMINAL, TERMINAL_PASSWORD, True)
            assert machine.login_patron(CARD) is True
            for barcode in BARCODES[:2]:
                out = check_out(machine, barcode)
                assert out["fixed"]["Ok"] == "1", out
        finally:
            machine.disconnect()
            close_client_log()
    desk = signed_in("thuthu-bmt", site_roles=[("bmt", "Librarian")])
    desk.post("/bmt/desk", {"action": "card", "card": CARD,
                            "csrf_token": csrf_token(desk, "/bmt/desk")}, status=303)
    page = desk.get("/bmt/desk")
    assert "Nguyễn Thị Hoa" in page.text
    for barcode in BARCODES[:2]:
        assert barcode in page.text
    assert BARCODES[2] not in page.text


def test_the_client_speaks_tls_to_a_self_signed_server(engine, tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    db.upgrade(engine)
    with db.session_factory(engine)() as session:
        seed(session)
    with running_server(engine, **{"sip2.tls_cert": str(cert),
                                   "sip2.tls_key": str(key)}) as server:
        machine = Sip2Wrapper({
            "hostName": "localhost", "hostPort": server.port, "tlsEnable": True,
            "tlsAcceptSelfsigned": True, "socketTimeout": 30, "institutionId": "DLL",
            "logfile_path": str(tmp_path), "loglevel": "WARNING"}, True, "Sip2")
        try:
            assert isinstance(machine.return_sip2()._socket, ssl.SSLSocket)
            assert machine.login_device(TERMINAL, TERMINAL_PASSWORD, True) is True
            assert machine.login_patron(CARD) is True
            back = machine.sip_item_checkin(BARCODES[0])
            assert back["fixed"]["Ok"] == "1"             # not on loan: returned to the shelf
        finally:
            machine.disconnect()
            close_client_log()


# --- the server as it runs in production: its own process, `serepok sip2 INI` ------------

def shelf(app):
    """Copies on the shelf at bmt, as a reader searching the union catalogue sees them."""
    found = app.registry["federation.search_index"]().search(SearchQuery(text=TITLE))
    if not found.total:
        return None
    return {h.library: h.available for h in found.hits[0].record.holdings}.get("bmt")


def wait_for(condition, seconds=60):
    """``condition()`` once it is true: the union catalogue is brought up to date by the
    server's process in the background, after the machine has its answer (a time limit
    against a hang, not a measure of speed)."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


@contextlib.contextmanager
def sip2_command(settings, tmp_path):
    """``serepok sip2 INI`` in a process of its own, on the portal's stores (the portal,
    in this process, keeps its ZODB FileStorage: the SIP2 server never opens it)."""
    ini = tmp_path / "sip2.ini"
    lines = ["[app:main]", "use = egg:serepok"]
    lines += [f"{key} = {value}".replace("%", "%%") for key, value in settings.items()]
    lines += ["sip2.host = 127.0.0.1", "sip2.port = 0"]
    ini.write_text("\n".join(lines) + "\n", encoding="utf-8")
    process = subprocess.Popen([str(pathlib.Path(sys.executable).with_name("serepok")), "sip2",
                                str(ini)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        first = process.stdout.readline()
        assert first.startswith("SIP2 (TCP) 127.0.0.1:"), (first, process.stderr.read())
        yield int(first.split()[2].rsplit(":", 1)[1])
    finally:
        process.terminate()
        _out, errors = process.communicate(timeout=30)
    assert process.returncode == 0, errors
    assert "Traceback" not in errors, errors


def test_loans_at_the_sip2_command_reach_the_union_catalogue(app, settings, sql_backend,
                                                             tmp_path):
    engine = app.registry["dbengine"]
    with db.session_factory(engine)() as session:
        seed(session)
        record_id = session.scalar(select(Item.record_id).where(Item.barcode == BARCODES[0]))
    app.registry["federation.union_pipeline"].process([ils_key(record_id)])
    assert shelf(app) == 3

    with sip2_command(settings, tmp_path) as port:
        machine = client(port, tmp_path)
        try:
            assert machine.login_device(TERMINAL, TERMINAL_PASSWORD, True) is True
            assert machine.login_patron(CARD) is True
            for barcode in BARCODES[:2]:
                out = check_out(machine, barcode)
                assert out["fixed"]["Ok"] == "1", out
            assert wait_for(lambda: shelf(app) == 1), shelf(app)
            assert machine.sip_item_checkin(BARCODES[1])["fixed"]["Ok"] == "1"
            assert wait_for(lambda: shelf(app) == 2), shelf(app)
        finally:
            machine.disconnect()
            close_client_log()

"""Answers to SIP2 messages, through the circulation service (``ICirculation``).

``Responder.respond(line, conn)`` takes one received line and returns the bytes
to send back. Each message that touches the database runs in one transaction
of its own (a fresh session): committed when the answer is "done", rolled
back when the circulation service refuses (``CirculationError``) or anything
fails, so nothing is ever half-written. A refusal becomes a SIP2 answer with
``ok`` = 0 (or ``BL``/``CQ`` = N for an unknown card or a wrong password) and
a screen message (``AF``) in the terminal's language, Vietnamese by default.
"""
import contextlib
import datetime
import logging
import threading

import transaction
from argon2.exceptions import InvalidHashError, VerificationError
from pyramid.i18n import TranslationString, TranslationStringFactory
from sqlalchemy import func, select

from ..catalogue.models import Item, ItemStatus
from ..circulation.interfaces import CirculationError
from . import codec
from .models import Terminal

_ = TranslationStringFactory("serepok")
log = logging.getLogger(__name__)

# the 16 "supported messages" flags of 98 (BX), in the spec's order:
# patron status, checkout, checkin, block patron, SC/ACS status, resend, login,
# patron information, end session, fee paid, item information, item status update,
# patron enable, hold, renew, renew all
SUPPORTED = "YYYNYYYYYNYNNYYY"

# SIP2 circulation status (18) of our item states
CIRCULATION_STATUS = {
    ItemStatus.AVAILABLE: "03", ItemStatus.ON_LOAN: "04", ItemStatus.ON_HOLD_SHELF: "08",
    ItemStatus.IN_TRANSIT: "10", ItemStatus.IN_PROCESSING: "06",
    ItemStatus.NOT_FOR_LOAN: "01", ItemStatus.DAMAGED: "01", ItemStatus.MISSING: "13",
    ItemStatus.LOST: "12", ItemStatus.WITHDRAWN: "01",
}

# SIP2 language codes (fixed field) that ask for English; anything else: the terminal's
ENGLISH_CODES = {"001", "024"}

MSG_NOT_LOGGED_IN = _("This terminal has not logged in.")
MSG_SYSTEM = _("The library system could not do this now. Please ask at the desk.")
MSG_UNKNOWN_CARD = _("This library card is not known.")
MSG_BAD_PASSWORD = _("The card's password is wrong.")
MSG_NEED_PASSWORD = _("Please enter the card's password.")
MSG_NOT_ON_LOAN = _("This item was not on loan.")
MSG_HOLD_SHELF = _("Put this item aside: it is reserved for a reader.")
MSG_TITLE_RENEWAL = _("Renewal by title is not possible here: scan the item.")
MSG_GOODBYE = _("Thank you. Goodbye.")
MSG_NOT_HERE = _("This is not done at a self-check machine: please ask at the desk.")
MSG_CANCEL_AT_DESK = _("This loan cannot be undone at the machine: please take the item to "
                       "the desk.")
MSG_ITEM_UNKNOWN = _("This item is not known.")
MSG_CHECKOUT_CANCELLED = _("The loan is cancelled: the item stays with the library.")


def default_translate(message, language):
    """English (the msgids) when no catalogue is at hand."""
    if isinstance(message, TranslationString):
        mapping = {k: default_translate(v, language) for k, v in (message.mapping or {}).items()}
        return TranslationString(str(message), default=message.default,
                                 mapping=mapping).interpolate()
    return str(message)


class Connection:
    """What the server knows about one connected terminal."""

    def __init__(self, address=""):
        self.address = address
        self.terminal = None          # a dict snapshot of the Terminal after login
        self.last_response = None
        self.failed_logins = 0
        self.bad_messages = 0
        self.verified = set()         # (reader id, sha256 of the password) checked once
        self.closing = False
        self.last_checkout = None     # barcode of the checkout just made (a cancel may follow)


class Responder:
    """Turns requests into answers. ``session_factory``: a SQLAlchemy sessionmaker;
    ``circulation``: callable(dbsession) -> ICirculation; ``hasher``: argon2
    PasswordHasher; ``translate``: callable(TranslationString, 'vi'|'en') -> str."""

    MAX_FAILED_LOGINS = 5
    MAX_BAD_MESSAGES = 10

    def __init__(self, session_factory, circulation, hasher, translate=default_translate,
                 library_name="", clock=None):
        self.session_factory = session_factory
        # SQLite has one writer at a time: the terminals' transactions queue on a lock here
        # instead of meeting SQLite's busy handler, which sleeps in steps of up to 100 ms
        bind = session_factory.kw.get("bind")
        self.writer_lock = (threading.Lock() if bind is not None
                            and bind.dialect.name == "sqlite" else contextlib.nullcontext())
        self.circulation = circulation
        self.hasher = hasher
        self.translate = translate
        self.library_name = library_name
        self.clock = clock or (lambda: datetime.datetime.now(datetime.timezone.utc))

    # --- plumbing --------------------------------------------------------------------------

    @contextlib.contextmanager
    def unit(self):
        """One transaction: (dbsession, circulation service); commit on success.
        What it changes in the catalogue (a copy lent or back) reaches the union
        catalogue after the answer, not before (``in_background``)."""
        from federation.subscribers import in_background

        from .. import db
        with self.writer_lock:
            tm = transaction.TransactionManager(explicit=True)
            tm.begin()
            in_background(tm)
            session = db.tm_session(self.session_factory, tm)
            try:
                yield session, self.circulation(session)
            except BaseException:
                tm.abort()
                raise
            else:
                tm.commit()
            finally:
                session.close()

    def respond(self, raw, conn):
        """The bytes to send for one received line (bytes, terminator removed)."""
        text = codec.decode(raw)
        try:
            message = codec.parse(text, strict_fields=False)
        except codec.ChecksumError:
            conn.bad_messages += 1
            return self._closing_if_too_many(conn, codec.format_message("96"))
        except codec.SipError as exc:
            conn.bad_messages += 1
            log.info("SIP2 %s: unusable message (%s)", conn.address, exc)
            return self._closing_if_too_many(conn, codec.format_message("96"))
        errors = "AZ" in text[-8:]
        if message.code == "97":
            conn.bad_messages = 0
            return conn.last_response or codec.format_message("96")
        handler = getattr(self, "do_" + message.name)
        _n, _layout, required = codec.REQUESTS[message.code]
        missing = [f for f in required if f not in message.fields]
        if message.code != "93" and message.code != "99" and conn.terminal is None:
            code, fixed, fields = self.refusal(message, conn, MSG_NOT_LOGGED_IN)
        elif missing:
            code, fixed, fields = self.refusal(
                message, conn, _("The message lacks the field ${fields}.",
                                 mapping={"fields": ", ".join(missing)}))
        else:
            try:
                code, fixed, fields = handler(message, conn)
            except Exception:
                log.exception("SIP2 %s: %s failed", conn.address, message.name)
                code, fixed, fields = self.refusal(message, conn, MSG_SYSTEM)
        conn.bad_messages = 0
        response = codec.format_message(code, fixed, fields, sequence=message.sequence,
                                        error_detection=errors)
        conn.last_response = response
        return response

    def _closing_if_too_many(self, conn, response):
        if conn.bad_messages >= self.MAX_BAD_MESSAGES:
            conn.closing = True
        return response

    def lang(self, message, conn):
        code = message.fixed.get("language", "")
        if code in ENGLISH_CODES:
            return "en"
        return (conn.terminal or {}).get("language") or "vi"

    def say(self, message, conn, text):
        return self.translate(text, self.lang(message, conn))

    def now(self):
        return self.clock()

    def date(self, moment=None):
        return codec.sip_date(moment or self.now())

    def institution(self, message, conn):
        return (conn.terminal or {}).get("institution_id") or message.get("AO")

    # --- refusals ---------------------------------------------------------------------------

    def refusal(self, message, conn, text, print_line=None):
        """The message type's own answer meaning "no", with ``text`` on the screen."""
        af = self.say(message, conn, text)
        ag = self.say(message, conn, print_line) if print_line is not None else None
        ao = self.institution(message, conn)
        date = self.date()
        code = message.code
        if code == "93":
            return "94", ["0"], [("AF", af)]
        if code == "99":
            return self._status(message, conn, online=False, screen=af)
        if code in ("23", "63", "01", "25"):
            status = "Y" * 4 + " " * 10
            fixed = [status, message.fixed.get("language", "000"), date]
            if code == "63":
                fixed += ["0000"] * 6
            answer = {"23": "24", "63": "64", "01": "24", "25": "26"}[code]
            return answer, fixed, [
                ("AO", ao), ("AA", message.get("AA")), ("AE", ""), ("BL", "N"), ("AF", af),
                ("AG", ag)]
        if code in ("11", "29"):
            return str(int(code) + 1), ["0", "N", "U", "N", date], [
                ("AO", ao), ("AA", message.get("AA")), ("AB", message.get("AB")),
                ("AJ", ""), ("AH", ""), ("AF", af), ("AG", ag)]
        if code == "09":
            return "10", ["0", "N", "U", "N", date], [
                ("AO", ao), ("AB", message.get("AB")), ("AQ", ""), ("AF", af), ("AG", ag)]
        if code == "17":
            return "18", ["01", "00", "01", date], [
                ("AB", message.get("AB")), ("AJ", ""), ("AF", af), ("AG", ag)]
        if code == "35":
            return "36", ["N", date], [("AO", ao), ("AA", message.get("AA")), ("AF", af)]
        if code == "15":
            return "16", ["0", "N", date], [("AO", ao), ("AA", message.get("AA")),
                                            ("AF", af)]
        if code == "19":
            return "20", ["0", date], [("AB", message.get("AB")), ("AF", af)]
        if code == "37":
            return "38", ["N", date], [("AO", ao), ("AA", message.get("AA")), ("AF", af)]
        if code == "65":
            return "66", ["0", "0000", "0000", date], [("AO", ao), ("AF", af)]
        raise AssertionError(code)

    # --- login and status -------------------------------------------------------------------

    def do_login(self, message, conn):
        login = message.get("CN").strip()
        password = message.get("CO")
        with self.unit() as (db, _circ):
            terminal = (db.scalar(select(Terminal).where(Terminal.login == login))
                        if login else None)
            known = terminal is not None and terminal.enabled
            digest = terminal.password_hash if known else self._dummy()
        # argon2 outside the transaction: a login never holds up the other terminals
        try:
            ok = self.hasher.verify(digest, password or "x") and known
        except (VerificationError, InvalidHashError):
            ok = False
        if ok:
            with self.unit() as (db, _circ):
                terminal = db.get(Terminal, terminal.id)
                ok = terminal is not None and terminal.enabled
                if ok:
                    terminal.last_seen = self.now()
                    terminal.last_address = conn.address[:60]
                    conn.terminal = {
                        "id": terminal.id, "login": terminal.login, "site": terminal.site,
                        "institution_id": terminal.institution_id,
                        "language": terminal.language, "name": terminal.name,
                        "location_code": terminal.location_code,
                        "patron_password_required": terminal.patron_password_required,
                    }
        if not ok:
            conn.terminal = None
            conn.failed_logins += 1
            if conn.failed_logins >= self.MAX_FAILED_LOGINS:
                conn.closing = True
            log.warning("SIP2 %s: failed login %r", conn.address, login)
            return "94", ["0"], []
        conn.failed_logins = 0
        return "94", ["1"], []

    _dummy_hash = None

    def _dummy(self):
        if Responder._dummy_hash is None:
            Responder._dummy_hash = self.hasher.hash("serepok-sip2-timing-equaliser")
        return Responder._dummy_hash

    def do_sc_status(self, message, conn):
        return self._status(message, conn, online=conn.terminal is not None)

    def _status(self, message, conn, online, screen=None):
        t = conn.terminal or {}
        yes = "Y" if online else "N"
        fixed = [yes, yes, yes, yes, "N", "N", "100", "003", self.date(), "2.00"]
        fields = [("AO", self.institution(message, conn)), ("AM", self.library_name or None),
                  ("BX", SUPPORTED if online else "N" * 16), ("AN", t.get("location_code", "")),
                  ("AF", screen if screen is not None else
                   (None if online else self.say(message, conn, MSG_NOT_LOGGED_IN)))]
        return "98", fixed, fields

    # --- patrons ----------------------------------------------------------------------------

    def _patron(self, db, circ, message, conn):
        """(reader, password_ok, refusal text or None). password_ok: True/False, or None when
        no password was given and none is required."""
        reader = circ.find_reader(message.get("AA").strip())
        if reader is None:
            return None, None, MSG_UNKNOWN_CARD
        password = message.get("AD")
        if not password:
            if (conn.terminal or {}).get("patron_password_required"):
                return reader, False, MSG_NEED_PASSWORD
            return reader, None, None
        ok = self._verify_reader_password(db, reader, password, conn)
        return reader, ok, (None if ok else MSG_BAD_PASSWORD)

    def _verify_reader_password(self, db, reader, password, conn):
        """Checks the reader's portal password; a success is remembered for this connection
        (the machine repeats AD in every message of the patron's session: one argon2 check)."""
        import hashlib
        from ..accounts.models import User
        key = (reader.id, hashlib.sha256(password.encode("utf-8")).hexdigest())
        if key in conn.verified:
            return True
        user = db.get(User, reader.user_id) if reader.user_id else None
        try:
            if user is None or not user.active:
                self.hasher.verify(self._dummy(), password)
                return False
            ok = self.hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        if ok:
            conn.verified = {key}
        return ok

    def do_patron_status(self, message, conn):
        return self._patron_answer(message, conn, information=False)

    def do_patron_information(self, message, conn):
        return self._patron_answer(message, conn, information=True)

    def _patron_answer(self, message, conn, information):
        from .patrons import patron_response
        with self.unit() as (db, circ):
            reader, password_ok, problem = self._patron(db, circ, message, conn)
            if reader is None:
                return self.refusal(message, conn, problem)
            summary = circ.reader_summary(reader.id, now=self.now())
            return patron_response(self, message, conn, reader, summary, password_ok, problem,
                                   information)

    def do_end_session(self, message, conn):
        conn.verified = set()
        return "36", ["Y", self.date()], [
            ("AO", self.institution(message, conn)), ("AA", message.get("AA")),
            ("AF", self.say(message, conn, MSG_GOODBYE))]

    # --- items ------------------------------------------------------------------------------

    def _title(self, db, item_id):
        """The title of an item's record (one narrow query, not the whole MARC row)."""
        from ..catalogue.models import BibRecord
        if item_id is None:
            return ""
        return db.scalar(select(BibRecord.title).join(Item, Item.record_id == BibRecord.id)
                         .where(Item.id == item_id)) or ""

    def do_item_information(self, message, conn):
        from ..circulation.models import Hold, Loan, OPEN_HOLD_STATES
        barcode = message.get("AB").strip()
        with self.unit() as (db, _circ):
            item = db.scalar(select(Item).where(Item.barcode == barcode))
            if item is None:
                return self.refusal(message, conn, MSG_ITEM_UNKNOWN)
            loan = db.scalar(select(Loan).where(Loan.item_id == item.id,
                                                Loan.returned_at.is_(None)))
            queue = db.scalar(select(func.count(Hold.id)).where(
                Hold.bib_record_id == item.record_id, Hold.status.in_(OPEN_HOLD_STATES))) or 0
            status = "04" if loan is not None else CIRCULATION_STATUS.get(item.status, "01")
            return "18", [status, "00", "01", self.date()], [
                ("CF", str(queue)), ("AH", codec.sip_date(loan.due) if loan else None),
                ("AB", item.barcode), ("AJ", self._title(db, item.id)), ("BG", item.library),
                ("AQ", item.library), ("AP", item.location or item.library), ("CK", "001"),
                ("CH", item.call_number or None)]

    def _due_line(self, message, conn, title, due):
        due_text = due.strftime("%d/%m/%Y") if due else ""
        return self.say(message, conn, _("${title}: due ${due}.",
                                         mapping={"title": title, "due": due_text}))

    def _circulation_refusal(self, message, conn, exc):
        return self.refusal(message, conn, exc.message)

    def do_checkout(self, message, conn):
        barcode = message.get("AB").strip()
        t = conn.terminal
        conn.last_checkout = None
        try:
            with self.unit() as (db, circ):
                reader, password_ok, problem = self._patron(db, circ, message, conn)
                if problem is not None:
                    return self.refusal(message, conn, problem)
                loan = circ.checkout(reader.id, barcode, t["site"], "sip2:" + t["login"],
                                     now=self.now())
                title = self._title(db, loan.item_id)
                answer = "12", ["1", "N", "U", "Y", self.date()], [
                    ("AO", self.institution(message, conn)), ("AA", message.get("AA")),
                    ("AB", barcode), ("AJ", title), ("AH", codec.sip_date(loan.due)),
                    ("CK", "001"), ("AF", self._due_line(message, conn, title, loan.due)),
                    ("AG", self._due_line(message, conn, title, loan.due))]
        except CirculationError as exc:
            return self._circulation_refusal(message, conn, exc)
        conn.last_checkout = barcode
        return answer

    def do_renew(self, message, conn):
        barcode = message.get("AB").strip()
        t = conn.terminal
        if not barcode:
            return self.refusal(message, conn, MSG_TITLE_RENEWAL)
        try:
            with self.unit() as (db, circ):
                reader, password_ok, problem = self._patron(db, circ, message, conn)
                if problem is not None:
                    return self.refusal(message, conn, problem)
                loan = circ.renew(barcode, "sip2:" + t["login"], reader_id=reader.id,
                                  now=self.now())
                title = self._title(db, loan.item_id)
                answer = "30", ["1", "Y", "U", "Y", self.date()], [
                    ("AO", self.institution(message, conn)), ("AA", message.get("AA")),
                    ("AB", barcode), ("AJ", title), ("AH", codec.sip_date(loan.due)),
                    ("CK", "001"), ("AF", self._due_line(message, conn, title, loan.due)),
                    ("AG", self._due_line(message, conn, title, loan.due))]
        except CirculationError as exc:
            return self._circulation_refusal(message, conn, exc)
        return answer

    def do_checkin(self, message, conn):
        barcode = message.get("AB").strip()
        t = conn.terminal
        just_lent, conn.last_checkout = conn.last_checkout, None
        if message.get("BI") == "Y" and barcode and barcode == just_lent:
            return self._cancel_checkout(message, conn, barcode)
        try:
            with self.unit() as (db, circ):
                result = circ.checkin(barcode, t["site"], "sip2:" + t["login"], now=self.now())
                item = result.get("item") or db.scalar(
                    select(Item).where(Item.barcode == barcode))
                title = self._title(db, item.id if item is not None else None)
                loan, hold, transit = result.get("loan"), result.get("hold"), result.get(
                    "transit_to")
                if message.get("BI") == "Y" and (hold is not None or transit):
                    # "cancel": the machine undoes a checkout it could not finish, and the
                    # book is still in front of it. Taking it for another reader's hold (and
                    # telling them it is ready) would be wrong: undo all, send to the desk.
                    raise CirculationError("cancel_refused", MSG_CANCEL_AT_DESK)
                alert = hold is not None or bool(transit)
                if transit:
                    screen = _("Put this item aside: it goes to ${site}.",
                               mapping={"site": transit})
                elif hold is not None:
                    screen = MSG_HOLD_SHELF
                elif loan is None:
                    screen = MSG_NOT_ON_LOAN
                else:
                    screen = _("Returned: ${title}.", mapping={"title": title})
                patron = ""
                if loan is not None and loan.reader_id is not None:
                    from ..readers.models import Reader
                    reader = db.get(Reader, loan.reader_id)
                    patron = reader.card_number if reader is not None else ""
                answer = "10", ["1", "N" if alert else "Y", "U", "Y" if alert else "N",
                                self.date()], [
                    ("AO", self.institution(message, conn)), ("AB", barcode),
                    ("AQ", item.library if item is not None else ""), ("AJ", title),
                    ("AA", patron or None), ("CK", "001"),
                    ("AF", self.say(message, conn, screen))]
        except CirculationError as exc:
            return self._circulation_refusal(message, conn, exc)
        return answer

    def _cancel_checkout(self, message, conn, barcode):
        """Checkin with ``BI`` = Y right after this terminal lent the item: the machine could
        not finish the checkout. Undo the loan (no other reader's hold is served)."""
        t = conn.terminal
        try:
            with self.unit() as (db, circ):
                result = circ.cancel_checkout(barcode, t["site"], "sip2:" + t["login"],
                                              now=self.now())
                item = result["item"]
                title = self._title(db, item.id)
                patron = ""
                if result["reader_id"] is not None:
                    from ..readers.models import Reader
                    reader = db.get(Reader, result["reader_id"])
                    patron = reader.card_number if reader is not None else ""
                answer = "10", ["1", "Y", "U", "N", self.date()], [
                    ("AO", self.institution(message, conn)), ("AB", barcode),
                    ("AQ", item.library), ("AJ", title), ("AA", patron or None),
                    ("CK", "001"), ("AF", self.say(message, conn, MSG_CHECKOUT_CANCELLED))]
        except CirculationError as exc:
            return self._circulation_refusal(message, conn, exc)
        return answer

    def do_renew_all(self, message, conn):
        t = conn.terminal
        with self.unit() as (db, circ):
            reader, password_ok, problem = self._patron(db, circ, message, conn)
            if problem is not None:
                return self.refusal(message, conn, problem)
            done, refused, screens = [], [], []
            for loan, error in circ.renew_all(reader.id, "sip2:" + t["login"], now=self.now()):
                barcode = db.scalar(select(Item.barcode).where(Item.id == loan.item_id))
                (refused if error is not None else done).append(barcode)
                if error is not None and len(screens) < 3:
                    screens.append(("AF", f"{barcode}: {self.say(message, conn, error.message)}"))
            return "66", ["1", f"{min(len(done), 9999):04d}", f"{min(len(refused), 9999):04d}",
                          self.date()], [
                ("AO", self.institution(message, conn)),
                *[("BM", b) for b in done], *[("BN", b) for b in refused], *screens]

    def not_here(self, message, conn):
        return self.refusal(message, conn, MSG_NOT_HERE)

    do_block_patron = do_item_status_update = do_patron_enable = do_fee_paid = not_here

    def do_hold(self, message, conn):
        from .patrons import hold_answer
        try:
            with self.unit() as (db, circ):
                reader, password_ok, problem = self._patron(db, circ, message, conn)
                if problem is not None:
                    return self.refusal(message, conn, problem)
                answer = hold_answer(self, db, circ, message, conn, reader)
        except CirculationError as exc:
            return self._circulation_refusal(message, conn, exc)
        return answer

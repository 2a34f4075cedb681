"""Patron status (24), patron information (64) and hold (16) answers.

The circulation service's ``reader_summary`` gives the loans, holds, blocks and
fines; this module turns them into the SIP2 patron status flags, the six item
counts and the item lists the terminal asked for (``summary`` field of 63,
``BP``/``BQ`` range). Only the name leaves the library: no address, e-mail or
phone number is sent to a machine in a public hall.
"""
from pyramid.i18n import TranslationStringFactory
from sqlalchemy import select

from ..catalogue.models import Item
from ..circulation.interfaces import CirculationError
from ..circulation.rules import local_today
from . import codec

_ = TranslationStringFactory("serepok")

def _get(obj, name, default=None):
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _loan_of(entry):
    """A loan entry of the summary: a Loan, or a dict holding one under ``loan``."""
    if isinstance(entry, dict):
        return entry.get("loan", entry)
    return entry


def _is_overdue(entry, today):
    flag = _get(entry, "overdue")
    if flag is not None:
        return bool(flag)
    due = _get(_loan_of(entry), "due")
    return due is not None and due < today


def _barcode(loan):
    item = _get(loan, "item")
    return _get(item, "barcode", "") if item is not None else _get(loan, "barcode", "")


def _hold_label(entry):
    hold = entry.get("hold", entry) if isinstance(entry, dict) else entry
    item = _get(hold, "captured_item") or _get(hold, "item")
    if item is not None:
        return _get(item, "barcode", "")
    record = _get(hold, "record")
    return _get(record, "title", "") if record is not None else ""


def _hold_ready(entry):
    hold = entry.get("hold", entry) if isinstance(entry, dict) else entry
    status = _get(hold, "status")
    return getattr(status, "value", status) == "ready"


def _block_reasons(summary):
    """The precise reasons of the reader's blocks (``reader_overdue``, ``reader_blocked``…)."""
    reasons = set()
    if "block_errors" in summary:
        for error in summary["block_errors"]:
            reasons.add(error.details.get("reason", error.code))
        return reasons
    for block in summary.get("blocks") or ():
        reasons.add(str(block[0] if isinstance(block, (tuple, list)) else block))
    return reasons


def _block_messages(summary):
    return [block[1] for block in summary.get("blocks") or ()
            if isinstance(block, (tuple, list)) and len(block) > 1]


def _range(message, count):
    """0-based slice of the items the terminal asked for (BP..BQ, 1-based, inclusive)."""
    def number(field, default):
        value = message.get(field).strip()
        return int(value) if value.isdigit() and int(value) > 0 else default
    start = number("BP", 1)
    end = number("BQ", count)
    return slice(start - 1, max(start - 1, end))


def patron_response(responder, message, conn, reader, summary, password_ok, problem,
                    information):
    today = local_today(responder.now())
    loans = list(summary.get("loans") or ())
    holds = list(summary.get("holds") or ())
    reasons = _block_reasons(summary)
    hard = bool(reasons - {"reader_overdue", "loan_limit"}) or (
        reader.status.value != "active") or reader.is_expired(today)
    overdue = [e for e in loans if _is_overdue(e, today)]
    fines = summary.get("fines_total") or 0
    status = [" "] * 14
    if hard or reasons or password_ok is False:
        status[0] = "Y"                 # a machine cannot override any block
    if hard or password_ok is False:
        status[1] = status[3] = "Y"     # renewals and holds stay open to overdue readers
    if "loan_limit" in reasons:
        status[5] = "Y"
    if "reader_overdue" in reasons:
        status[6] = "Y"
    if fines:
        status[10] = "Y"
    language = message.fixed.get("language", "000")
    fixed = ["".join(status), language, responder.date()]
    ready = [h for h in holds if _hold_ready(h)]
    waiting = [h for h in holds if not _hold_ready(h)]
    if information:
        fixed += [f"{min(n, 9999):04d}" for n in (len(ready), len(overdue), len(loans), 0, 0,
                                                  len(waiting))]
    screens = [problem] if problem is not None else _block_messages(summary)
    fields = [("AO", responder.institution(message, conn)), ("AA", message.get("AA")),
              ("AE", reader.full_name), ("BL", "Y")]
    if password_ok is not None:
        fields.append(("CQ", codec.flag(password_ok)))
    fields += [("BH", "VND"), ("BV", str(int(fines)))]
    if information and password_ok is not False:
        asked = message.fixed.get("summary", "")
        lists = [("AS", [_hold_label(h) for h in ready]),
                 ("AT", [_barcode(_loan_of(e)) for e in overdue]),
                 ("AU", [_barcode(_loan_of(e)) for e in loans]),
                 ("AV", []), ("BU", []),
                 ("CD", [_hold_label(h) for h in waiting])]
        for position, (field_id, values) in enumerate(lists):
            if asked[position:position + 1] == "Y":
                fields += [(field_id, v) for v in values[_range(message, len(values))]]
                break       # the spec: one list per request
    for screen in screens[:3]:
        fields.append(("AF", responder.say(message, conn, screen)))
    return ("64" if information else "24"), fixed, fields


def hold_answer(responder, db, circ, message, conn, reader):
    """15 → 16: ``+`` places a hold (a title hold on the scanned copy's record, or the copy
    itself when ``BY`` is 2), ``-`` cancels the reader's hold on it, ``*`` moves the pickup."""
    mode = message.fixed.get("hold_mode", "")
    t = conn.terminal
    actor = "sip2:" + t["login"]
    pickup = message.get("BS").strip() or t["site"]
    barcode = message.get("AB").strip()
    item = db.scalar(select(Item).where(Item.barcode == barcode)) if barcode else None
    base = [("AO", responder.institution(message, conn)), ("AA", message.get("AA"))]
    if item is None:
        return responder.refusal(message, conn, _("This item is not known."))
    title = item.record.title if item.record is not None else ""
    if mode == "+":
        if message.get("BY") == "2":
            hold = circ.place_hold(reader.id, pickup, actor, barcode=barcode,
                                   now=responder.now())
        else:
            hold = circ.place_hold(reader.id, pickup, actor, bib_record_id=item.record_id,
                                   now=responder.now())
        position = _get(hold, "position")
        screen = _("Reserved for pickup at ${site}.", mapping={"site": pickup})
        return "16", ["1", "N", responder.date()], [
            ("BR", str(position) if position else None), ("BS", pickup), *base,
            ("AB", barcode), ("AJ", title), ("AF", responder.say(message, conn, screen))]
    mine = [h for h in circ.holds(reader.id)
            if _get(h.get("hold", h) if isinstance(h, dict) else h, "bib_record_id")
            == item.record_id]
    if mode in ("-", "*") and mine:
        hold = mine[0].get("hold", mine[0]) if isinstance(mine[0], dict) else mine[0]
        if mode == "-":
            circ.cancel_hold(hold.id, actor, reader_id=reader.id)
            screen = _("The reservation is cancelled.")
        else:
            circ.change_pickup(hold.id, pickup, actor, reader_id=reader.id)
            screen = _("Reserved for pickup at ${site}.", mapping={"site": pickup})
        return "16", ["1", "N", responder.date()], [
            ("BS", pickup), *base, ("AB", barcode), ("AJ", title),
            ("AF", responder.say(message, conn, screen))]
    if mode in ("-", "*"):
        raise CirculationError("hold_unknown", _("There is no reservation of this title."))
    return responder.refusal(message, conn,
                             _("This kind of reservation change is not possible here."))


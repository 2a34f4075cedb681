"""Loans, holds and digital loans over JSON: ``/api/v1/loans``, ``/holds``, ``/digital-loans``.

A reader (bearer token or session) sees and changes only their own account:
the reader is the one linked to the signed-in user. Staff act for a reader of
their choice (``?reader=`` / ``"reader"`` in the body, the card number or the
reader id) and, for checkouts, at a site where they hold a staff role; a
checkout is a staff action. Refusals of the circulation service are 409
``Conflict`` with ``error.code`` (the stable code of ``CirculationError``).
"""
import datetime

from pyramid.i18n import TranslationStringFactory
from pyramid.view import exception_view_config, view_config
from sqlalchemy import select

from ils.circulation.interfaces import CirculationError, ICirculation
from ils.circulation.models import DigitalLoan, DigitalWait, Hold, Loan
from ils.readers.models import Reader
from repository.security import Permission

from .http import ApiError, api_error_view, invalid, isoformat, json_body, limit

_ = TranslationStringFactory("serepok")

PREFIX = "/api/v1"


def staff_sites(request):
    return [s for s in request.root.sites()
            if request.has_permission(str(Permission.STAFF), s)]


def own_reader(request):
    user = request.identity
    if user is None:
        raise ApiError(401, "Unauthorized", _("Sign in first."),
                       headers={"WWW-Authenticate": 'Bearer realm="serepok"'})
    return request.dbsession.scalar(select(Reader).where(Reader.user_id == user.id))


def acting_for(request, given=None):
    """(reader, staff site names): the reader this request acts for."""
    me = own_reader(request)
    sites = staff_sites(request)
    if given in (None, ""):
        given = request.GET.get("reader", "")
    if given not in (None, "") and sites:
        circ = request.find_service(ICirculation)
        reader = circ.find_reader(str(given))
        if reader is None and str(given).isdigit():
            reader = request.dbsession.get(Reader, int(given))
        if reader is None:
            raise ApiError(404, "NotFound", _("No reader has this card number or ID number."))
        return reader, [s.__name__ for s in sites]
    if me is None:
        raise ApiError(403, "Forbidden", _("This account has no reader card."))
    return me, []


class Refused(ApiError):
    """A refusal of the circulation service: 409 with ``error.code``."""

    def __init__(self, error):
        super().__init__(409, "Conflict", error.message)
        self.code = error.code
        self.overridable = error.overridable


@exception_view_config(Refused, renderer="json")
def refused_view(exc, request):
    body = api_error_view(exc, request)
    body["error"]["code"] = exc.code
    body["error"]["overridable"] = exc.overridable
    return body


def refused(request, error):
    return Refused(error)


def call(request, func, *args, **kw):
    try:
        return func(*args, **kw)
    except CirculationError as error:
        raise refused(request, error)


def loan_json(request, loan):
    item = loan.item
    return {
        "@id": request.route_url("api_loan", id=loan.id), "@type": "Loan", "id": loan.id,
        "barcode": item.barcode, "title": item.record.title, "record_id": item.record_id,
        "site": loan.site, "out": isoformat(loan.out_at), "due": loan.due.isoformat(),
        "returned": isoformat(loan.returned_at), "renewals": loan.renewals,
        "renew": request.route_url("api_loan_renew", id=loan.id),
    }


def hold_json(request, hold):
    return {
        "@id": request.route_url("api_hold", id=hold.id), "@type": "Hold", "id": hold.id,
        "record_id": hold.bib_record_id, "title": hold.record.title,
        "barcode": hold.item.barcode if hold.item_id else None,
        "pickup_site": hold.pickup_site, "status": hold.status.value,
        "position": getattr(hold, "position", None), "placed": isoformat(hold.placed_at),
        "ready_until": hold.ready_until.isoformat() if hold.ready_until else None,
        "not_needed_after": (hold.not_needed_after.isoformat() if hold.not_needed_after
                             else None),
        "cancel": request.route_url("api_hold_cancel", id=hold.id),
    }


def digital_json(request, entry):
    if isinstance(entry, DigitalWait):
        return {"@id": request.route_url("api_digital_loans") + f"#wait-{entry.id}",
                "@type": "DigitalWait", "id": entry.id, "item_uid": entry.licence.item_uid,
                "title": entry.licence.title, "joined": isoformat(entry.joined),
                "position": getattr(entry, "position", None)}
    return {"@id": request.route_url("api_digital_loan", id=entry.id), "@type": "DigitalLoan",
            "id": entry.id, "item_uid": entry.licence.item_uid, "title": entry.licence.title,
            "started": isoformat(entry.started), "expires": isoformat(entry.expires),
            "return": request.route_url("api_digital_loan_return", id=entry.id)}


def listing(request, type_, route, items):
    return {"@id": request.route_url(route), "@type": type_, "items": items,
            "items_total": len(items)}


def fields(data, allowed, required=()):
    errors = {k: _("Unknown field.") for k in data if k not in allowed}
    for name in required:
        if not isinstance(data.get(name), (str, int)) or data.get(name) in ("", None):
            errors[name] = _("This field is required.")
    if errors:
        raise invalid(errors)


def number(value, name):
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 10 ** 9:
        return value
    if isinstance(value, str) and value.isdigit() and len(value) < 10:
        return int(value)
    raise invalid({name: _("Must be a whole number from ${low} to ${high}.",
                           mapping={"low": 1, "high": 10 ** 9 - 1})})


# ------------------------------------------------------------------- loans
@view_config(route_name="api_loans", request_method="GET", renderer="json")
def list_loans(request):
    reader, _sites = acting_for(request)
    circ = request.find_service(ICirculation)
    history = request.GET.get("history") == "1"
    return listing(request, "Loans", "api_loans",
                   [loan_json(request, l) for l in circ.loans(reader.id, active=not history)])


@view_config(route_name="api_loans", request_method="POST", renderer="json")
def create_loan(request):
    """A checkout: staff only, at a site where they work."""
    limit(request, "api_write")
    data = json_body(request)
    fields(data, ("reader", "barcode", "site", "override"), ("reader", "barcode", "site"))
    reader, sites = acting_for(request, data["reader"])
    if data["site"] not in sites:
        raise ApiError(403, "Forbidden", _("Only staff of this site may lend its items."))
    circ = request.find_service(ICirculation)
    loan = call(request, circ.checkout, reader.id, str(data["barcode"]), data["site"],
                request.identity.login, override=data.get("override") or None)
    request.response.status = 201
    request.response.location = request.route_url("api_loan", id=loan.id)
    return loan_json(request, loan)


def my_loan(request, sites_ok=True):
    loan = request.dbsession.get(Loan, number(request.matchdict["id"], "id"))
    if loan is None:
        raise ApiError(404, "NotFound", _("Nothing exists at this address."))
    me = own_reader(request)
    sites = [s.__name__ for s in staff_sites(request)]
    if not ((me is not None and loan.reader_id == me.id) or (sites_ok and loan.site in sites)):
        raise ApiError(404, "NotFound", _("Nothing exists at this address."))
    return loan, me


@view_config(route_name="api_loan", request_method="GET", renderer="json")
def get_loan(request):
    loan, _me = my_loan(request)
    return loan_json(request, loan)


@view_config(route_name="api_loan_renew", request_method="POST", renderer="json")
def renew_loan(request):
    limit(request, "api_write")
    loan, me = my_loan(request)
    if loan.returned_at is not None:
        raise refused(request, CirculationError("not_on_loan", _("This item is not on loan.")))
    circ = request.find_service(ICirculation)
    own = me.id if me is not None and loan.reader_id == me.id else None
    loan = call(request, circ.renew, loan.item.barcode, request.identity.login, reader_id=own)
    return loan_json(request, loan)


# ------------------------------------------------------------------- holds
@view_config(route_name="api_holds", request_method="GET", renderer="json")
def list_holds(request):
    reader, _sites = acting_for(request)
    circ = request.find_service(ICirculation)
    return listing(request, "Holds", "api_holds",
                   [hold_json(request, h) for h in circ.holds(reader.id)])


@view_config(route_name="api_holds", request_method="POST", renderer="json")
def create_hold(request):
    limit(request, "api_write")
    data = json_body(request)
    fields(data, ("reader", "record_id", "barcode", "pickup_site", "not_needed_after"),
           ("pickup_site",))
    if not data.get("record_id") and not data.get("barcode"):
        raise invalid({"record_id": _("Give the record_id of a title or the barcode of a copy.")})
    until = data.get("not_needed_after")
    if until is not None:
        try:
            until = datetime.date.fromisoformat(until) if isinstance(until, str) else None
        except ValueError:
            until = None
        if until is None:
            raise invalid({"not_needed_after": _("Give a date such as 2026-12-31.")})
    reader, _sites = acting_for(request, data.get("reader"))
    circ = request.find_service(ICirculation)
    record_id = number(data["record_id"], "record_id") if data.get("record_id") else None
    hold = call(request, circ.place_hold, reader.id, str(data["pickup_site"]),
                request.identity.login, bib_record_id=record_id,
                barcode=str(data["barcode"]) if data.get("barcode") else None,
                not_needed_after=until)
    hold.position = circ.queue_position(hold)
    request.response.status = 201
    request.response.location = request.route_url("api_hold", id=hold.id)
    return hold_json(request, hold)


def my_hold(request):
    hold = request.dbsession.get(Hold, number(request.matchdict["id"], "id"))
    me = own_reader(request)
    sites = [s.__name__ for s in staff_sites(request)]
    if hold is None or not ((me is not None and hold.reader_id == me.id)
                            or hold.pickup_site in sites):
        raise ApiError(404, "NotFound", _("Nothing exists at this address."))
    own = me.id if me is not None and hold.reader_id == me.id else None
    return hold, own


@view_config(route_name="api_hold", request_method="GET", renderer="json")
def get_hold(request):
    hold, _own = my_hold(request)
    return hold_json(request, hold)


def iso_date(value, name):
    try:
        return datetime.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


@view_config(route_name="api_hold", request_method="PATCH", renderer="json")
def change_hold(request):
    """Change a waiting hold's pickup site and/or not-needed-after date (the reader's
    own, or staff of its pickup site); it keeps its place in the queue."""
    limit(request, "api_write")
    data = json_body(request)
    fields(data, ("pickup_site", "not_needed_after"))
    if "pickup_site" not in data and "not_needed_after" not in data:
        raise invalid({"pickup_site": _("Give pickup_site, not_needed_after or both.")})
    until = None
    if "not_needed_after" in data:
        until = iso_date(data["not_needed_after"], "not_needed_after")
        if until is None:
            raise invalid({"not_needed_after": _("Give a date such as 2026-12-31.")})
    if "pickup_site" in data and (not isinstance(data["pickup_site"], str)
                                  or not data["pickup_site"]):
        raise invalid({"pickup_site": _("This field is required.")})
    hold, own = my_hold(request)
    circ = request.find_service(ICirculation)
    actor = request.identity.login
    if until is not None:
        hold = call(request, circ.change_not_needed_after, hold.id, until, actor,
                    reader_id=own) or hold
    if "pickup_site" in data:
        hold = call(request, circ.change_pickup, hold.id, data["pickup_site"], actor,
                    reader_id=own) or hold
    request.dbsession.flush()
    request.dbsession.refresh(hold)
    hold.position = circ.queue_position(hold)
    return hold_json(request, hold)


@view_config(route_name="api_hold_cancel", request_method="POST", renderer="json")
def cancel_hold(request):
    limit(request, "api_write")
    hold, own = my_hold(request)
    circ = request.find_service(ICirculation)
    hold = call(request, circ.cancel_hold, hold.id, request.identity.login, reader_id=own)
    return hold_json(request, hold)


# ----------------------------------------------------------- digital loans
@view_config(route_name="api_digital_loans", request_method="GET", renderer="json")
def list_digital(request):
    reader, _sites = acting_for(request)
    circ = request.find_service(ICirculation)
    return listing(request, "DigitalLoans", "api_digital_loans",
                   [digital_json(request, e) for e in circ.digital_loans(reader.id)])


@view_config(route_name="api_digital_loans", request_method="POST", renderer="json")
def borrow_digital(request):
    """Borrow a copy (201 DigitalLoan), or join the waitlist (202 DigitalWait)."""
    limit(request, "api_write")
    data = json_body(request)
    fields(data, ("reader", "item_uid"), ("item_uid",))
    reader, _sites = acting_for(request, data.get("reader"))
    circ = request.find_service(ICirculation)
    entry = call(request, circ.borrow_digital, reader.id, str(data["item_uid"])[:64],
                 request.identity.login)
    if isinstance(entry, DigitalWait):
        request.response.status = 202
        return digital_json(request, entry)
    request.response.status = 201
    request.response.location = request.route_url("api_digital_loan", id=entry.id)
    return digital_json(request, entry)


def my_digital(request):
    loan = request.dbsession.get(DigitalLoan, number(request.matchdict["id"], "id"))
    me = own_reader(request)
    if loan is None or me is None or loan.reader_id != me.id:
        raise ApiError(404, "NotFound", _("Nothing exists at this address."))
    return loan, me


@view_config(route_name="api_digital_loan", request_method="GET", renderer="json")
def get_digital(request):
    """The loan, with a fresh access token (at most an hour) while it runs."""
    loan, me = my_digital(request)
    data = digital_json(request, loan)
    if loan.returned_at is None:
        circ = request.find_service(ICirculation)
        try:
            data["access_token"] = circ.access_token(loan.id, me.id)
        except CirculationError:
            data["access_token"] = None
    return data


@view_config(route_name="api_digital_loan_return", request_method="POST", renderer="json")
def return_digital(request):
    limit(request, "api_write")
    loan, me = my_digital(request)
    circ = request.find_service(ICirculation)
    loan = call(request, circ.return_digital, loan.id, request.identity.login, reader_id=me.id)
    return digital_json(request, loan)


def includeme(config):
    config.add_route("api_loans", PREFIX + "/loans")
    config.add_route("api_loan", PREFIX + "/loans/{id}")
    config.add_route("api_loan_renew", PREFIX + "/loans/{id}/renew")
    config.add_route("api_holds", PREFIX + "/holds")
    config.add_route("api_hold", PREFIX + "/holds/{id}")
    config.add_route("api_hold_cancel", PREFIX + "/holds/{id}/cancel")
    config.add_route("api_digital_loans", PREFIX + "/digital-loans")
    config.add_route("api_digital_loan", PREFIX + "/digital-loans/{id}")
    config.add_route("api_digital_loan_return", PREFIX + "/digital-loans/{id}/return")

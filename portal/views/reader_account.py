"""The reader's own account (/account): loans, holds, digital loans, history, profile,
notices, the e-card, "download my data" and "delete my account".

Every page works on the reader of the signed-in user and nobody else: no view
takes a reader id from the request, and circulation calls pass ``reader_id``
so the service refuses another reader's loan or hold.  Circulation goes
through ``ICirculation``; without it the account still shows the card.
"""
import datetime
import json

from markupsafe import Markup
from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.i18n import TranslationStringFactory
from pyramid.response import Response
from pyramid.security import forget
from pyramid.view import view_config
from sqlalchemy import select

from ils.accounts.services import IAccountService
from ils.circulation.interfaces import CirculationError
from ils.readers import circulation_for, ecard
from ils.readers.services import IReaderService, ReaderError

from ..i18n import translate

_ = TranslationStringFactory("serepok")

TABS = ("account", "account_loans", "account_holds", "account_digital", "account_history",
        "account_profile", "account_card")


def flash(request, message, kind="info"):
    request.session.flash({"kind": kind, "text": translate(request, message)})


def signed_in_user(request):
    user = request.identity
    if user is None:
        raise HTTPSeeOther(request.route_url("login", _query={"came_from": request.path_qs}))
    return user


def own_reader(request, required=True):
    user = signed_in_user(request)
    reader = request.find_service(IReaderService).for_user(user.id)
    if reader is None and required:
        raise HTTPSeeOther(request.route_url("account"))
    return reader


def summary(request, reader):
    """The circulation summary of ``reader`` (loans, holds, digital, blocks), or None."""
    circ = circulation_for(request)
    if circ is None:
        return None
    try:
        return circ.reader_summary(reader.id)
    except CirculationError:
        return None


def short_title(title):
    """"Thư viện tỉnh Đắk Lắk — cơ sở Buôn Ma Thuột" → "Cơ sở Buôn Ma Thuột"."""
    short = (title or "").split(" — ")[-1]
    return short[:1].upper() + short[1:]


def site_title(request, code):
    site = request.root.get(code)
    return short_title(getattr(site, "title", code))


def page(request, tab, reader, **extra):
    sites = [(s.__name__, short_title(s.title)) for s in request.root.sites()]
    data = {"tab": tab, "reader": reader, "sites": sites,
            "site_title": lambda code: site_title(request, code),
            "problem": request.find_service(IReaderService).can_borrow(reader) if reader else None,
            "circulation": circulation_for(request) is not None,
            "hold_dates": hold_date_range()}
    data.update(extra)
    return data


def hold_date_range():
    """(first, last) ISO day a waiting hold's "not needed after" may be set to, for the form."""
    from ils.circulation.hold_dates import allowed_range
    return tuple(day.isoformat() for day in allowed_range())


def card_images(reader):
    if not reader.card_number:
        return None, None
    return (Markup(ecard.barcode_svg(reader.card_number)),
            Markup(ecard.qr_svg(reader.card_number)))


@view_config(route_name="account", renderer="readers/account.jinja2", request_method="GET")
def account_home(request):
    reader = own_reader(request, required=False)
    if reader is None:
        return page(request, "account", None)
    barcode, qr = card_images(reader)
    return page(request, "account", reader, summary=summary(request, reader),
                barcode=barcode, qr=qr)


@view_config(route_name="account_loans", renderer="readers/account.jinja2",
             request_method="GET")
@view_config(route_name="account_holds", renderer="readers/account.jinja2",
             request_method="GET")
@view_config(route_name="account_digital", renderer="readers/account.jinja2",
             request_method="GET")
def account_circulation(request):
    reader = own_reader(request)
    return page(request, request.matched_route.name, reader, summary=summary(request, reader))


@view_config(route_name="account_history", renderer="readers/account.jinja2",
             request_method="GET")
def account_history(request):
    reader = own_reader(request)
    circ = circulation_for(request)
    history = circ.loans(reader.id, active=False) if circ and reader.keep_history else []
    return page(request, "account_history", reader, history=history)


@view_config(route_name="account_card", renderer="readers/ecard_page.jinja2",
             request_method="GET")
def account_card(request):
    reader = own_reader(request)
    if not reader.card_number:
        raise HTTPNotFound()
    barcode, qr = card_images(reader)
    return {"reader": reader, "site_title": site_title(request, reader.home_site),
            "barcode": barcode, "qr": qr, "back": request.route_url("account")}


def circulation_action(request, call, success):
    """Run ``call(circulation, reader)``; flash ``success`` or the refusal; back to ``next``."""
    reader = own_reader(request)
    circ = circulation_for(request)
    target = request.POST.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        target = request.route_url("account")
    else:
        target = request.application_url + target
    if circ is None:
        flash(request, _("Lending is not available at the moment."), "error")
        return HTTPSeeOther(target)
    problem = request.find_service(IReaderService).can_borrow(reader)
    if problem is not None and request.matched_route.name not in (
            "account_hold_cancel", "account_digital_return"):
        flash(request, problem.message, "error")
        return HTTPSeeOther(target)
    try:
        result = call(circ, reader)
    except CirculationError as exc:
        request.tm.doom()          # the service changed nothing; make sure nothing is kept
        flash(request, exc.message, "error")
        return HTTPSeeOther(target)
    if isinstance(result, HTTPSeeOther):
        return result
    flash(request, success(result) if callable(success) else success)
    return HTTPSeeOther(target)


def actor(request):
    return request.identity.login


def int_param(request, name):
    value = request.POST.get(name, "") or request.matchdict.get(name, "")
    if not str(value).isdigit():
        raise HTTPNotFound()
    return int(value)


@view_config(route_name="account_renew", request_method="POST")
def renew(request):
    barcode = request.POST.get("barcode", "")[:64]
    if barcode:
        return circulation_action(
            request, lambda c, r: c.renew(barcode, actor(request), reader_id=r.id),
            lambda loan: _("Renewed until ${date}.",
                           mapping={"date": loan.due.strftime("%d/%m/%Y")}))

    def renew_all(c, r):
        results = c.renew_all(r.id, actor(request))
        for loan, error in results:
            if error is not None:
                flash(request, _("${title}: ${why}", mapping={
                    "title": loan.item.record.title, "why": error.message}), "error")
        return sum(1 for _loan, error in results if error is None)
    return circulation_action(request, renew_all,
                              lambda n: _("${n} loans renewed.", mapping={"n": n}))


def posted_date(request, name="not_needed_after"):
    """The date posted in ``name`` (None when empty), or False after telling the
    reader it is not a date."""
    raw = request.POST.get(name, "").strip()[:10]
    try:
        return datetime.date.fromisoformat(raw) if raw else None
    except ValueError:
        flash(request, _("Give a date such as 2026-12-31."), "error")
        return False


@view_config(route_name="account_hold_place", request_method="POST")
def place_hold(request):
    record_id = int_param(request, "bib_record_id")
    pickup = request.POST.get("pickup_site", "")[:80]
    if pickup not in [s.__name__ for s in request.root.sites()]:
        flash(request, _("Choose where you will collect it."), "error")
        return HTTPSeeOther(request.route_url("account_holds"))
    until = posted_date(request)
    if until is False:
        return HTTPSeeOther(request.route_url("account_holds"))
    return circulation_action(
        request, lambda c, r: c.place_hold(r.id, pickup, actor(request),
                                           bib_record_id=record_id, not_needed_after=until),
        _("Hold placed. We will e-mail you when it is ready."))


@view_config(route_name="account_hold_cancel", request_method="POST")
def cancel_hold(request):
    hold_id = int_param(request, "id")
    return circulation_action(
        request, lambda c, r: c.cancel_hold(hold_id, actor(request), reader_id=r.id),
        _("Hold cancelled."))


@view_config(route_name="account_hold_pickup", request_method="POST")
def change_pickup(request):
    hold_id = int_param(request, "id")
    pickup = request.POST.get("pickup_site", "")[:80]
    if pickup not in [s.__name__ for s in request.root.sites()]:
        raise HTTPNotFound()
    return circulation_action(
        request, lambda c, r: c.change_pickup(hold_id, pickup, actor(request), reader_id=r.id),
        _("Pickup site changed."))


@view_config(route_name="account_hold_date", request_method="POST")
def change_not_needed_after(request):
    hold_id = int_param(request, "id")
    until = posted_date(request)
    if until is False:
        return HTTPSeeOther(request.route_url("account_holds"))
    return circulation_action(
        request, lambda c, r: c.change_not_needed_after(hold_id, until, actor(request),
                                                        reader_id=r.id),
        lambda hold: _("Not needed after ${date} now; your place in the queue is kept.",
                       mapping={"date": hold.not_needed_after.strftime("%d/%m/%Y")}))


@view_config(route_name="account_digital_borrow", request_method="POST")
def borrow_digital(request):
    uid = request.POST.get("item_uid", "")[:64]
    if not uid.isalnum():
        raise HTTPNotFound()

    def done(result):
        if hasattr(result, "expires"):
            return _("Borrowed until ${date}. Open it from your digital loans.",
                     mapping={"date": result.expires.strftime("%d/%m/%Y")})
        return _("No copy is free now: you are on the waiting list. We will e-mail you.")
    return circulation_action(request, lambda c, r: c.borrow_digital(r.id, uid, actor(request)),
                              done)


@view_config(route_name="account_digital_return", request_method="POST")
def return_digital(request):
    loan_id = int_param(request, "id")
    return circulation_action(
        request, lambda c, r: c.return_digital(loan_id, actor(request), reader_id=r.id),
        _("Returned. Thank you!"))


@view_config(route_name="account_digital_read", request_method="GET")
def read_digital(request):
    """Open a borrowed item with a fresh access token."""
    reader = own_reader(request)
    circ = circulation_for(request)
    loan_id = int_param(request, "id")
    if circ is None:
        raise HTTPNotFound()
    try:
        token = circ.access_token(loan_id, reader.id)
    except CirculationError as exc:
        flash(request, exc.message, "error")
        return HTTPSeeOther(request.route_url("account_digital"))
    loan = next((x for x in circ.digital_loans(reader.id)
                 if getattr(x, "id", None) == loan_id and hasattr(x, "expires")), None)
    target = find_by_uid(request, loan.licence.item_uid) if loan is not None else None
    if target is None:
        raise HTTPNotFound()
    return HTTPSeeOther(request.resource_url(target, query={"access": token}))


def find_by_uid(request, uid):
    """The repository object of a loan (through the site catalogues' uid index)."""
    from iiif.access import find_object
    return find_object(request.root, uid)


@view_config(route_name="account_profile", renderer="readers/account.jinja2",
             request_method="GET")
def profile(request):
    return page(request, "account_profile", own_reader(request), errors={})


@view_config(route_name="account_profile", renderer="readers/account.jinja2",
             request_method="POST")
def profile_save(request):
    reader = own_reader(request)
    service = request.find_service(IReaderService)
    values = {name: request.POST.get(name, "")[:500] for name in ("phone", "email", "address")}
    check = {"full_name": reader.full_name, "id_number": "000000000000",
             "birth_date": reader.birth_date, "sex": reader.sex or "Nam", **values}
    errors = {}
    try:
        service.validate_contact(check)
    except ReaderError as exc:
        errors[exc.field or "form"] = exc.message
    if errors:
        request.response.status = 400
        return page(request, "account_profile", reader, errors=errors, values=values)
    reader.phone = " ".join(values["phone"].split())
    reader.email = values["email"].strip().lower()
    reader.address = " ".join(values["address"].split())
    service.preferences(reader, request.POST)
    service.audit("reader", "edit", reader, field="profile")
    flash(request, _("Saved."))
    return HTTPSeeOther(request.route_url("account_profile"))


@view_config(route_name="account_data", request_method="GET")
def download_data(request):
    reader = own_reader(request)
    service = request.find_service(IReaderService)
    data = service.export(reader)
    user = request.identity
    data["account"] = {"login": user.login, "display_name": user.display_name,
                       "email": user.email, "created": user.created.isoformat()}
    service.audit("reader", "export", reader)
    response = Response(json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8"),
                        content_type="application/json", charset="utf-8")
    response.content_disposition = 'attachment; filename="du-lieu-cua-toi.json"'
    response.cache_control = "no-store"
    return response


@view_config(route_name="account_delete", renderer="readers/account.jinja2",
             request_method="GET")
def delete_form(request):
    return page(request, "account_delete", own_reader(request), errors={})


@view_config(route_name="account_delete", renderer="readers/account.jinja2",
             request_method="POST")
def delete_submit(request):
    reader = own_reader(request)
    user = request.identity
    accounts = request.find_service(IAccountService)
    if accounts.authenticate(user.login, request.POST.get("password", "")[:1000]) is None:
        request.response.status = 400
        return page(request, "account_delete", reader,
                    errors={"password": _("The password is not correct.")})
    try:
        request.find_service(IReaderService).close(reader, "reader", user=user)
    except (ReaderError, CirculationError) as exc:
        request.tm.doom()
        request.response.status = 409
        return page(request, "account_delete", reader, errors={"form": exc.message})
    headers = forget(request)
    request.session.flash({"kind": "info", "text": translate(request, _(
        "Your account is closed and your personal data erased. Thank you for reading with us."))})
    return HTTPSeeOther(request.application_url + "/", headers=headers)


def record_actions(request, record):
    """What a reader can do from a union record's page: place a hold on the library's own
    titles, borrow a licensed digital copy.  (bib ids, licensed uids, signed-in reader)"""
    bib_ids, uids = [], []
    for key in getattr(record, "provenance", ()) or ():
        kind, _sep, value = key.partition(":")
        if kind == "ils" and value.isdigit():
            bib_ids.append(int(value))
        elif kind == "repository" and value:
            uids.append(value)
    if uids:
        try:
            from ils.circulation.models import DigitalLicence
            uids = list(request.dbsession.scalars(
                select(DigitalLicence.item_uid).where(DigitalLicence.item_uid.in_(uids))))
        except ImportError:
            uids = []
    return {"bib_ids": bib_ids[:1], "uids": uids[:1],
            "sites": [(s.__name__, short_title(s.title)) for s in request.root.sites()]}


def item_actions(request, item):
    """For an item page: is it licensed for lending, and has the signed-in reader a loan of it
    (its id) already."""
    uid = getattr(item, "uid", None)
    out = {"licensed": False, "loan_id": None, "signed_in": request.identity is not None}
    try:
        from ils.circulation.models import DigitalLicence, DigitalLoan
    except ImportError:
        return out
    licence = request.dbsession.scalar(select(DigitalLicence).where(
        DigitalLicence.item_uid == uid)) if uid else None
    if licence is None:
        return out
    out["licensed"] = True
    if request.identity is not None:
        reader = request.find_service(IReaderService).for_user(request.identity.id)
        if reader is not None:
            out["loan_id"] = request.dbsession.scalar(select(DigitalLoan.id).where(
                DigitalLoan.licence_id == licence.id, DigitalLoan.reader_id == reader.id,
                DigitalLoan.returned_at.is_(None)))
    return out


def includeme(config):
    config.add_request_method(record_actions, "reader_record_actions")
    config.add_request_method(item_actions, "reader_item_actions")
    config.add_route("account", "/account")
    config.add_route("account_loans", "/account/loans")
    config.add_route("account_renew", "/account/loans/renew")
    config.add_route("account_holds", "/account/holds")
    config.add_route("account_hold_place", "/account/holds/place")
    config.add_route("account_hold_cancel", "/account/holds/{id:\\d+}/cancel")
    config.add_route("account_hold_pickup", "/account/holds/{id:\\d+}/pickup")
    config.add_route("account_hold_date", "/account/holds/{id:\\d+}/not-needed-after")
    config.add_route("account_digital", "/account/digital")
    config.add_route("account_digital_borrow", "/account/digital/borrow")
    config.add_route("account_digital_return", "/account/digital/{id:\\d+}/return")
    config.add_route("account_digital_read", "/account/digital/{id:\\d+}/read")
    config.add_route("account_history", "/account/history")
    config.add_route("account_profile", "/account/profile")
    config.add_route("account_card", "/account/card")
    config.add_route("account_data", "/account/data.json")
    config.add_route("account_delete", "/account/delete")

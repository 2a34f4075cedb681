"""Readers over JSON: the signed-in reader's own record and e-card, staff search.

``GET /api/v1/me/reader`` answers only about the caller (a bearer token or the
session): there is no reader id in the address to tamper with.
``GET /api/v1/readers?q=`` is for staff (a role on some site, or Manager);
every search and the readers it returned are written to the audit log.
"""
from pyramid.i18n import TranslationStringFactory
from pyramid.view import view_config

from ils.readers.services import IReaderService
from repository.security import Permission

from .http import ApiError

_ = TranslationStringFactory("serepok")

MAX_RESULTS = 50


def day(value):
    return value.isoformat() if value is not None else None


def reader_json(request, reader, private=True):
    data = {
        "@id": request.route_url("api_me_reader") if private else
        request.route_url("api_readers", _query={"q": reader.card_number or reader.id_number
                                                  or ""}),
        "@type": "Reader",
        "card_number": reader.card_number,
        "status": reader.status.value,
        "expired": reader.is_expired(),
        "category": reader.category.value,
        "home_site": reader.home_site,
        "full_name": reader.full_name,
        "birth_date": day(reader.birth_date),
        "expires": day(reader.expires),
        "email": reader.email,
        "phone": reader.phone,
        "language": reader.language,
    }
    if private:
        data["address"] = reader.address
        data["keep_history"] = reader.keep_history
        data["notifications"] = {name: getattr(reader, "notify_" + name) for name in
                                 ("email", "hold_ready", "due_soon", "overdue")}
        data["ecard"] = ({"barcode": {"format": "CODE128", "value": reader.card_number},
                          "qr": {"value": reader.card_number},
                          "html_url": request.route_url("account_card")}
                         if reader.card_number else None)
    else:
        data["id_number"] = reader.id_number
        data["html_url"] = request.route_url("reader_staff", id=reader.id)
        data["block_reason"] = reader.block_reason
    return data


@view_config(route_name="api_me_reader", request_method="GET", renderer="json",
             permission=Permission.OWN_ACCOUNT)
def me_reader(request):
    """The caller's own reader record and e-card data; 404 when the account has no card."""
    reader = request.find_service(IReaderService).for_user(request.identity.id)
    if reader is None:
        raise ApiError(404, "NotFound", _("This account has no library card. Register on the "
                                          "website first."))
    return reader_json(request, reader)


@view_config(route_name="api_readers", request_method="GET", renderer="json",
             permission=Permission.OWN_ACCOUNT)
def search_readers(request):
    """Staff: readers by card number, citizen ID number or name (audited)."""
    if not any(request.has_permission(str(Permission.STAFF), s) for s in request.root.sites()):
        raise ApiError(403, "Forbidden", _("Only library staff may search readers."))
    q = request.params.get("q", "")
    if not isinstance(q, str) or not q.strip() or len(q) > 200:
        raise ApiError(400, "ValidationError", _("Some fields are not valid; see error.fields."),
                       {"q": _("Give a card number, a citizen ID number or a name.")})
    service = request.find_service(IReaderService)
    found = service.search(q, limit=MAX_RESULTS)
    service.audit(request.identity.login, "search", None, query=q.strip()[:200],
                  results=[r.id for r in found], channel="api")
    return {"@id": request.route_url("api_readers", _query={"q": q}), "@type": "ReaderResults",
            "q": q, "items_total": len(found),
            "items": [reader_json(request, r, private=False) for r in found]}


def includeme(config):
    from . import PREFIX
    config.add_route("api_me_reader", PREFIX + "/me/reader")
    config.add_route("api_readers", PREFIX + "/readers")

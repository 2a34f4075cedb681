"""Staff screens for readers: applications per site, search, the record, the card.

Any staff member (a role on some site, or Manager) may search and open a
reader's record: one patron base serves both desks.  Every opening of a record
or a card is written to the audit log here, in the view, before the page is
built.  Issuing, renewing, blocking and unblocking belong to the staff of the
reader's home site (SiteAdmin, Librarian) and to Managers.
"""
from markupsafe import Markup
from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound, HTTPSeeOther
from pyramid.i18n import TranslationStringFactory
from pyramid.view import view_config

from ils.readers import ecard
from ils.readers.models import ReaderStatus
from ils.readers.notifications import Notifier, mailer_from_settings
from ils.readers.services import IReaderService, ReaderError
from repository.resources import Site
from repository.security import Permission

from ..i18n import translate
from . import reader_account as support

_ = TranslationStringFactory("serepok")


def staff_sites(request):
    return [s for s in request.root.sites()
            if request.has_permission(str(Permission.STAFF), s)]


def require_staff(request):
    sites = staff_sites(request)
    if request.identity is None or not sites:
        raise HTTPForbidden()
    return sites


def actor(request):
    return request.identity.login


def home_site(request, reader):
    site = request.root.get(reader.home_site)
    return site if isinstance(site, Site) else None


def may_manage(request, reader):
    """Staff of the reader's home site, and Managers."""
    site = home_site(request, reader)
    target = site if site is not None else request.root
    return bool(request.has_permission(str(Permission.MANAGE_SITE), request.root)
                or request.has_permission(str(Permission.STAFF), target) and site is not None)


def load(request):
    reader = request.find_service(IReaderService).get(request.matchdict["id"])
    if reader is None:
        raise HTTPNotFound()
    return reader


@view_config(route_name="readers_staff", renderer="readers/staff_list.jinja2",
             request_method="GET")
def readers_list(request):
    sites = require_staff(request)
    service = request.find_service(IReaderService)
    q = request.params.get("q", "")[:200].strip()
    found = service.search(q) if q else []
    if q:
        service.audit(actor(request), "search", None, query=q, results=len(found))
    return {"q": q, "found": found,
            "pending": [(site, service.pending([site.__name__])) for site in sites
                        if request.has_permission(str(Permission.STAFF), site)]}


@view_config(route_name="reader_staff", renderer="readers/staff_reader.jinja2",
             request_method="GET")
def reader_view(request):
    require_staff(request)
    reader = load(request)
    service = request.find_service(IReaderService)
    service.audit(actor(request), "view", reader)
    summary = support.summary(request, reader)
    return {"reader": reader, "summary": summary, "may_manage": may_manage(request, reader),
            "site": home_site(request, reader), "audit": service.audit_log(reader, 20),
            "problem": service.can_borrow(reader)}


@view_config(route_name="reader_staff_card", renderer="readers/ecard_page.jinja2",
             request_method="GET")
def reader_card(request):
    require_staff(request)
    reader = load(request)
    request.find_service(IReaderService).audit(actor(request), "view_card", reader)
    if not reader.card_number:
        raise HTTPNotFound()
    return {"reader": reader, "site_title": support.site_title(request, reader.home_site),
            "barcode": Markup(ecard.barcode_svg(reader.card_number)),
            "qr": Markup(ecard.qr_svg(reader.card_number)),
            "back": request.route_url("reader_staff", id=reader.id)}


def flash(request, message, kind="info"):
    request.session.flash({"kind": kind, "text": translate(request, message)})


def mail_card_after_commit(request, reader_id):
    """Tell the reader the card is ready, once the issue is committed (never before)."""
    settings = request.registry.settings
    if not (settings.get("mail.host") or settings.get("mail.backend")):
        return
    factory = request.registry["dbsession_factory"]

    def send(success):
        if not success:
            return
        session = factory()
        try:
            from ils.readers.models import Reader
            reader = session.get(Reader, reader_id)
            if reader is not None:
                Notifier(session, mailer_from_settings(settings), settings).card_issued(reader)
            session.commit()
        finally:
            session.close()
    request.tm.get().addAfterCommitHook(send)


@view_config(route_name="reader_staff_action", request_method="POST")
def reader_action(request):
    require_staff(request)
    reader = load(request)
    if not may_manage(request, reader):
        raise HTTPForbidden()
    service = request.find_service(IReaderService)
    action = request.matchdict["action"]
    reason = request.POST.get("reason", "")[:500]
    target = HTTPSeeOther(request.route_url("reader_staff", id=reader.id))
    try:
        if action == "issue":
            was_pending = reader.status == ReaderStatus.PENDING
            service.issue_card(reader, actor(request))
            flash(request, _("Card ${number} issued, valid until ${date}.", mapping={
                "number": reader.card_number, "date": reader.expires.strftime("%d/%m/%Y")}))
            if was_pending:
                mail_card_after_commit(request, reader.id)
        elif action == "renew":
            service.renew_card(reader, actor(request))
            flash(request, _("Card renewed until ${date}.",
                             mapping={"date": reader.expires.strftime("%d/%m/%Y")}))
        elif action == "block":
            service.block(reader, reason, actor(request))
            flash(request, _("Card blocked."))
        elif action == "unblock":
            service.unblock(reader, actor(request), reason)
            flash(request, _("Card unblocked."))
        elif action == "note":
            reader.staff_note = " ".join(request.POST.get("staff_note", "").split())[:2000]
            service.audit(actor(request), "edit", reader, field="staff_note")
            flash(request, _("Saved."))
        else:
            raise HTTPNotFound()
    except ReaderError as exc:
        request.tm.doom()
        flash(request, exc.message, "error")
    return target


def includeme(config):
    config.add_route("readers_staff", "/staff/readers")
    config.add_route("reader_staff", "/staff/readers/{id:\\d+}")
    config.add_route("reader_staff_card", "/staff/readers/{id:\\d+}/card")
    config.add_route("reader_staff_action", "/staff/readers/{id:\\d+}/{action}")

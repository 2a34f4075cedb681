"""The circulation desk of a site (``/<site>/desk``): scan a card, then scan items.

Built for a barcode scanner and the keyboard alone: one input has the focus at
every moment, a scanner's Enter submits it, F2/F3/F4 switch between checkout,
checkin and renew, Esc ends the reader's session. Only staff of the site (and
managers) may use it; every opening of a reader's record is written to the
reader audit log. A refusal is answered with status 409, so nothing of the
refused step is committed; an overridable refusal offers an override with a
reason, which the loan and the event log keep. The reader's unpaid fines at this
site can be marked paid, or waived with a reason; both are recorded. The "not needed
after" day of the reader's waiting holds collected at this site can be moved (recorded
in the circulation log).
"""
import datetime

from pyramid.httpexceptions import HTTPForbidden, HTTPSeeOther
from pyramid.i18n import TranslationStringFactory
from pyramid.view import view_config

from ils.circulation.hold_dates import allowed_range
from ils.circulation.interfaces import CirculationError, ICirculation
from ils.readers.models import AuditEntry
from repository.resources import Site
from repository.security import Permission

from ..i18n import translate

_ = TranslationStringFactory("serepok")

MODES = ("checkout", "checkin", "renew")
CATEGORY_TITLES = {"adult": _("Adult"), "child": _("Child reader"), "student": _("Student"),
                   "staff": _("Staff"), "commune": _("Commune/ward library")}
MAX_INPUT = 2000
LOG_SIZE = 8


def may_use_desk(request, site):
    return request.identity is not None and bool(
        request.has_permission(str(Permission.STAFF), site))


class Desk:
    """The desk's state for one librarian at one site, kept in the session."""

    def __init__(self, request, site):
        self.request, self.site = request, site
        self.key = "desk." + site.__name__

    def _get(self, name, default=None):
        return self.request.session.get(f"{self.key}.{name}", default)

    def _set(self, name, value):
        self.request.session[f"{self.key}.{name}"] = value

    reader_id = property(lambda self: self._get("reader"),
                         lambda self, value: self._set("reader", value))
    mode = property(lambda self: self._get("mode", "checkout"),
                    lambda self, value: self._set("mode", value if value in MODES
                                                  else "checkout"))

    focus = property(lambda self: self._get("focus", ""),
                     lambda self, value: self._set("focus", value))

    @property
    def log(self):
        return self._get("log", [])

    def clear_log(self):
        self._set("log", [])

    def note(self, kind, message):
        entry = {"kind": kind, "text": translate(self.request, message)}
        self._set("log", ([entry] + self.log)[:LOG_SIZE])


def actor(request):
    return request.identity.login


def audit_view(request, reader, site):
    request.dbsession.add(AuditEntry(actor=actor(request), action="view", reader_id=reader.id,
                                     detail={"screen": "desk", "site": site.__name__}))


def fmt_date(value):
    return value.strftime("%d/%m/%Y") if value else ""


@view_config(context=Site, name="desk", renderer="desk.jinja2", permission=Permission.STAFF)
def desk(context, request):
    if not may_use_desk(request, context):
        raise HTTPForbidden()
    circ = request.find_service(ICirculation)
    state = Desk(request, context)
    error = failed = None
    if request.method == "POST":
        try:
            done = act(request, context, circ, state)
            if done is not None:
                return done
            return HTTPSeeOther(location=request.resource_url(context, "desk"))
        except CirculationError as exc:
            error = exc
            failed = {"barcode": request.POST.get("barcode", "")[:64],
                      "action": request.POST.get("action", "")}
            state.note("error", exc.message)
            request.response.status = 409    # commit nothing of the refused step
    summary = None
    if state.reader_id is not None:
        try:
            summary = circ.reader_summary(state.reader_id, site=context.__name__)
        except CirculationError:
            state.reader_id = None
    return {"site": context, "state": state, "summary": summary, "error": error,
            "failed": failed, "pull_list": circ.pull_list(context.__name__),
            "fmt_date": fmt_date, "modes": MODES, "categories": CATEGORY_TITLES,
            "hold_dates": [day.isoformat() for day in allowed_range()],
            "site_names": {s.__name__: s for s in request.root.sites()}}


def act(request, site, circ, state):
    post = request.POST
    action = post.get("action", "")
    value = post.get("barcode", post.get("card", "")).strip()[:MAX_INPUT]
    where = site.__name__
    if action == "mode":
        state.mode = post.get("mode", "")
        return None
    if action == "done":
        # the next person at the desk must not read the last one's names and titles
        state.reader_id = None
        state.mode = "checkout"
        state.clear_log()
        return None
    if action == "card":
        state.focus = ""
        reader = circ.find_reader(value)
        if reader is None:
            raise CirculationError("card_unknown", _("No reader has this card number or ID "
                                                     "number."))
        state.reader_id = reader.id
        audit_view(request, reader, site)
        state.note("info", _("Reader: ${name} (${card})",
                             mapping={"name": reader.full_name,
                                      "card": reader.card_number or "—"}))
        return None
    if action == "renew_all" and state.reader_id is not None:
        for loan in circ.loans(state.reader_id):
            if loan.site != where:
                continue
            try:
                loan = circ.renew(loan.item.barcode, actor(request), reader_id=state.reader_id)
            except CirculationError as problem:
                state.note("error", problem.message)
                continue
            state.note("ok", _("Renewed: ${title}, due ${date}",
                               mapping={"title": loan.item.record.title,
                                        "date": fmt_date(loan.due)}))
        return None
    if action in ("fine", "hold_date"):
        if state.reader_id is None:
            state.note("error", _("Scan the reader's card first."))
            return None
        return (settle_fine if action == "fine" else change_hold_date)(request, site, circ,
                                                                       state)
    if not value:
        state.note("error", _("Scan or type a barcode."))
        return None
    if action == "checkin" or (action == "item" and state.mode == "checkin"):
        # returns without a card come in a row: keep the return field in focus
        state.focus = "desk-return" if state.reader_id is None else ""
        result = circ.checkin(value, where, actor(request))
        item = result["item"]
        title = item.record.title
        if result["loan"] is None:
            state.note("info", _("${title}: was not on loan.", mapping={"title": title}))
        else:
            state.note("ok", _("Returned: ${title}", mapping={"title": title}))
        if result["fine"]:
            state.note("warn", _("Overdue fine: ${amount} đ",
                                 mapping={"amount": f"{result['fine']:,}".replace(",", ".")}))
        hold = result["hold"]
        if hold is not None and result["transit_to"] is None:
            state.note("warn", _("Put on the hold shelf for ${name} (until ${date}).",
                                 mapping={"name": hold_reader_name(request, hold),
                                          "date": fmt_date(hold.ready_until)}))
        elif result["transit_to"]:
            state.note("warn", _("Send to ${site}.", mapping={
                "site": site_title(request, result["transit_to"])}))
        return None
    if state.reader_id is None:
        state.note("error", _("Scan the reader's card first."))
        return None
    if action == "renew" or (action == "item" and state.mode == "renew"):
        loan = next((x for x in circ.loans(state.reader_id) if x.item.barcode == value), None)
        if loan is not None and loan.site != where:
            # a librarian changes only their own site's loans (the reader may renew anywhere)
            raise CirculationError("not_on_loan", _(
                "This loan was made at ${site}; it is renewed there or by the reader.",
                mapping={"site": site_title(request, loan.site)}))
        loan = circ.renew(value, actor(request), reader_id=state.reader_id)
        state.note("ok", _("Renewed: ${title}, due ${date}",
                           mapping={"title": loan.item.record.title,
                                    "date": fmt_date(loan.due)}))
        return None
    if action in ("item", "override"):
        reason = post.get("reason", "").strip() if action == "override" else None
        if action == "override" and not reason:
            state.note("error", _("Give the reason for the override."))
            return None
        loan = circ.checkout(state.reader_id, value, where, actor(request), override=reason)
        state.note("ok", _("Lent: ${title}, due ${date}",
                           mapping={"title": loan.item.record.title,
                                    "date": fmt_date(loan.due)}))
        return None
    state.note("error", _("Scan or type a barcode."))
    return None


def settle_fine(request, site, circ, state):
    """Mark one of the reader's fines at this site paid, or waive it with a reason."""
    post = request.POST
    how = post.get("how", "")
    fine = circ.settle_fine(post.get("fine", ""), how, actor(request),
                            reason=post.get("reason", "")[:500], site=site.__name__,
                            reader_id=state.reader_id)
    amount = f"{fine.amount:,}".replace(",", ".")
    if how == "waived":
        state.note("ok", _("Fine of ${amount} đ waived: ${reason}",
                           mapping={"amount": amount, "reason": fine.settled_reason}))
    else:
        state.note("ok", _("Fine of ${amount} đ paid.", mapping={"amount": amount}))
    return None


def change_hold_date(request, site, circ, state):
    """Move the "not needed after" day of one of the reader's waiting holds collected here."""
    post = request.POST
    hold_id = post.get("hold", "")[:12]
    hold = next((h for h in circ.holds(state.reader_id) if str(h.id) == hold_id), None)
    if hold is not None and hold.pickup_site != site.__name__:
        # a librarian changes only their own site's holds (the reader may change any)
        raise CirculationError("hold_unknown", _(
            "This hold is collected at ${site}; its date is changed there or by the reader.",
            mapping={"site": site_title(request, hold.pickup_site)}))
    raw = post.get("not_needed_after", "").strip()[:10]
    try:
        until = datetime.date.fromisoformat(raw) if raw else None
    except ValueError:
        raise CirculationError("hold_date", _("Give a date such as 2026-12-31."))
    # not one of this reader's open holds: id 0, which the service refuses as unknown
    hold = circ.change_not_needed_after(hold.id if hold is not None else 0, until,
                                        actor(request), reader_id=state.reader_id)
    state.note("ok", _("${title}: not needed after ${date}",
                       mapping={"title": hold.record.title,
                                "date": fmt_date(hold.not_needed_after)}))
    return None


def hold_reader_name(request, hold):
    from ils.readers.models import Reader
    reader = request.dbsession.get(Reader, hold.reader_id) if hold.reader_id else None
    return f"{reader.full_name} ({reader.card_number})" if reader else "—"


def site_title(request, name):
    site = request.root.get(name) if hasattr(request.root, "get") else None
    return site.title if isinstance(site, Site) else name

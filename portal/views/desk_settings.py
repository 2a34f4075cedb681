"""A site's lending rules and closed days (``/<site>/desk-settings``), for its administrators.

Policies per reader category (loan period, maximum loans, renewals, holds, pickup
days, digital loans, the daily overdue fine — 0 keeps fines off) and the days
the site is closed, on which no due date or pickup deadline may fall. A wrong
number is refused with a message and nothing is saved.

Personal data (Law 91/2025): the site's loan history older than N days
(``serepok.circulation.anonymise_after_days``, 365 by default) of readers who have
not opted in to keep it can be anonymised here; the monthly loan counts shown
beside the button stay the same, and the audit log records the action.
"""
import datetime

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.i18n import TranslationStringFactory
from pyramid.view import view_config

from ils.circulation.interfaces import ICirculation
from ils.circulation.privacy import DEFAULT_HISTORY_DAYS
from ils.circulation.rules import DEFAULT_POLICIES, POLICY_FIELDS, local_today
from repository.resources import Site
from repository.security import Permission

from ..i18n import translate
from .desk import CATEGORY_TITLES

_ = TranslationStringFactory("serepok")

FIELD_TITLES = {
    "loan_days": _("Loan period (days)"), "max_loans": _("Maximum loans"),
    "max_renewals": _("Renewals"), "hold_limit": _("Maximum holds"),
    "hold_pickup_days": _("Days to collect a hold"),
    "digital_loan_days": _("Digital loan (days)"), "digital_limit": _("Maximum digital loans"),
    "fine_per_day": _("Overdue fine per day (đ; 0: none)"),
    "fine_block_at": _("Unpaid fines that stop borrowing (đ; 0: never)"),
    "hold_wait_days": _("A waiting hold lapses after (days; 0: never)"),
}
LIMITS = {"fine_per_day": (0, 1_000_000), "fine_block_at": (0, 100_000_000)}
DEFAULT_LIMIT = (0, 3650)
#: loans younger than this are never anonymised from the screen (the desk still needs them)
MIN_HISTORY_DAYS = 30
STATISTICS_MONTHS = 24


def parse_policies(post):
    values, errors = {}, {}
    for category in DEFAULT_POLICIES:
        values[category] = {}
        for name in POLICY_FIELDS:
            key = f"{category}.{name}"
            raw = post.get(key, "").strip()
            low, high = LIMITS.get(name, DEFAULT_LIMIT)
            if not raw.isdigit() or not low <= int(raw) <= high:
                errors[key] = _("Must be a whole number from ${low} to ${high}.",
                                mapping={"low": low, "high": high})
            else:
                values[category][name] = int(raw)
    return values, errors


@view_config(context=Site, name="desk-settings", renderer="desk_settings.jinja2",
             permission=Permission.MANAGE_SITE)
def desk_settings(context, request):
    circ = request.find_service(ICirculation)
    site = context.__name__
    errors, posted = {}, None
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "policies":
            posted, errors = parse_policies(request.POST)
            if not errors:
                for category, values in posted.items():
                    circ.set_policy(site, category, **values)
                flash(request, _("The lending rules are saved."))
                return HTTPSeeOther(request.resource_url(context, "desk-settings"))
        elif action == "anonymise":
            raw = request.POST.get("days", "").strip()
            if not raw.isdigit() or not MIN_HISTORY_DAYS <= int(raw) <= 3650:
                errors["days"] = _("Must be a whole number from ${low} to ${high}.",
                                   mapping={"low": MIN_HISTORY_DAYS, "high": 3650})
            else:
                before = sum(n for _m, n in circ.loan_statistics(site))
                counts = circ.anonymise_history(site, int(raw), request.identity.login)
                after = sum(n for _m, n in circ.loan_statistics(site))
                flash(request, _(
                    "Anonymised: ${loans} loans, ${holds} holds, ${events} log entries older "
                    "than ${days} days. Loans counted: ${before} before, ${after} after.",
                    mapping={"loans": counts["loans"], "holds": counts["holds"],
                             "events": counts["events"], "days": int(raw),
                             "before": before, "after": after}))
                return HTTPSeeOther(request.resource_url(context, "desk-settings",
                                                         query={"days": raw}))
        elif action in ("close", "open"):
            try:
                day = datetime.date.fromisoformat(request.POST.get("day", "").strip())
            except ValueError:
                errors["day"] = _("Give a date such as 2026-12-31.")
            else:
                circ.set_closed_day(site, day, request.POST.get("reason", "").strip(),
                                    closed=action == "close")
                flash(request, _("The calendar is saved."))
                return HTTPSeeOther(request.resource_url(context, "desk-settings"))
        request.response.status = 400
    today = local_today(datetime.datetime.now(datetime.timezone.utc))
    rules = circ.policies(site)
    values = posted or {c: {n: getattr(r, n) for n in POLICY_FIELDS} for c, r in rules.items()}
    if posted:
        for category in values:                 # show what was typed, even when wrong
            for name in POLICY_FIELDS:
                values[category].setdefault(name, request.POST.get(f"{category}.{name}", ""))
    days = history_days(request)
    return {"site": context, "values": values, "errors": errors, "fields": POLICY_FIELDS,
            "field_titles": FIELD_TITLES, "categories": CATEGORY_TITLES,
            "closed": circ.closed_days(site, today), "today": today,
            "history_days": days, "anonymisable": circ.anonymisable(site, days),
            "history_input": (request.POST.get("days", "")[:10] if "days" in errors
                              else days),
            "statistics": circ.loan_statistics(site)[-STATISTICS_MONTHS:]}


def history_days(request):
    """The age (days) past which loan history is anonymised: the form's, else the setting."""
    raw = request.POST.get("days", "") if request.method == "POST" else request.GET.get(
        "days", "")
    raw = raw.strip() if isinstance(raw, str) else ""
    if raw.isdigit() and MIN_HISTORY_DAYS <= int(raw) <= 3650:
        return int(raw)
    setting = str(request.registry.settings.get("serepok.circulation.anonymise_after_days",
                                                DEFAULT_HISTORY_DAYS))
    return int(setting) if setting.strip().isdigit() else DEFAULT_HISTORY_DAYS


def flash(request, message):
    request.session.flash({"kind": "info", "text": translate(request, message)})

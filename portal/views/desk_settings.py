"""A site's lending rules and closed days (``/<site>/desk-settings``), for its administrators.

Policies per reader category (loan period, maximum loans, renewals, holds, pickup
days, digital loans, the daily overdue fine — 0 keeps fines off) and the days
the site is closed, on which no due date or pickup deadline may fall. A wrong
number is refused with a message and nothing is saved.
"""
import datetime

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.i18n import TranslationStringFactory
from pyramid.view import view_config

from ils.circulation.interfaces import ICirculation
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
}
LIMITS = {"fine_per_day": (0, 1_000_000)}
DEFAULT_LIMIT = (0, 3650)


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
    return {"site": context, "values": values, "errors": errors, "fields": POLICY_FIELDS,
            "field_titles": FIELD_TITLES, "categories": CATEGORY_TITLES,
            "closed": circ.closed_days(site, today), "today": today}


def flash(request, message):
    request.session.flash({"kind": "info", "text": translate(request, message)})

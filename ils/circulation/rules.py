"""Lending rules: default policies per reader category, the local calendar, refusal messages.

A site's policy rows (``circulation_policies``) override the defaults below,
first for the reader's category, then the site's ``*`` row. Due dates and
pickup deadlines are counted in the library's own time zone and moved past the
site's closed days.
"""
import datetime
from zoneinfo import ZoneInfo

from pyramid.i18n import TranslationStringFactory

from .interfaces import CirculationError

_ = TranslationStringFactory("serepok")

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
#: The sites that lend, when the ``serepok.circulation.sites`` setting does not say.
DEFAULT_SITES = ("bmt", "tuy-hoa")
#: Access tokens for digital loans live at most this long (re-issued while the loan runs).
TOKEN_SECONDS = 3600

POLICY_FIELDS = ("loan_days", "max_loans", "max_renewals", "hold_limit", "hold_pickup_days",
                 "digital_loan_days", "digital_limit", "fine_per_day", "fine_block_at",
                 "hold_wait_days")
_BASE = dict(loan_days=14, max_loans=5, max_renewals=2, hold_limit=5, hold_pickup_days=3,
             digital_loan_days=14, digital_limit=3, fine_per_day=0, fine_block_at=0,
             hold_wait_days=180)
DEFAULT_POLICIES = {
    "adult": _BASE,
    "child": dict(_BASE, max_loans=3, max_renewals=1, hold_limit=3),
    "student": dict(_BASE, loan_days=21, max_loans=7),
    "staff": dict(_BASE, loan_days=30, max_loans=10, max_renewals=3, hold_limit=10),
    "commune": dict(_BASE, loan_days=60, max_loans=50, max_renewals=1, hold_limit=20),
}


class Rules:
    """The effective lending rules (a plain object, so callers need no database row)."""

    def __init__(self, **values):
        for name in POLICY_FIELDS:
            setattr(self, name, values[name])


def local_today(now):
    """The library's calendar date at ``now`` (an aware UTC datetime)."""
    return now.astimezone(ZONE).date()


def aware(value):
    """SQLite hands back UTC datetimes without their zone."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=datetime.timezone.utc)
    return value


MESSAGES = {
    "card_unknown": (_("No reader has this card number or ID number."), False),
    "reader_pending": (_("This card application has not been verified at the desk yet."),
                       False),
    "reader_blocked": (_("This card is blocked: ${note}"), True),
    "reader_closed": (_("This card is closed."), False),
    "reader_expired": (_("This card expired on ${date}; renew it at the desk."), True),
    "reader_overdue": (_("The reader has ${n} overdue loans."), True),
    "item_unknown": (_("No item has the barcode ${barcode}."), False),
    "record_unknown": (_("This title is not in the catalogue."), False),
    "item_not_for_loan": (_("This item cannot be lent (${status})."), False),
    "item_reference": (_("This is a reference copy: read in the library only."), True),
    "item_other_site": (_("This item belongs to ${library}; it cannot be lent at this desk."),
                        False),
    "item_on_loan": (_("This item is already on loan (due ${due})."), False),
    "item_on_loan_same": (_("This reader already has this item (due ${due}); renew it "
                            "instead."), False),
    "item_on_hold_for_other": (_("This item is set aside for another reader's hold."), False),
    "loan_limit": (_("The reader already has ${n} loans, the most allowed."), True),
    "not_on_loan": (_("This item is not on loan."), False),
    "renewal_limit": (_("This loan has been renewed ${n} times, the most allowed."), False),
    "renewal_hold": (_("Another reader is waiting for this title: it cannot be renewed."),
                     False),
    "hold_limit": (_("The reader already has ${n} holds, the most allowed."), False),
    "hold_exists": (_("The reader already has a hold on this title."), False),
    "hold_on_loan": (_("The reader has this title on loan already."), False),
    "hold_unknown": (_("This hold does not exist or can no longer be changed."), False),
    "digital_unavailable": (_("This item is not lent digitally."), False),
    "digital_limit": (_("The reader already has ${n} digital loans, the most allowed."), False),
    "loan_unknown": (_("This loan does not exist or has ended."), False),
    "site_closed": (_("There is no lending desk at ${site}."), False),
    "reader_has_loans": (_("The reader still has ${n} items on loan: they must be returned "
                           "first."), False),
    "reader_fines": (_("The reader owes ${amount} đ in fines; borrowing stops at ${limit} đ."),
                     True),
    "fine_unknown": (_("This fine does not exist or is already settled."), False),
    "fine_reason": (_("Give the reason for waiving the fine."), False),
    "hold_date_past": (_("The date after which the hold is not needed must be today or "
                         "later."), False),
    "cancel_refused": (_("This loan cannot be undone at the machine: please take the item to "
                         "the desk."), False),
    "hold_captured": (_("A copy is already set aside for this hold: its date can no longer be "
                        "changed."), False),
    "hold_date_missing": (_("Give the date after which the hold is not needed."), False),
    "hold_date_far": (_("The date after which the hold is not needed can be at most one year "
                        "ahead (${date})."), False),
}

#: Codes beyond the contract's list that map onto a contract code (the API and SIP2
#: may rely on ``error.code`` alone; ``error.details["reason"]`` keeps the precise one).
CODE_OF = {"reader_closed": "reader_blocked", "reader_overdue": "reader_blocked",
           "record_unknown": "item_unknown", "item_reference": "item_not_for_loan",
           "item_other_site": "item_not_for_loan", "item_on_loan_same": "item_on_loan",
           "hold_on_loan": "hold_exists", "reader_fines": "reader_blocked",
           "hold_date_past": "hold_date", "hold_date_missing": "hold_date",
           "hold_date_far": "hold_date", "hold_captured": "hold_unknown"}


def refusal(why, **mapping):
    """A CirculationError for ``why`` with its message and overridability."""
    message, overridable = MESSAGES[why]
    msg = _(str(message), mapping={k: str(v) for k, v in mapping.items()}) if mapping \
        else message
    return CirculationError(CODE_OF.get(why, why), msg, overridable=overridable,
                            reason=why, **mapping)

"""The circulation service's contract, shared by the desk, the reader account, the API and SIP2.

Every method runs inside the caller's transaction (``request.dbsession`` on the
portal; the SIP2 server opens its own session per message) and either does the
whole change or raises ``CirculationError`` and changes nothing. "At most one
active loan per item" and "a hold is captured once" are guaranteed by the
database (unique partial indexes / row locks), not by Python checks alone.

Look it up with ``request.find_service(ICirculation)``; outside a request,
``ils.circulation.service.CirculationService(dbsession, settings)``.
"""
from pyramid.i18n import TranslationStringFactory
from zope.interface import Interface

_ = TranslationStringFactory("serepok")

__all__ = ["ICirculation", "CirculationError"]


class CirculationError(Exception):
    """A refusal the person at the desk (or the machine) can act on.

    ``code`` is stable and machine-readable (the API and SIP2 map it):
    ``card_unknown``, ``reader_pending``, ``reader_blocked``, ``reader_expired``,
    ``item_unknown``, ``item_not_for_loan``, ``item_on_loan``, ``item_on_hold_for_other``,
    ``loan_limit``, ``not_on_loan``, ``renewal_limit``, ``renewal_hold``, ``hold_limit``,
    ``hold_exists``, ``hold_unknown``, ``digital_unavailable``, ``digital_limit``,
    ``loan_unknown``, ``site_closed``, ``reader_has_loans``, ``fine_unknown``,
    ``fine_reason``, ``hold_date``, ``cancel_refused``.
    ``message`` is a TranslationString (English msgid, Vietnamese in the catalogue);
    ``overridable`` says whether staff may override it with a recorded reason.
    ``details["reason"]`` is the precise cause when it is finer than ``code``
    (``reader_overdue``, ``reader_closed``, ``item_other_site``, ``item_reference``,
    ``item_on_loan_same``, ``hold_on_loan``, ``record_unknown``, ``reader_fines``,
    ``hold_date_past``, ``hold_date_missing``, ``hold_date_far``, ``hold_captured``); the
    message says it.
    """

    def __init__(self, code, message, overridable=False, **details):
        super().__init__(code)
        self.code = code
        self.message = message
        self.overridable = overridable
        self.details = details


class ICirculation(Interface):
    # readers
    def find_reader(key):
        """The Reader whose card number, citizen ID number or e-card QR payload is ``key``, or None."""

    def reader_summary(reader_id, now=None, site=None):
        """dict: reader, loans (active, overdue flags), holds (with status/position), digital loans,
        blocks (list of (code, message); the fines block of ``site``, else the home site),
        fines_total, fines (the unpaid Fine rows)."""

    # loans of physical items
    def checkout(reader_id, barcode, site, actor, override=None, now=None):
        """Lend the item to the reader at ``site``; returns the Loan. ``override``: a reason
        (str) recorded when staff override an overridable refusal."""

    def checkin(barcode, site, actor, now=None):
        """Return the item at ``site``; returns a dict: loan (or None when it was not on loan),
        hold (the Hold the item was captured for, or None), transit_to (site code or None),
        fine (amount or 0)."""

    def renew(barcode, actor, reader_id=None, now=None):
        """Renew the active loan of the item (only the reader's own when ``reader_id`` is given);
        returns the Loan with its new due date."""

    def renew_all(reader_id, actor, now=None):
        """Renew every loan that may be renewed; returns [(loan, CirculationError or None)]."""

    def loans(reader_id, active=True):
        """The reader's loans (active only, or the kept history)."""

    # holds
    def place_hold(reader_id, pickup_site, actor, bib_record_id=None, barcode=None, now=None,
                   not_needed_after=None):
        """Reserve a title (any copy) or a specific item for pickup at ``pickup_site``. A waiting
        hold lapses after ``not_needed_after`` (default: the policy's ``hold_wait_days``)."""

    def cancel_hold(hold_id, actor, reader_id=None, now=None):
        """Cancel a hold (only the reader's own when ``reader_id`` is given)."""

    def change_pickup(hold_id, pickup_site, actor, reader_id=None):
        """Move a waiting hold to another pickup site."""

    def change_not_needed_after(hold_id, not_needed_after, actor, reader_id=None, now=None):
        """Set the day (a ``datetime.date``) after which a waiting hold lapses (only the
        reader's own when ``reader_id`` is given); the hold keeps its place in the queue.
        Refused: ``hold_unknown`` (no such open hold of the reader; reason ``hold_captured``
        when a copy is already set aside), ``hold_date`` (reasons ``hold_date_missing``,
        ``hold_date_past``: before the library's today, ``hold_date_far``: more than a year
        ahead). Recorded in the circulation log with the old and the new date."""

    def holds(reader_id):
        """The reader's open holds with their queue position or ready-until date."""

    # digital lending
    def borrow_digital(reader_id, item_uid, actor, now=None):
        """Borrow a licensed copy of a repository item (DigitalItem or Audiobook uid); returns
        the DigitalLoan, or joins the waitlist and returns the waitlist entry when no copy is free."""

    def return_digital(digital_loan_id, actor, reader_id=None, now=None):
        """End a digital loan early; the next reader on the waitlist is served."""

    def digital_loans(reader_id):
        """The reader's active digital loans and waitlist entries."""

    def access_token(digital_loan_id, reader_id, now=None, epoch=0):
        """A signed, short-lived token (``repository.access.IAccessTokens``) for the loan's item:
        valid for an hour at most and never past the loan; ``epoch`` is the item's
        ``access_epoch``."""

    def licence(item_uid):
        """The ``DigitalLicence`` of a repository item, or None when it is not lent digitally."""

    def available_copies(licence):
        """Copies of the licence free now (None: unlimited)."""

    def set_licence(item_uid, copies, title="", site="", loan_days=14):
        """Create or change the licence of a repository item (``copies`` None: unlimited)."""

    # follow-ups (privacy.py, fines.py, selfcheck.py)
    def anonymise_reader(reader_id):
        """Detach the reader from their returned loans, closed holds, ended digital loans,
        settled fines and events (rows and counts stay); refused while loans are out."""

    def anonymise_history(site, days, actor, now=None):
        """Anonymise the site's history older than ``days`` days of readers who did not opt
        in to keep it; recorded in the audit log; returns counts by kind."""

    def loan_statistics(site):
        """[(month "YYYY-MM", loans made)] of a site; anonymising leaves it unchanged."""

    def settle_fine(fine_id, how, actor, reason="", site=None, reader_id=None, now=None):
        """Mark a fine ``paid`` or ``waived`` (a waiver needs a reason); recorded."""

    def cancel_checkout(barcode, site, actor, now=None):
        """Undo the loan ``actor`` just made at ``site`` (a self-check machine that could not
        finish it): no loan remains and no other reader's hold captures the item."""

    # housekeeping (run by `serepok circulation tick` and after checkins)
    def expire(now=None):
        """Expire uncollected holds and ended digital loans, serve the next readers; returns counts."""

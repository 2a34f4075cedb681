"""Periodic jobs: schedules from settings, and the jobs registered by default.

A schedule is ``daily HH:MM``, ``hourly``, ``every N minutes``, a five-field
crontab (``30 2 * * *``) or ``off``; the setting ``jobs.periodic.<name>``
overrides the default of a registered job. The minute tick of the worker
creates a ``periodic`` job for each one due, so its runs appear in the job
table like any other job.
"""
import re

from huey import crontab

#: Registered here for packages that do not register their own yet (the fixity check
#: registers itself in ``repository.digitization``). name -> (function, schedule)
DEFAULTS = {
    "harvest": ("ils.jobs.periodic:harvest_due", "every 15 minutes"),
    "circulation": ("ils.jobs.periodic:circulation_tick", "every 5 minutes"),
}


def parse_schedule(text):
    """A predicate ``due(datetime) -> bool`` for a schedule, or None for ``off``."""
    text = " ".join((text or "").lower().split())
    if text in ("off", "none", "no", ""):
        return None
    if text == "hourly":
        return crontab(minute="0")
    match = re.fullmatch(r"daily (\d{1,2}):(\d{2})", text)
    if match:
        return crontab(minute=str(int(match[2])), hour=str(int(match[1])))
    match = re.fullmatch(r"every (\d+) minutes?", text)
    if match:
        return crontab(minute=f"*/{int(match[1])}")
    fields = text.split(" ")
    if len(fields) == 5:
        return crontab(*fields)
    raise ValueError(f"not a schedule: {text!r} (daily HH:MM, hourly, every N minutes, "
                     "a crontab, or off)")


def register_periodic_defaults(config):
    for name, (function, schedule) in DEFAULTS.items():
        if name == "harvest":    # the harvester says how often it wants to be asked
            schedule = _harvest_schedule(config.get_settings()) or schedule
        config.add_periodic_job(name, function, schedule)


def _harvest_schedule(settings):
    try:
        from ils.harvest import check_seconds
    except ImportError:
        return None
    minutes = max(1, round(check_seconds(settings) / 60))
    return f"every {minutes} minutes" if minutes < 60 else "hourly"


def harvest_due(request):
    """The union catalogue's due OAI-PMH harvests (``ils.harvest.run_due``), every
    ``serepok.harvest.check_minutes`` (15); returns its ``(vi, en)`` summary."""
    from ils import harvest
    run_due = getattr(harvest, "run_due", None)
    return run_due(request) if run_due is not None else None


def circulation_tick(request):
    """Expire holds and digital loans through ``ICirculation.expire`` once it is served."""
    from ils.circulation.interfaces import ICirculation
    try:
        circulation = request.find_service(ICirculation)
    except Exception:    # no circulation service registered yet: nothing to expire
        return None
    return circulation.expire()

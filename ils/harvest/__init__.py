"""OAI-PMH harvesting into the union catalogue.

Staff register partner sources (``models.OaiSource``); ``harvester`` fetches
their records incrementally through resumption tokens, converting Dublin Core
to MARC (``dublincore``) and storing them as BibRecords (``store``); ``jobs``
runs a harvest outside a request (``serepok harvest``, the "harvest now"
button); ``client`` is the OAI-PMH client that retries.

Harvest on a schedule: a background worker calls ``run_due(settings)`` (or
``run_due(request)`` inside the portal) every
``check_seconds(settings)`` (setting ``serepok.harvest.check_minutes``, default
15). It harvests each active source whose own interval
(``OaiSource.interval_hours``, 0 = on demand only) has passed since its last
harvest, or whose last harvest stopped half-way, then brings the union
catalogue and its index up to date. No scheduler of its own: the worker, cron
(``serepok harvest INI --due``) or a systemd timer decides when.
"""

__all__ = ["run_due", "check_seconds", "includeme"]


def run_due(target, transport=None, now=None):
    """Harvest the sources that are due; see ``ils.harvest.jobs.run_due``."""
    from .jobs import run_due as run
    return run(target, transport=transport, now=now)


def check_seconds(settings):
    """Seconds between two calls of ``run_due``; see ``ils.harvest.jobs.check_seconds``."""
    from .jobs import check_seconds as seconds
    return seconds(settings)


def includeme(config):
    from .services import IOaiSources, OaiSources
    config.register_service_factory(lambda context, request: OaiSources(request.dbsession),
                                    IOaiSources)

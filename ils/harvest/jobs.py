"""Run a harvest outside a request: from the command line, cron, or the "harvest
now" button (a background thread started after the request commits).

A harvest commits after every page, in its own session and transaction
manager, so what it stored survives whatever happens later. One source is
harvested by one process at a time: ``claim`` marks it running in the
database (a claim older than ``STALE`` is taken to be a crashed run).
"""
import datetime
import logging
import threading

import transaction
from sqlalchemy import or_, select, update
from zope.sqlalchemy import register

from .client import OaiClient
from .harvester import Harvester
from .models import OaiSource, utcnow

__all__ = ["run_harvest", "claim", "release", "client_options", "start_in_background",
           "due_sources", "wait_for_background", "STALE"]

log = logging.getLogger(__name__)
STALE = datetime.timedelta(hours=6)


def client_options(settings):
    """OaiClient options from ``serepok.harvest.*`` settings."""
    settings = settings or {}
    return {
        "timeout": float(settings.get("serepok.harvest.timeout", 60)),
        "retries": int(settings.get("serepok.harvest.retries", 4)),
        "backoff": float(settings.get("serepok.harvest.backoff", 2.0)),
        "max_wait": float(settings.get("serepok.harvest.max_wait", 300)),
    }


def claim(session, source_id, now=None):
    """Mark the source running; False when another run holds it."""
    now = now or utcnow()
    result = session.execute(
        update(OaiSource)
        .where(OaiSource.id == source_id,
               or_(OaiSource.running_since.is_(None), OaiSource.running_since < now - STALE))
        .values(running_since=now))
    return result.rowcount == 1


def release(session, source_id):
    session.execute(update(OaiSource).where(OaiSource.id == source_id)
                    .values(running_since=None))


def due_sources(session, now=None):
    """Active sources whose schedule says harvest now, by name."""
    sources = session.scalars(select(OaiSource).where(OaiSource.active.is_(True))
                              .order_by(OaiSource.name))
    return [s for s in sources if s.due(now)]


def run_harvest(session_factory, source_id, options=None, transport=None, sleep=None):
    """Harvest one source in its own transactions; the HarvestReport, or None
    when another run holds the source."""
    manager = transaction.TransactionManager(explicit=True)
    # one session across the harvest's transactions: kept open at each commit, so
    # the source object stays attached (zope.sqlalchemy closes it by default)
    session = session_factory()
    register(session, transaction_manager=manager, keep_session=True)
    session.info["transaction_manager"] = manager
    try:
        with manager:
            if not claim(session, source_id):
                return None
        manager.begin()
        try:
            source = session.get(OaiSource, source_id)
            extra = {"sleep": sleep} if sleep is not None else {}
            with OaiClient(source.base_url, transport=transport, **(options or {}),
                           **extra) as client:
                def checkpoint():
                    # flush first: a session that ran no SQL since the last commit has
                    # not joined this transaction, and its changes would wait
                    session.flush()
                    manager.commit()
                    manager.begin()
                report = Harvester(session, client, checkpoint).run(source)
            session.flush()
            manager.commit()
        except BaseException:
            manager.abort()
            raise
        finally:
            with manager:
                release(session, source_id)
        return report
    finally:
        session.close()


_threads_lock = threading.Lock()


def start_in_background(registry, source_id):
    """Harvest in a daemon thread of this process (the "harvest now" button).

    Call it after the request that asked has committed.
    """
    factory = registry["dbsession_factory"]
    options = client_options(registry.settings)

    def work():
        try:
            report = run_harvest(factory, source_id, options)
            if report is not None:
                log.info("harvest %s: %s", report.source, "; ".join(report.summary_lines()))
        except Exception:
            log.exception("harvest of source %s failed", source_id)

    thread = threading.Thread(target=work, name=f"harvest-{source_id}", daemon=True)
    with _threads_lock:
        threads = registry.setdefault("serepok.harvest_threads", [])
        threads[:] = [t for t in threads if t.is_alive()]
        threads.append(thread)
    thread.start()
    return thread


def wait_for_background(registry, timeout=60):
    """Wait for the background harvests of this process (tests, shutdown)."""
    for thread in list(registry.get("serepok.harvest_threads", [])):
        thread.join(timeout)

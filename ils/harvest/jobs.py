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
           "due_sources", "wait_for_background", "run_due", "run_sources", "check_seconds",
           "STALE", "CHECK_SETTING"]

log = logging.getLogger(__name__)
STALE = datetime.timedelta(hours=6)
# How often a background worker should call ``run_due`` (minutes). Each source
# has its own interval (``OaiSource.interval_hours``, set on the staff page);
# this only says how soon after its time a source is noticed.
CHECK_SETTING = "serepok.harvest.check_minutes"
CHECK_DEFAULT = 15


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


def check_seconds(settings):
    """Seconds between two calls of ``run_due`` (``serepok.harvest.check_minutes``,
    default 15; at least one minute)."""
    try:
        minutes = float((settings or {}).get(CHECK_SETTING, CHECK_DEFAULT))
    except (TypeError, ValueError):
        minutes = CHECK_DEFAULT
    return max(60.0, minutes * 60.0)


def run_sources(settings, names=None, due=False, transport=None, now=None, registry=None):
    """Harvest sources, then bring the union catalogue and its search index
    up to date with what was stored. ``names``: only these sources (unknown
    names raise ``LookupError``); ``due``: only those whose schedule says now
    (``OaiSource.due``); neither: every active source. ``registry``: the
    portal's, when called inside it (its database and union pipeline are
    used). Returns ``[(source name, HarvestReport)]``; the report is None
    when another process holds the source, or when the harvest failed
    unexpectedly (logged).
    """
    from pyramid.settings import asbool

    from federation.subscribers import install_session_events
    from ils import db

    # the harvest's transactions queue what they store for the union catalogue
    install_session_events()
    engine = None
    if registry is not None and "dbsession_factory" in registry:
        factory = registry["dbsession_factory"]
    else:
        engine = db.make_engine(settings)
        if asbool(settings.get("sql.auto_migrate", True)):
            db.upgrade(engine)
        factory = db.session_factory(engine)
    try:
        with factory() as session:
            if names:
                sources = list(session.scalars(
                    select(OaiSource).where(OaiSource.name.in_(list(names)))))
                missing = set(names) - {s.name for s in sources}
                if missing:
                    raise LookupError(sorted(missing))
                if due:
                    sources = [s for s in sources if s.due(now)]
            elif due:
                sources = due_sources(session, now)
            else:
                sources = list(session.scalars(select(OaiSource).where(
                    OaiSource.active.is_(True)).order_by(OaiSource.name)))
            wanted = [(s.id, s.name) for s in sources]
        options = client_options(settings)
        done = []
        try:
            for source_id, name in wanted:
                try:
                    report = run_harvest(factory, source_id, options, transport=transport)
                except Exception:     # one source's failure must not stop the others
                    log.exception("harvest of source %s failed", name)
                    report = None
                done.append((name, report))
        finally:
            if any(report is not None for _name, report in done):
                _update_union_catalogue(settings, registry)
        return done
    finally:
        if engine is not None:
            engine.dispose()


def _update_union_catalogue(settings, registry):
    pipeline = registry.get("federation.union_pipeline") if registry is not None else None
    if pipeline is not None:
        from federation.bulk import apply_queued
        apply_queued(pipeline)
    else:
        from federation.cli import apply_queued_changes
        apply_queued_changes(settings)


def run_due(target, transport=None, now=None):
    """Harvest every active source that is due, then update the union
    catalogue: what a background worker calls every ``check_seconds(settings)``
    (see ``CHECK_SETTING``). ``target``: the settings, or a request of the
    portal (its registry's database and union pipeline are then used). Safe
    to call from several processes at once: a source being harvested
    elsewhere is skipped; a source that fails is reported in its report or
    logged, never raised. Returns a summary ``(Vietnamese, English)``."""
    registry = getattr(target, "registry", None)
    settings = registry.settings if registry is not None else target
    done = run_sources(settings, due=True, transport=transport, now=now, registry=registry)
    if not done:
        return ("Không có nguồn nào đến hạn thu thập.", "No source was due for harvesting.")
    ok = [name for name, report in done if report is not None and report.status == "ok"]
    other = [name for name, _report in done if name not in ok]
    vi = f"Đã thu thập {len(ok)} nguồn" + (f"; chưa xong: {', '.join(other)}" if other else "")
    en = f"Harvested {len(ok)} sources" + (f"; not done: {', '.join(other)}" if other else "")
    return (vi + ".", en + ".")

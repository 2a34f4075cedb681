"""``serepok circulation tick INI``: expire uncollected holds and ended digital loans.

Run it from cron (every few minutes is plenty): each run serves the next reader
of every hold or digital copy it frees and queues their notifications; the
whole run is one transaction, so a failure changes nothing.
"""
import sys


def add_circulation(subparsers):
    """Add the ``circulation`` command to ``serepok``'s subparsers."""
    p = subparsers.add_parser("circulation", help="lưu thông / circulation housekeeping")
    actions = p.add_subparsers(dest="action", required=True)
    tick = actions.add_parser(
        "tick", help="hết hạn giữ chỗ và mượn số / expire holds and digital loans")
    tick.add_argument("ini", help="tệp cấu hình / configuration file, e.g. development.ini")
    tick.set_defaults(func=cmd_tick)
    return p


def cmd_tick(args, out=None):
    from pyramid.paster import get_appsettings, setup_logging

    from ils import db

    from .service import CirculationService
    out = out or sys.stdout
    setup_logging(args.ini)
    settings = get_appsettings(args.ini)
    engine = db.make_engine(settings)
    try:
        session = db.session_factory(engine)()
        try:
            counts = CirculationService(session, settings).expire()
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
    finally:
        engine.dispose()
    print(f"Giữ chỗ hết hạn / holds expired: {counts['holds_expired']}", file=out)
    print(f"Giữ chỗ quá hạn chờ / waiting holds lapsed: {counts['holds_lapsed']}", file=out)
    print(f"Mượn số đã trả / digital loans ended: {counts['digital_returned']}", file=out)
    return 0

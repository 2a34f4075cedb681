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
    from ils import db

    from .service import CirculationService
    out = out or sys.stdout
    with db.script_session(args.ini) as (session, settings):
        counts = CirculationService(session, settings).expire()
    print(f"Giữ chỗ hết hạn / holds expired: {counts['holds_expired']}", file=out)
    print(f"Giữ chỗ quá hạn chờ / waiting holds lapsed: {counts['holds_lapsed']}", file=out)
    print(f"Mượn số đã trả / digital loans ended: {counts['digital_returned']}", file=out)
    return 0

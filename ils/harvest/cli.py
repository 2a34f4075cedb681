"""``serepok harvest INI [--source NAME] [--due]``: harvest OAI-PMH sources.

Without options every active source is harvested; ``--source`` (repeatable)
names the ones to harvest; ``--due`` keeps only those whose interval has
passed since their last harvest, or whose last harvest stopped half-way.
Run ``serepok harvest production.ini --due`` every few minutes from cron or a
systemd timer (docs/operations.md), or let the background worker call
``ils.harvest.run_due(settings)`` every ``serepok.harvest.check_minutes``.
Each page is committed as it is stored, so an interrupted harvest resumes
where it stopped; afterwards the union catalogue and its search index take
what was harvested.

Exit status: 0 every harvest complete; 1 some source could not be harvested
(or some records could not be read); 2 a named source does not exist.
"""
import sys

__all__ = ["add_harvest", "cmd_harvest"]


def add_harvest(subparsers):
    """Add the ``harvest`` command to ``serepok``'s subparsers."""
    p = subparsers.add_parser(
        "harvest", help="thu thập biểu ghi từ các nguồn OAI-PMH / harvest OAI-PMH sources")
    p.add_argument("ini", help="tệp cấu hình / configuration file, e.g. development.ini")
    p.add_argument("--source", action="append", default=[], metavar="NAME",
                   help="chỉ thu thập nguồn này (lặp lại được) / harvest only this source "
                        "(repeatable)")
    p.add_argument("--due", action="store_true",
                   help="chỉ các nguồn đã đến hạn / only the sources that are due")
    p.set_defaults(func=cmd_harvest)
    return p


def cmd_harvest(args, out=None, err=None, transport=None):
    from pyramid.paster import get_appsettings, setup_logging

    from .jobs import run_sources

    out, err = out or sys.stdout, err or sys.stderr
    setup_logging(args.ini)
    settings = get_appsettings(args.ini)
    try:
        done = run_sources(settings, names=args.source, due=args.due, transport=transport)
    except LookupError as missing:
        print("Không có nguồn / no such source: " + ", ".join(missing.args[0]), file=err)
        return 2
    if not done:
        print("Không có nguồn nào cần thu thập / nothing to harvest", file=out)
        return 0
    status = 0
    for name, report in done:
        if report is None:
            print(f"{name}: đang được thu thập ở nơi khác, hoặc lỗi (xem nhật ký) / already "
                  f"being harvested, or failed (see the log)", file=out)
            continue
        for line in report.summary_lines():
            print(line, file=out)
        if report.status != "ok":
            status = 1
    return status

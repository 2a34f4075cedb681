"""``serepok import marc INI FILE --site CODE``: import a catalogue from the command line.

The whole file is imported in one transaction: it is committed at the end,
so an interrupted or failed import leaves the store exactly as it was, and
running it again is safe (see ``ils.catalogue.importer``). Damaged records are
skipped and listed; they never stop the import.

Exit status: 0 every record imported; 1 imported, but some records were
rejected or the file could not be read to its end; 2 nothing imported.
"""
import os
import sys

from ils.gcpause import paused_gc

__all__ = ["add_import_marc", "cmd_import_marc", "import_marc_file"]


def add_import_marc(subparsers):
    """Add the ``marc`` command to the subparsers of ``serepok import``."""
    p = subparsers.add_parser(
        "marc", help="nhập biểu ghi MARC 21 (ISO 2709, MARCXML) / import MARC 21 records")
    p.add_argument("ini", help="tệp cấu hình / configuration file, e.g. development.ini")
    p.add_argument("file", help="tệp MARC / the MARC file (.mrc, .dat, .xml)")
    p.add_argument("--site", required=True,
                   help="cơ sở hoặc thư viện xã giữ các bản sách / the site or commune "
                        "library holding the copies, e.g. bmt, tuy-hoa")
    p.add_argument("--source", default=None,
                   help="tên nguồn nhận diện biểu ghi (mặc định: --site) / the source records "
                        "are identified under (default: --site)")
    p.add_argument("--branch", action="append", default=[], metavar="CODE=LIBRARY",
                   help="mã chi nhánh Koha → thư viện / Koha branch code → library, repeatable")
    p.add_argument("--encoding", default=None,
                   help="bảng mã khi đầu biểu ghi ghi sai / the encoding when the leader is "
                        "wrong: utf-8, marc-8, tcvn3, vni, cp1258…")
    p.add_argument("--dry-run", action="store_true",
                   help="đọc và báo cáo, không lưu / read and report, store nothing")
    p.add_argument("--quiet", action="store_true", help="không hiện tiến độ / no progress bar")
    p.set_defaults(func=cmd_import_marc)
    return p


def _branches(pairs):
    branches = {}
    for pair in pairs:
        code, sep, library = pair.partition("=")
        if not sep or not code or not library:
            raise ValueError(pair)
        branches[code] = library
    return branches


@paused_gc()
def import_marc_file(settings, file, site, source=None, branches=None, encoding=None,
                     dry_run=False, progress=None, quiet=True, err=None):
    """What ``serepok import marc`` does, for a caller with the settings: import
    ``file`` in one transaction, commit, then bring the union catalogue and
    its search index up to date (in bulk for a large file, ``federation.bulk``).
    Returns the ``ImportReport``; raises ``NotMarcError``, ``ValueError`` or
    ``OSError`` with nothing stored. Collection of reference cycles waits
    for the end (``ils.gcpause``): the records the import hands to the union
    catalogue update stay alive in between."""
    import time

    import transaction
    from pyramid.settings import asbool

    from federation.sources import Handover, Imported
    from federation.subscribers import install_session_events, pending_for
    from federation.workers import warm_up
    from ils import db

    from .importer import PARALLEL_BYTES
    from .services import CatalogueService

    if isinstance(file, (str, os.PathLike)) and os.path.getsize(file) >= PARALLEL_BYTES:
        # a large file is read, and its union records made, by worker processes
        warm_up("ils.catalogue.prepare", "federation.members",
                "federation.index.tantivy_documents")
    # the import's transaction queues what it changes for the union catalogue
    install_session_events()
    engine = db.make_engine(settings)
    if asbool(settings.get("sql.auto_migrate", True)):
        db.upgrade(engine)
    factory = db.session_factory(engine)
    manager = transaction.TransactionManager(explicit=True)
    started = time.perf_counter()
    manager.begin()
    # the records the import creates, handed to the union catalogue update below
    written = Imported()
    try:
        session = db.tm_session(factory, manager)
        report = CatalogueService(session).import_marc(
            file, site, source=source, branches=branches or {}, encoding=encoding,
            progress=progress, written=written)
        if dry_run:
            manager.abort()
            return report
        batch = pending_for(manager).batch
        written = Handover(written.items(), batch)
        sites = (settings.get("federation.sites") or "").split()
        if sites:
            # the union update that follows takes the records as members: the workers
            # make them now, while this process commits
            written.prepare(sites)
        manager.commit()
    except BaseException:
        manager.abort()
        raise
    finally:
        engine.dispose()
    report.seconds["import"] = time.perf_counter() - started
    # the portal is not in this process: bring the union catalogue up to date now
    from federation.cli import apply_queued_changes, count_merged
    from federation.members import ils_key
    started = time.perf_counter()
    apply_queued_changes(settings, quiet=quiet, err=err, written=written)
    report.merged = count_merged(settings, [ils_key(record_id) for record_id in
                                            report.changed_ids + report.unchanged_ids],
                                 batch=batch)
    report.seconds["union"] = time.perf_counter() - started
    return report


def cmd_import_marc(args, out=None, err=None):
    from pyramid.paster import get_appsettings, setup_logging

    from .report import NotMarcError

    out, err = out or sys.stdout, err or sys.stderr
    setup_logging(args.ini)
    settings = get_appsettings(args.ini)
    try:
        branches = _branches(args.branch)
    except ValueError as exc:
        print(f"Không hiểu / not understood: --branch {exc}", file=err)
        return 2
    bar = _progress_bar(args.file, disable=args.quiet, err=err)
    try:
        report = import_marc_file(
            settings, args.file, args.site, source=args.source, branches=branches,
            encoding=args.encoding, dry_run=args.dry_run,
            progress=bar.update if bar else None, quiet=args.quiet, err=err)
    except NotMarcError as exc:
        print(f"{args.file}: {exc.reason}", file=err)
        return 2
    except (ValueError, OSError) as exc:
        print(f"Lỗi / error: {exc}", file=err)
        return 2
    finally:
        if bar:
            bar.close()
    for line in report.summary_lines():
        print(line, file=out)
    if args.dry_run:
        print("Chạy thử: chưa lưu gì / dry run: nothing was stored", file=out)
    return 1 if report.rejected or report.stopped else 0


class _Bar:
    """tqdm over the bytes of the file, showing the records read."""

    def __init__(self, total, err):
        from tqdm import tqdm
        self.tqdm = tqdm(total=total, unit="B", unit_scale=True, file=err,
                         desc="Đang nhập / importing", disable=None)

    def update(self, records, position):
        self.tqdm.update(max(0, position - self.tqdm.n))
        self.tqdm.set_postfix_str(f"{records} biểu ghi / records", refresh=False)

    def close(self):
        self.tqdm.close()


def _progress_bar(path, disable, err):
    import os
    if disable:
        return None
    try:
        return _Bar(os.path.getsize(path), err)
    except OSError:
        return None

"""``serepok sip2 INI``: run the SIP2 server for self-check machines.

It serves until stopped (SIGINT/SIGTERM); see docs/operations.md for running
it as a systemd service next to the portal. Settings: ``sip2.*`` in the ini
file (``ils/sip2/server.py``); terminals are set up on the staff screen
``/staff/sip2``.
"""
import signal
import sys
import threading

__all__ = ["add_sip2", "cmd_sip2"]


def add_sip2(subparsers):
    """Add the ``sip2`` command to ``serepok``'s subparsers."""
    p = subparsers.add_parser(
        "sip2", help="chạy máy chủ SIP2 cho máy tự mượn trả / run the SIP2 self-check server")
    p.add_argument("ini", help="tệp cấu hình / configuration file, e.g. production.ini")
    p.add_argument("--port", type=int, default=None,
                   help="cổng, thay cho sip2.port / port, instead of sip2.port")
    p.set_defaults(func=cmd_sip2)
    return p


def build_server(settings):
    """The server wired to the real stores and the real circulation service.
    Copies lent and taken back reach the union catalogue (a reader searching
    sees them off or back on the shelf) from this process, as they do from
    the portal's: its transactions queue the change, its pipeline applies it
    in the background once the machine has its answer. The repository
    (ZODB) is never opened: the portal may hold it."""
    from pyramid.settings import asbool

    from federation.subscribers import follow_engine
    from ils import db
    from ils.accounts.services import hasher_from_settings
    from ils.circulation.service import CirculationService

    from .language import CatalogueTranslator
    from .server import make_server

    engine = db.make_engine(settings)
    if asbool(settings.get("sql.auto_migrate", True)):
        db.upgrade(engine)
    factory = db.session_factory(engine)
    pipeline = follow_engine(settings, engine, factory)
    server = make_server(settings, factory, lambda session: CirculationService(session, settings),
                         hasher_from_settings(settings),
                         translate=CatalogueTranslator(settings.get("sip2.locale_dir",
                                                                    "portal:locale")))
    server.engine, server.pipeline = engine, pipeline
    return server


def cmd_sip2(args, out=None):
    from pyramid.paster import get_appsettings, setup_logging
    out = out or sys.stdout
    setup_logging(args.ini)
    settings = dict(get_appsettings(args.ini))
    if args.port is not None:
        settings["sip2.port"] = str(args.port)
    server = build_server(settings)
    tls = "TLS" if server.ssl_context is not None else "TCP"
    print(f"SIP2 ({tls}) {server.server_address[0]}:{server.port} — Ctrl-C để dừng / to stop",
          file=out, flush=True)

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        # loans already answered reach the union catalogue before the process ends
        if not server.pipeline.wait(60):
            print("Mục lục liên hợp chưa nhận hết các lượt mượn trả; bộ xử lý nền sẽ "
                  "cập nhật sau. / The union catalogue has not taken every loan and "
                  "return yet; the background worker will apply them.", file=sys.stderr)
        server.engine.dispose()
    return 0

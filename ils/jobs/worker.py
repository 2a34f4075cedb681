"""``serepok worker INI``: the huey consumer that runs the background jobs.

It loads the application (so job handlers find the stores and services),
queues again what a dead worker left behind, then consumes the queue with
``jobs.workers`` threads (``--workers`` overrides) and the minute tick.
Ctrl-C or SIGTERM stop it; a job cut short then goes back to the queue.
"""
import logging
import sys

log = logging.getLogger(__name__)


def run_worker(registry, workers=None, periodic=True):
    from . import runner
    huey = registry["jobs.huey"]
    workers = int(workers or registry.settings.get("jobs.workers", 2))
    requeued = runner.reap(registry)
    if requeued:
        log.info("queued again after a stopped worker: %s", requeued)
    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=periodic,
                                    check_worker_health=True, shutdown_timeout=10,
                                    initial_delay=0.1, max_delay=2.0)
    runner.STOPPING.clear()
    original_stop = consumer.stop

    def stop(graceful=False):
        runner.STOPPING.set()
        return original_stop(graceful=graceful)

    consumer.stop = stop
    print(f"Bộ xử lý nền / worker: {workers} luồng / threads, "
          f"hàng đợi / queue: {type(huey).__name__}", file=sys.stderr, flush=True)
    try:
        consumer.run()
    finally:
        runner.STOPPING.set()
        runner.release_own(registry)
    return 0


def cmd_worker(args):
    from pyramid.paster import get_app, setup_logging
    setup_logging(args.ini)
    app = get_app(args.ini)
    try:
        return run_worker(app.registry, workers=args.workers)
    finally:
        for database in getattr(app.registry, "_zodb_databases", {}).values():
            database.close()
        app.registry["dbengine"].dispose()


def add_worker(subparsers):
    p = subparsers.add_parser("worker", help="chạy công việc nền / run the background jobs")
    p.add_argument("ini", help="tệp cấu hình / configuration file, e.g. development.ini")
    p.add_argument("--workers", type=int, default=None,
                   help="số luồng / worker threads (default: setting jobs.workers, 2)")
    p.set_defaults(func=cmd_worker)

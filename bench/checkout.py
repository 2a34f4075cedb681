#!/usr/bin/env python
"""Checkouts through the circulation service on PostgreSQL, many desks at once.

    python bench/checkout.py [--url URL] [--clients 20] [--duration 20] [--hot 0.1]

Each client is a thread with its own connection and session, like a desk, a
kiosk or the SIP2 server: it checks out an item (a fresh one, or with
probability ``--hot`` one of a few "hot" items every client fights over),
commits, and starts again. At the end the database is asked for items with
more than one active loan (there must be none) and the figures are printed
(and written as JSON with ``--json``).

The database is the PostgreSQL at ``--url`` (default: ``SEREPOK_TEST_PG_URL``,
else a throwaway cluster started with ``scripts/pg-test`` under var/bench-pg on port
55440, left running for the next run);
the benchmark works in a schema of its own and drops it afterwards.
Target (issue 6): at least 200 checkouts per second with 20 clients, zero
duplicate loans.
"""
import argparse
import datetime
import hashlib
import json
import multiprocessing
import os
import pathlib
import random
import statistics
import subprocess
import sys
import threading
import time
import uuid

from sqlalchemy import create_engine, insert, text

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ils import db  # noqa: E402
from ils.catalogue.models import BibRecord, Item  # noqa: E402
from ils.circulation.interfaces import CirculationError  # noqa: E402
from ils.circulation.models import Policy  # noqa: E402
from ils.circulation.service import CirculationService  # noqa: E402
from ils.readers.models import Reader  # noqa: E402

TARGET = 200.0


def database_url(given):
    if given:
        return given
    if os.environ.get("SEREPOK_TEST_PG_URL"):
        return os.environ["SEREPOK_TEST_PG_URL"]
    env = dict(os.environ, SEREPOK_PG_PORT=os.environ.get("SEREPOK_PG_PORT", "55440"))
    done = subprocess.run([str(ROOT / "scripts" / "pg-test"), "start",
                           str(ROOT / "var" / "bench-pg")], capture_output=True, text=True,
                          env=env)
    if done.returncode != 0:
        sys.exit(done.stderr)
    return done.stdout.strip()


def populate(engine, readers, items, hot):
    now = datetime.datetime.now(datetime.timezone.utc)
    with engine.begin() as conn:
        conn.execute(insert(Policy), [{"site": "bmt", "category": "*", "loan_days": 14,
                                       "max_loans": 100000, "max_renewals": 2, "hold_limit": 5,
                                       "hold_pickup_days": 3, "digital_loan_days": 14,
                                       "digital_limit": 3, "fine_per_day": 0}])
        conn.execute(insert(Reader), [
            {"card_number": f"B{n:09d}", "id_number": f"0{n:011d}", "status": "active",
             "category": "adult", "home_site": "bmt", "full_name": f"Bạn đọc {n}",
             "old_id_number": "", "sex": "", "address": "", "phone": "", "email": "",
             "block_reason": "", "staff_note": "", "keep_history": False,
             "notify_email": True, "language": "vi", "source": "desk", "verified_by": "",
             "created": now, "updated": now, "expires": datetime.date(2099, 1, 1)}
            for n in range(readers)])
        conn.execute(insert(BibRecord), [
            {"id": 1, "source": "bench", "control_number": "1", "library": "bmt", "marc": b"-",
             "marc_format": "iso2709", "marc_hash": hashlib.md5(b"1").hexdigest(),
             "encoding": "utf-8", "record_type": "a", "bib_level": "m", "format": "book",
             "title": "Sách đo hiệu năng", "statement": "", "authors": [], "publisher": "",
             "place": "", "issns": [], "language": "vie", "languages": [], "subjects": [],
             "ddc": "", "title_key": "", "author_key": "", "created": now, "updated": now}])
        conn.execute(insert(Item), [
            {"barcode": f"I{n:08d}", "record_id": 1, "library": "bmt", "branch": "",
             "location": "", "call_number": "", "item_type": "", "status": "available",
             "source": "bench", "created": now, "updated": now}
            for n in range(items + hot)])
        reader_ids = [r for (r,) in conn.execute(text("SELECT id FROM readers ORDER BY id"))]
    return reader_ids


def worker(job):
    """One process: ``threads`` clients checking out until the deadline; returns stats."""
    url, index, processes, threads, deadline, hot_share, hot_items, budget, reader_ids, seed = job
    engine = db.make_engine({"sqlalchemy.url": url, "sqlalchemy.pool_size": str(threads + 1),
                             "sqlalchemy.max_overflow": "0"})
    factory = db.session_factory(engine)
    # this process's share of the fresh items; the hot ones are fought over by everyone
    fresh = iter(f"I{n:08d}" for n in range(hot_items + index, hot_items + budget, processes))
    hot = [f"I{n:08d}" for n in range(hot_items)]
    lock = threading.Lock()
    stats = {"ok": 0, "refused": 0, "errors": 0, "latencies": [], "hot_ok": 0}

    def client(n):
        rng = random.Random(seed + 1000 * index + n)
        while time.time() < deadline:
            is_hot = rng.random() < hot_share
            with lock:
                barcode = rng.choice(hot) if is_hot else next(fresh)
            reader = rng.choice(reader_ids)
            start = time.perf_counter()
            # one session per checkout, as one request (or one SIP2 message) has
            session = factory()
            try:
                CirculationService(session, {}).checkout(reader, barcode, "bmt", f"bench-{n}")
                session.commit()
                outcome = "ok"
            except CirculationError:
                session.rollback()
                outcome = "refused"
            except Exception:
                session.rollback()
                outcome = "errors"
            finally:
                session.close()
            elapsed = time.perf_counter() - start
            with lock:
                stats[outcome] += 1
                if outcome == "ok":
                    stats["latencies"].append(elapsed)
                    stats["hot_ok"] += is_hot

    pool = [threading.Thread(target=client, args=(n,)) for n in range(threads)]
    stats["began"] = time.time()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    stats["ended"] = time.time()
    engine.dispose()
    return stats


def run(url, clients, duration, hot_share, hot_items, seed, processes):
    schema = "bench_" + uuid.uuid4().hex[:10]
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in url else "?"
    schema_url = f"{url}{sep}options=-csearch_path%3D{schema}"
    engine = db.make_engine({"sqlalchemy.url": schema_url})
    try:
        db.upgrade(engine)
        budget = int(duration * 600) + 1000        # more fresh items than can be lent
        reader_ids = populate(engine, 500, budget, hot_items)
        processes = max(1, min(processes, clients))
        shares = [clients // processes + (i < clients % processes) for i in range(processes)]
        began = time.time()
        deadline = began + 3 + duration            # the workers need a moment to start
        jobs = [(schema_url, i, processes, shares[i], deadline, hot_share, hot_items, budget,
                 reader_ids, seed) for i in range(processes)]
        with multiprocessing.get_context("spawn").Pool(processes) as pool:
            parts = pool.map(worker, jobs)
        # from the first client's start to the last one's end
        wall = max(p["ended"] for p in parts) - min(p["began"] for p in parts)
        stats = {k: sum(p[k] for p in parts) for k in ("ok", "refused", "errors", "hot_ok")}
        lat = sorted(x for p in parts for x in p["latencies"])
        with engine.connect() as conn:
            duplicates = conn.execute(text(
                "SELECT count(*) FROM (SELECT item_id FROM loans WHERE returned_at IS NULL "
                "GROUP BY item_id HAVING count(*) > 1) d")).scalar()
            loans = conn.execute(text("SELECT count(*) FROM loans")).scalar()

        def pct(p):
            return round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000, 1) if lat else None
        return {
            "clients": clients, "processes": processes, "duration_s": round(wall, 1),
            "checkouts": stats["ok"], "per_second": round(stats["ok"] / wall, 1),
            "refused": stats["refused"], "errors": stats["errors"], "hot_items": hot_items,
            "hot_share": hot_share, "hot_checkouts": stats["hot_ok"], "loans_in_db": loans,
            "duplicate_active_loans": duplicates,
            "latency_ms": {"p50": pct(0.5), "p95": pct(0.95), "p99": pct(0.99),
                           "mean": round(statistics.mean(lat) * 1000, 1) if lat else None},
            "load_average": [round(x, 2) for x in os.getloadavg()],
        }
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--hot", type=float, default=0.1,
                        help="share of attempts on the few contested items")
    parser.add_argument("--hot-items", type=int, default=5)
    parser.add_argument("--seed", type=int, default=26)
    parser.add_argument("--processes", type=int, default=1,
                        help="client processes (the clients are shared out among them)")
    parser.add_argument("--json", default="")
    args = parser.parse_args(argv)
    result = run(database_url(args.url), args.clients, args.duration, args.hot,
                 args.hot_items, args.seed, args.processes)
    result["target_per_second"] = TARGET
    result["met"] = result["per_second"] >= TARGET and result["duplicate_active_loans"] == 0
    print(json.dumps(result, indent=2, ensure_ascii=False))
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0 if result["duplicate_active_loans"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

"""Circulation under concurrency and faults, on a real PostgreSQL (and SQLite where it applies).

- 50 checkouts of one item from 50 connections at once: exactly one loan;
- two copies of a title checked in at once with one reader waiting: the hold is
  captured once;
- a PostgreSQL restart between a checkout and its checkin loses nothing (a
  throwaway cluster of its own on port 55439, started with scripts/pg-test).
"""
import os
import pathlib
import shutil
import subprocess
import threading

import pytest
from ils import db
from ils.catalogue.models import Item, ItemStatus
from ils.circulation.interfaces import CirculationError
from ils.circulation.models import CirculationEvent, Hold, HoldStatus, Loan
from ils.circulation.service import CirculationService

from ..circulation_support import make_reader, make_title

ROOT = pathlib.Path(__file__).resolve().parents[2]
RESTART_PORT = "55439"


def migrated_engine(url, pool=60):
    settings = {"sqlalchemy.url": url, "sqlalchemy.pool_pre_ping": "true"}
    if url.startswith("postgresql"):
        settings.update({"sqlalchemy.pool_size": str(pool), "sqlalchemy.max_overflow": "0"})
    engine = db.make_engine(settings)
    db.upgrade(engine)
    return engine


def run_at_once(n, work):
    """Run ``work(i)`` in n threads released together; returns their results."""
    barrier = threading.Barrier(n)
    results = [None] * n

    def runner(i):
        barrier.wait()
        results[i] = work(i)
    threads = [threading.Thread(target=runner, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def test_fifty_concurrent_checkouts_of_one_item_make_one_loan(sql_url, sql_backend):
    engine = migrated_engine(sql_url)
    factory = db.session_factory(engine)
    try:
        with factory() as s:
            readers = [make_reader(s).id for _ in range(50)]
            _r, (item,) = make_title(s)
            barcode = item.barcode
            s.commit()

        def checkout(i):
            with factory() as session:
                try:
                    CirculationService(session, {}).checkout(readers[i], barcode, "bmt",
                                                             f"desk-{i}")
                    session.commit()
                    return "ok"
                except CirculationError as error:
                    session.rollback()
                    return error.code
                except Exception as error:           # SQLite: "database is locked"
                    session.rollback()
                    return type(error).__name__

        results = run_at_once(50, checkout)
        assert results.count("ok") == 1, results
        if sql_backend == "postgresql":
            # the losers get the desk's clear answer, not a crash
            assert sorted(set(results) - {"ok"}) == ["item_on_loan"]
        with factory() as s:
            assert s.query(Loan).filter(Loan.returned_at.is_(None)).count() == 1
            assert s.query(Item).filter_by(barcode=barcode).one().status == ItemStatus.ON_LOAN
            assert s.query(CirculationEvent).filter_by(kind="checkout").count() == 1
    finally:
        engine.dispose()


def test_a_hold_is_captured_once_when_copies_come_back_together(sql_url, sql_backend):
    if sql_backend != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL (SQLite runs one writer at a time)")
    engine = migrated_engine(sql_url)
    factory = db.session_factory(engine)
    try:
        for round_ in range(10):
            with factory() as s:
                circ = CirculationService(s, {})
                a, b, waiting = make_reader(s), make_reader(s), make_reader(s)
                record, items = make_title(s, copies=[("bmt", None), ("bmt", None)])
                circ.checkout(a.id, items[0].barcode, "bmt", "x")
                circ.checkout(b.id, items[1].barcode, "bmt", "x")
                hold = circ.place_hold(waiting.id, "bmt", "w", bib_record_id=record.id)
                barcodes, hold_id = [i.barcode for i in items], hold.id
                s.commit()

            def checkin(i):
                with factory() as session:
                    result = CirculationService(session, {}).checkin(barcodes[i], "bmt", "x")
                    session.commit()
                    return result["hold"].id if result["hold"] else None

            results = run_at_once(2, checkin)
            assert sorted(results, key=str) == sorted([hold_id, None], key=str), round_
            with factory() as s:
                hold = s.get(Hold, hold_id)
                assert hold.status == HoldStatus.READY
                statuses = sorted(i.status.value for i in
                                  s.query(Item).filter(Item.barcode.in_(barcodes)))
                assert statuses == ["available", "on_hold_shelf"]
    finally:
        engine.dispose()


def pg_test(action, directory):
    env = dict(os.environ, SEREPOK_PG_PORT=RESTART_PORT)
    done = subprocess.run([str(ROOT / "scripts" / "pg-test"), action, str(directory)],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture
def restartable_pg(tmp_path):
    if not shutil.which("runuser") or not list(pathlib.Path("/usr/lib/postgresql").glob(
            "*/bin/pg_ctl")):
        pytest.skip("PostgreSQL server binaries are not installed")
    directory = tmp_path / "pg"
    url = pg_test("start", directory)
    try:
        yield directory, url
    finally:
        pg_test("stop", directory)
        shutil.rmtree(f"/tmp/serepok-pg-{RESTART_PORT}", ignore_errors=True)


def test_checkin_after_a_database_restart_loses_nothing(restartable_pg):
    directory, url = restartable_pg
    engine = migrated_engine(url, pool=5)
    factory = db.session_factory(engine)
    try:
        with factory() as s:
            reader = make_reader(s)
            _r, (item,) = make_title(s)
            CirculationService(s, {}).checkout(reader.id, item.barcode, "bmt", "x")
            s.commit()
            barcode = item.barcode
        pg_test("stop", directory)
        pg_test("start", directory)
        with factory() as s:                 # the pool reconnects (pre-ping)
            result = CirculationService(s, {}).checkin(barcode, "bmt", "x")
            assert result["loan"] is not None
            s.commit()
        pg_test("stop", directory)
        pg_test("start", directory)
    finally:
        engine.dispose()
    engine = migrated_engine(url, pool=5)
    try:
        with db.session_factory(engine)() as s:
            loan = s.query(Loan).one()
            assert loan.returned_at is not None and loan.returned_site == "bmt"
            assert s.query(Item).one().status == ItemStatus.AVAILABLE
            assert [e.kind for e in s.query(CirculationEvent).order_by(CirculationEvent.id)] \
                == ["checkout", "checkin"]
    finally:
        engine.dispose()


def test_concurrent_digital_borrowers_never_exceed_the_licensed_copies(sql_url, sql_backend):
    if sql_backend != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL (SQLite runs one writer at a time)")
    from ils.circulation.models import DigitalLoan, DigitalWait
    engine = migrated_engine(sql_url)
    factory = db.session_factory(engine)
    try:
        with factory() as s:
            readers = [make_reader(s).id for _ in range(12)]
            CirculationService(s, {}).set_licence("9" * 32, 2, title="Sách nói")
            s.commit()

        def borrow(i):
            with factory() as session:
                try:
                    entry = CirculationService(session, {}).borrow_digital(readers[i], "9" * 32,
                                                                           "app")
                    session.commit()
                    return type(entry).__name__
                except CirculationError as error:
                    session.rollback()
                    return error.code

        results = run_at_once(12, borrow)
        assert results.count("DigitalLoan") == 2, results
        assert results.count("DigitalWait") == 10, results
        with factory() as s:
            assert s.query(DigitalLoan).filter(DigitalLoan.returned_at.is_(None)).count() == 2
            assert sorted(l.copy_no for l in s.query(DigitalLoan)) == [1, 2]
            assert s.query(DigitalWait).count() == 10
    finally:
        engine.dispose()

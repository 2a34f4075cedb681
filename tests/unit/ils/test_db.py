"""Alembic migrations give exactly the schema the models describe, on SQLite and PostgreSQL."""
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from ils import db
from ils.models import all_metadata


def test_upgrade_from_empty_matches_the_models(engine, sql_backend):
    assert inspect(engine).get_table_names() == []
    db.upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), all_metadata())
    assert diff == []
    assert db.current_revision(engine) == db.head_revision(engine)
    assert {"users", "api_tokens"} <= set(inspect(engine).get_table_names())


def test_upgrade_twice_is_harmless(engine, sql_backend):
    db.upgrade(engine)
    db.upgrade(engine)
    assert db.current_revision(engine) == db.head_revision(engine)


def test_downgrade_to_base_and_up_again(engine, sql_backend):
    from alembic import command
    db.upgrade(engine)
    command.downgrade(db.alembic_config(engine), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    db.upgrade(engine)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), all_metadata()) == []



def test_0015_recomputes_fingerprints_without_moving_datestamps(engine, sql_backend):
    import datetime

    from alembic import command
    from sqlalchemy import select

    from federation.merge import fingerprint, fingerprint_v1
    from federation.models import UnionRecord
    from federation.records import Holding, Record

    db.upgrade(engine, "0014")
    stamp = datetime.datetime(2025, 7, 1, 8, 30, tzinfo=datetime.timezone.utc)
    records = [Record(id=f"u{n}", title=f"Lịch sử Đắk Lắk {n}", authors=["Nguyễn Văn A"],
                      holdings=[Holding(library="bmt", site="bmt", items=2, available=n % 2)])
               for n in range(3)]
    with engine.begin() as conn:
        conn.execute(UnionRecord.__table__.insert(), [
            {"id": r.id, "merge_key": r.id, "record": r.to_dict(),
             "fingerprint": fingerprint_v1(r.to_dict()), "datestamp": stamp, "deleted": False}
            for r in records])
    db.upgrade(engine)
    table = UnionRecord.__table__
    with engine.connect() as conn:
        rows = conn.execute(select(table.c.record, table.c.fingerprint, table.c.datestamp)
                            .order_by(table.c.id)).all()
    assert [row.fingerprint for row in rows] == [fingerprint(r.to_dict()) for r in records]
    assert all(row.fingerprint != fingerprint_v1(row.record) for row in rows)
    assert {row.datestamp.replace(tzinfo=datetime.timezone.utc) for row in rows} == {stamp}
    command.downgrade(db.alembic_config(engine), "0014")
    with engine.connect() as conn:
        assert [f for (f,) in conn.execute(select(table.c.fingerprint).order_by(table.c.id))] \
            == [fingerprint_v1(r.to_dict()) for r in records]


def test_insert_rows_stores_what_an_orm_insert_stores(dbsession, sql_backend):
    """The fast path writes the same values (timestamps, JSON, enums, bytes,
    defaults) as SQLAlchemy's own insert, on SQLite and PostgreSQL."""
    import datetime

    from sqlalchemy import insert, select

    from ils.catalogue.models import BibRecord, Item, ItemStatus

    when = datetime.datetime(2026, 3, 8, 7, 15, 30, 123456, tzinfo=datetime.timezone.utc)
    base = dict(source="bmt", library="bmt", marc=b"\x00\x1e\xffMARC\\N\t", marc_hash="h",
                title="Đắk Lắk\tBuôn\nMa Thuột \\N", authors=["Y Jut Hwing", "a\\b\t"],
                subjects=[], year=None, created=when, updated=when)
    dbsession.execute(insert(BibRecord), [dict(base, control_number="orm")])
    db.insert_rows(dbsession, BibRecord, [dict(base, control_number="fast")])
    rows = {r.control_number: r for r in dbsession.scalars(select(BibRecord))}
    columns = [c.key for c in BibRecord.__table__.columns if c.key not in ("id",
                                                                          "control_number")]
    assert {c: getattr(rows["fast"], c) for c in columns} == \
        {c: getattr(rows["orm"], c) for c in columns}
    assert rows["fast"].format == "book" and rows["fast"].languages == []   # defaults
    record_id = rows["fast"].id
    db.insert_rows(dbsession, Item, [
        {"barcode": f"B{n}", "record_id": record_id, "library": "bmt",
         "status": status} for n, status in enumerate([ItemStatus.ON_LOAN, ItemStatus.LOST])])
    items = dbsession.scalars(select(Item).order_by(Item.barcode)).all()
    assert [i.status for i in items] == [ItemStatus.ON_LOAN, ItemStatus.LOST]
    assert all(i.created is not None and i.location == "" for i in items)


def test_update_rows_sets_each_row_by_key(dbsession, sql_backend):
    import datetime

    from sqlalchemy import select

    from federation.models import UnionMember

    when = datetime.datetime(2026, 3, 8, tzinfo=datetime.timezone.utc)
    db.insert_rows(dbsession, UnionMember, [
        {"key": f"ils:{n}", "union_id": "", "record": {"n": n}, "updated": when}
        for n in range(3)])
    db.update_rows(dbsession, UnionMember, [
        {"key": "ils:0", "union_id": "a"}, {"key": "ils:2", "union_id": "c",
                                           "record": {"n": "hai"}}])
    found = {m.key: (m.union_id, m.record)
             for m in dbsession.scalars(select(UnionMember))}
    assert found == {"ils:0": ("a", {"n": 0}), "ils:1": ("", {"n": 1}),
                     "ils:2": ("c", {"n": "hai"})}
    # JSON already made as text (in a worker process) goes in as it is
    db.insert_rows(dbsession, UnionMember, [
        {"key": "ils:9", "union_id": "", "record": '{"n": "chín\\t\\n"}', "updated": when}],
        json_text=("record",))
    db.update_rows(dbsession, UnionMember, [{"key": "ils:1", "record": '{"n": [1, "một"]}'}],
                   json_text=("record",))
    dbsession.expire_all()
    found = {m.key: m.record for m in dbsession.scalars(select(UnionMember))}
    assert found["ils:9"] == {"n": "chín\t\n"} and found["ils:1"] == {"n": [1, "một"]}


def test_insert_rows_in_a_transaction_is_committed_and_announced(engine, sql_backend):
    """A session of a transaction manager commits what ``insert_rows`` wrote
    (it marks the session changed) and listeners hear of the rows first."""
    import transaction
    from sqlalchemy import func, select

    from ils.catalogue.models import BibRecord

    db.upgrade(engine)
    heard = []
    listener = lambda session, table, rows: heard.append((table.name, len(rows)))  # noqa: E731
    db.on_insert_rows(listener)
    manager = transaction.TransactionManager(explicit=True)
    try:
        manager.begin()
        session = db.tm_session(db.session_factory(engine), manager)
        db.insert_rows(session, BibRecord, [
            {"source": "bmt", "library": "bmt", "marc": b"", "marc_hash": str(n),
             "control_number": str(n)} for n in range(2)])
        manager.commit()
    finally:
        db._write_listeners.remove(listener)
    assert heard[0] == ("bib_records", 2)     # (then the union queue, when it listens)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(BibRecord)) == 2

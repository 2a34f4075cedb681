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


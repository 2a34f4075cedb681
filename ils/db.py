"""The SQL store of library operations: engine, sessions, migrations.

SQLite under ``var/`` by default, PostgreSQL by setting ``sqlalchemy.url``.
Each request gets one session joined to the request's transaction by
``zope.sqlalchemy``, so ZODB and SQL commit or abort together; application
code never calls ``commit()``.
"""
import contextlib
import os

from alembic import command
from alembic.config import Config
from sqlalchemy import engine_from_config, event
from sqlalchemy.orm import sessionmaker
from zope.sqlalchemy import register

MIGRATIONS = os.path.join(os.path.dirname(__file__), "migrations")


def _sqlite_pragmas(dbapi_connection, connection_record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_engine(settings, prefix="sqlalchemy."):
    url = settings.get(prefix + "url", "")
    if url.startswith("sqlite:///"):
        os.makedirs(os.path.dirname(url[len("sqlite:///"):]) or ".", exist_ok=True)
    from ils import jsontext
    engine = engine_from_config(settings, prefix, json_serializer=jsontext.dumps,
                                json_deserializer=jsontext.loads)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def session_factory(engine):
    return sessionmaker(bind=engine, expire_on_commit=False)


def tm_session(factory, transaction_manager):
    """A session joined to ``transaction_manager`` (the request's)."""
    session = factory()
    register(session, transaction_manager=transaction_manager)
    # who commits this session: after-commit work (the union catalogue) hooks in there
    session.info["transaction_manager"] = transaction_manager
    return session


def alembic_config(engine):
    cfg = Config()
    cfg.set_main_option("script_location", MIGRATIONS)
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine, revision="head"):
    """Bring the schema to ``revision`` (Alembic); safe to run repeatedly."""
    command.upgrade(alembic_config(engine), revision)


def current_revision(engine):
    from alembic.runtime.migration import MigrationContext
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(engine):
    from alembic.script import ScriptDirectory
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


@contextlib.contextmanager
def script_session(ini):
    """``(session, settings)`` for a command-line script run with ``ini``: the
    block's work is committed when it ends and rolled back whole on any error."""
    from pyramid.paster import get_appsettings, setup_logging
    setup_logging(ini)
    settings = get_appsettings(ini)
    engine = make_engine(settings)
    session = session_factory(engine)()
    try:
        yield session, settings
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
        engine.dispose()

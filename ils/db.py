"""The SQL store of library operations: engine, sessions, migrations.

SQLite under ``var/`` by default, PostgreSQL by setting ``sqlalchemy.url``.
Each request gets one session joined to the request's transaction by
``zope.sqlalchemy``, so ZODB and SQL commit or abort together; application
code never calls ``commit()``.
"""
import contextlib
import datetime
import os

from alembic import command
from alembic.config import Config
from sqlalchemy import engine_from_config, event, insert
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


# --- many rows at once ---------------------------------------------------------------

_write_listeners = []
_BATCH = 1000


def on_insert_rows(listener):
    """Call ``listener(session, table, rows)`` before ``insert_rows`` writes
    rows (the union catalogue follows writes to the library's catalogue this
    way: ``federation.subscribers``)."""
    if listener not in _write_listeners:
        _write_listeners.append(listener)


def _defaults(table, given):
    """``{column: value}`` of the Python-side defaults of the columns not given."""
    values = {}
    for column in table.columns:
        default = column.default
        if column.key in given or default is None or column.primary_key:
            continue
        if default.is_scalar:
            values[column.key] = default.arg
        elif default.is_callable:
            values[column.key] = default.arg(None)
    return values


def insert_rows(session, table, rows, json_text=()):
    """INSERT ``rows`` (dicts with the same keys) into ``table`` (a model or a
    ``Table``) in the session's transaction; Python-side column defaults fill
    the columns not given (a callable one once for all the rows).

    On SQLite the rows go to the driver's ``executemany`` with each value
    converted by its column type's own bind processor: SQLAlchemy's per-row
    parameter handling cost as much as SQLite's writing (40,000 catalogue
    records: 1.02 s through an ORM insert, 0.48 s here). On PostgreSQL
    (psycopg) the same values go through ``COPY … FROM STDIN``, the JSON
    text as it is (``_copy_rows``); elsewhere a Core INSERT. The session is
    marked changed for ``zope.sqlalchemy``, as an ORM statement would have.
    ``json_text``: JSON columns whose values are already JSON text (made in
    a worker process, say)."""
    rows = list(rows)
    if not rows:
        return
    table = getattr(table, "__table__", table)
    for listener in _write_listeners:
        listener(session, table, rows)
    _mark_changed(session)
    connection = session.connection()
    dialect = connection.dialect
    columns = list(rows[0])
    defaults = _defaults(table, set(columns))
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        _copy_rows(connection, table, rows, columns, defaults, json_text)
        return
    if dialect.name != "sqlite":
        if defaults or json_text:
            rows = [{**defaults, **_parsed(row, json_text)} for row in rows]
        session.execute(insert(table), rows)
        return
    names, batches = _driver_values(table, rows, columns, defaults, dialect, json_text)
    quote = dialect.identifier_preparer.quote
    statement = (f"INSERT INTO {dialect.identifier_preparer.format_table(table)} "
                 f"({', '.join(quote(n) for n in names)}) VALUES ({', '.join('?' * len(names))})")
    for values in batches:
        connection.exec_driver_sql(statement, values)


def _driver_values(table, rows, columns, defaults, dialect, json_text):
    """``(names, batches)``: the columns written (``columns``, then those of
    the Python-side ``defaults``) and ``rows`` as driver values in that
    order, in lists of tuples (``_converted``)."""
    names = columns + list(defaults)
    processors = _processors(table, names, dialect, json_text)
    fixed = tuple(p(v) if p is not None else v
                  for p, v in zip(processors[len(columns):], defaults.values()))
    batches = _converted(rows, columns, processors)
    if fixed:
        batches = ([(*line, *fixed) for line in values] for values in batches)
    return names, batches


def _copy_rows(connection, table, rows, columns, defaults, json_text):
    """``insert_rows`` on PostgreSQL: the rows through psycopg's ``COPY``, in
    the session's transaction (measured: the union catalogue's members, JSON
    text made in the worker processes, had been parsed to be serialised again
    by the Core INSERT, which then cost as much as the rest of a rebuild)."""
    dialect = connection.dialect
    names, batches = _driver_values(table, rows, columns, defaults, dialect, json_text)
    quote = dialect.identifier_preparer.quote
    statement = (f"COPY {dialect.identifier_preparer.format_table(table)} "
                 f"({', '.join(quote(n) for n in names)}) FROM STDIN")
    driver = connection.connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for values in batches:
            for line in values:
                copy.write_row(line)


def _update_by_key(connection, table, rows, names, key, json_text):
    """``update_rows`` on PostgreSQL: one statement run for every row by
    psycopg's ``executemany`` (pipelined), the JSON text cast as it is."""
    dialect = connection.dialect
    order = names + [key]
    processors = _processors(table, order, dialect, json_text)
    quote = dialect.identifier_preparer.quote
    marks = [f"{quote(n)} = %s::json" if n in json_text else f"{quote(n)} = %s" for n in names]
    statement = (f"UPDATE {dialect.identifier_preparer.format_table(table)} SET "
                 f"{', '.join(marks)} WHERE {quote(key)} = %s")
    driver = connection.connection.driver_connection
    with driver.cursor() as cursor:
        for values in _converted(rows, order, processors):
            cursor.executemany(statement, values)


def update_rows(session, table, rows, json_text=()):
    """UPDATE rows of ``table`` by primary key: ``rows`` are dicts holding the
    key and the columns to set (rows setting the same columns go in one
    ``executemany``). On SQLite through the driver, as ``insert_rows``;
    elsewhere a Core UPDATE. The union catalogue's own tables only: catalogue
    changes made this way are not followed (``on_insert_rows``). ``json_text``
    as for ``insert_rows``. On PostgreSQL (psycopg) through the driver too
    (``_update_by_key``)."""
    from sqlalchemy import bindparam, update
    rows = list(rows)
    if not rows:
        return
    table = getattr(table, "__table__", table)
    key = table.primary_key.columns.values()[0].name
    groups = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    _mark_changed(session)
    connection = session.connection()
    dialect = connection.dialect
    for columns, group in groups.items():
        names = [c for c in columns if c != key]
        if dialect.name == "postgresql" and dialect.driver == "psycopg":
            _update_by_key(connection, table, group, names, key, json_text)
            continue
        if dialect.name != "sqlite":
            group = [_parsed(row, json_text) for row in group]
            statement = (update(table).where(table.c[key] == bindparam("k_"))
                         .values({c: bindparam(f"v_{c}") for c in names}))
            session.execute(statement, [{"k_": row[key], **{f"v_{c}": row[c] for c in names}}
                                        for row in group])
            continue
        order = names + [key]
        quote = dialect.identifier_preparer.quote
        statement = (f"UPDATE {dialect.identifier_preparer.format_table(table)} SET "
                     f"{', '.join(f'{quote(n)} = ?' for n in names)} WHERE {quote(key)} = ?")
        for values in _converted(group, order, _processors(table, order, dialect, json_text)):
            connection.exec_driver_sql(statement, values)


def _mark_changed(session):
    """Tell ``zope.sqlalchemy`` a session of a transaction manager has changes
    to commit (what an ORM statement does by itself)."""
    manager = session.info.get("transaction_manager")
    if manager is not None:
        from zope.sqlalchemy import mark_changed
        mark_changed(session, manager)


def _processors(table, names, dialect, as_is=()):
    return [None if name in as_is else table.c[name].type._cached_bind_processor(dialect)
            for name in names]


def _parsed(row, json_text):
    """``row`` with the JSON text of the columns ``json_text`` read back."""
    if not json_text:
        return row
    from ils import jsontext
    return {k: jsontext.loads(v) if k in json_text and isinstance(v, str) else v
            for k, v in row.items()}


def _converted(rows, names, processors):
    """``rows`` (dicts) as tuples of driver values in the order of ``names``,
    in lists of a thousand."""
    converted = [(i, p) for i, p in enumerate(processors[:len(names)]) if p is not None]
    for start in range(0, len(rows), _BATCH):
        memo = {}      # the same timestamp on every row: converted once
        values = []
        for row in rows[start:start + _BATCH]:
            line = [row[name] for name in names]
            for i, process in converted:
                value = line[i]
                if isinstance(value, (datetime.datetime, datetime.date)):
                    done = memo.get(value)
                    if done is None:
                        done = memo[value] = process(value)
                    line[i] = done
                else:
                    line[i] = process(value)
            values.append(tuple(line))
        yield values


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
    block's work is committed when it ends and rolled back whole on any error.
    What it changes in the catalogue (a copy back on the shelf when a hold
    expires) reaches the union catalogue after the commit, as from the
    portal (the repository is not opened: the portal may hold it)."""
    import transaction
    from pyramid.paster import get_appsettings, setup_logging

    from federation.subscribers import follow_engine
    setup_logging(ini)
    settings = get_appsettings(ini)
    engine = make_engine(settings)
    factory = session_factory(engine)
    pipeline = follow_engine(settings, engine, factory)
    manager = transaction.TransactionManager(explicit=True)
    manager.begin()
    session = tm_session(factory, manager)
    try:
        yield session, settings
        manager.commit()
        pipeline.wait()         # a commit of many changes is applied in the background
    except BaseException:
        manager.abort()
        raise
    finally:
        session.close()
        engine.dispose()

"""Fixtures shared by the whole suite.

Each test gets its own stores: a throwaway ZODB FileStorage (with blobs) and
a fresh SQL database, SQLite by default.  A test that asks for the
``sql_backend`` fixture runs twice, on SQLite and on PostgreSQL (the server
``make test`` starts; its URL is in ``SEREPOK_TEST_PG_URL``).  On PostgreSQL
each test gets a schema of its own, dropped afterwards, so transactions in the
test are real transactions.
"""
import os
import re
import uuid

import pytest
import transaction
import webtest
from sqlalchemy import create_engine, text

PG_URL = os.environ.get("SEREPOK_TEST_PG_URL", "")
BACKENDS = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc):
    if "sql_backend" in metafunc.fixturenames:
        metafunc.parametrize("sql_backend", BACKENDS)


@pytest.fixture
def sql_url(request, tmp_path):
    """A migrated, empty SQL database for this test; yields its URL."""
    backend = (request.getfixturevalue("sql_backend")
               if "sql_backend" in request.fixturenames else "sqlite")
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path}/serepok.sqlite"
        yield url
        return
    if not PG_URL:
        pytest.skip("SEREPOK_TEST_PG_URL is not set: run the suite with `make test`")
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    url = f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(sql_url):
    """An engine on this test's empty database (SQLite, or PostgreSQL with sql_backend)."""
    from ils import db
    engine = db.make_engine({"sqlalchemy.url": sql_url})
    yield engine
    engine.dispose()


@pytest.fixture
def dbsession(engine):
    """A session on a migrated database; rolled back at the end."""
    from ils import db
    db.upgrade(engine)
    session = db.session_factory(engine)()
    yield session
    session.rollback()
    session.close()


@pytest.fixture
def settings(tmp_path, sql_url):
    var = tmp_path / "var"
    var.mkdir()
    return {
        "zodbconn.uri": f"file://{var}/Data.fs?blobstorage_dir={var}/blobs",
        "sqlalchemy.url": sql_url,
        "sql.auto_migrate": "true",
        "serepok.var": str(var),
        "serepok.secret": "test-secret-not-for-production",
        "serepok.base_url": "http://localhost",
        # cheap argon2 for speed; tests/unit/ils checks the production parameters
        "argon2.time_cost": "1",
        "argon2.memory_cost": "1024",
        "argon2.parallelism": "1",
    }


@pytest.fixture
def app(settings):
    """The real WSGI application on this test's stores."""
    from portal import main
    wsgi = main({}, **settings)
    yield wsgi
    pipeline = wsgi.registry.get("federation.union_pipeline")
    if pipeline is not None:     # a commit handed to its background thread ends first
        pipeline.wait(60)
    for db in getattr(wsgi.registry, "_zodb_databases", {}).values():
        db.close()
    wsgi.registry["dbengine"].dispose()


@pytest.fixture
def testapp(app):
    return webtest.TestApp(app, extra_environ={"HTTP_HOST": "localhost",
                                               "REMOTE_ADDR": "127.0.0.1"})


class Portal:
    """Direct access to the stores of a running test app, one transaction at a time."""

    def __init__(self, app):
        self.app = app
        self.registry = app.registry

    def __enter__(self):
        from pyramid.request import Request, apply_request_extensions
        from pyramid.scripting import prepare
        request = Request.blank("/", base_url="http://localhost")
        request.registry = self.registry
        apply_request_extensions(request)
        request.tm.begin()
        self._env = prepare(registry=self.registry, request=request)
        request.root = self._env["root"]
        self.request, self.root = request, self._env["root"]
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                self.request.tm.commit()
            else:
                self.request.tm.abort()
        finally:
            self._env["closer"]()
        return False


@pytest.fixture
def portal(app):
    """``with portal() as p:`` gives ``p.root`` and ``p.request``; commits on exit."""
    return lambda: Portal(app)


@pytest.fixture
def demo(app, portal, monkeypatch):
    """Both demo sites with their content (audio as short generated tones)."""
    from portal import demo as demo_module
    monkeypatch.setattr(demo_module, "speech", lambda text: (demo_module.tone(0.5), "audio/wav"))
    monkeypatch.setattr(demo_module, "create_users", lambda request, reset_passwords=False: "")
    with portal() as p:
        demo_module.create_demo(p.request)
    return app


PASSWORD = "mat-khau-thu-nghiem-1"


@pytest.fixture
def make_user(portal):
    """Create an account: ``make_user("thuthu", roles=["Manager"], site_roles=[("bmt", "Librarian")])``."""
    def make(login, roles=(), site_roles=(), password=PASSWORD):
        from ils.accounts.services import IAccountService
        with portal() as p:
            user = p.request.find_service(IAccountService).create(
                login, password, display_name=login, roles=roles)
            for site_name, role in site_roles:
                p.root[site_name].grant(user.id, role)
            return user.id
    return make


def csrf_token(testapp, path="/login"):
    page = testapp.get(path)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, "no CSRF token on " + path
    return match.group(1)


def sign_in(testapp, login, password=PASSWORD):
    token = csrf_token(testapp)
    return testapp.post("/login", {"login": login, "password": password, "csrf_token": token,
                                   "came_from": "/"}, status=303)


@pytest.fixture
def signed_in(testapp, make_user):
    """A test app signed in as a new user with the given roles."""
    def sign(login="user", roles=(), site_roles=()):
        make_user(login, roles=roles, site_roles=site_roles)
        sign_in(testapp, login)
        return testapp
    return sign


@pytest.fixture(autouse=True)
def _no_leftover_transaction():
    yield
    transaction.abort()


@pytest.fixture(scope="session")
def solr_cluster():
    """The SolrCloud of ``scripts/solr-test`` (two nodes, embedded ZooKeeper),
    started by ``make test``; Solr tests skip without it."""
    from federation.solr.testing import ENV, cluster_from_env
    cluster = cluster_from_env()
    if cluster is None:
        pytest.skip(f"{ENV} is not set (no Solr): run the suite with `make test`, or "
                    "`scripts/solr-test start var/test-solr` and export "
                    f"{ENV}=var/test-solr")
    return cluster

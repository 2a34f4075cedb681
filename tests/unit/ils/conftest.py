import pytest
from argon2 import PasswordHasher

from ils import db
from ils.accounts.services import AccountService


@pytest.fixture
def engine(sql_url):
    """An engine on this test's empty database (SQLite, or PostgreSQL with sql_backend)."""
    engine = db.make_engine({"sqlalchemy.url": sql_url})
    yield engine
    engine.dispose()


@pytest.fixture
def dbsession(engine):
    """A session on a migrated database; rolled back at the end."""
    db.upgrade(engine)
    session = db.session_factory(engine)()
    yield session
    session.rollback()
    session.close()


#: The hasher the platform uses; tests below switch to a cheap one for speed.
PRODUCTION_HASHER = AccountService.hasher


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch):
    """argon2id with tiny costs: the same code path at a millisecond a hash."""
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(AccountService, "hasher", cheap)

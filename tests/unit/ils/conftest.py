import pytest
from argon2 import PasswordHasher

from ils.accounts.services import AccountService


#: The hasher the platform uses; tests below switch to a cheap one for speed.
PRODUCTION_HASHER = AccountService.hasher


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch):
    """argon2id with tiny costs: the same code path at a millisecond a hash."""
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(AccountService, "hasher", cheap)

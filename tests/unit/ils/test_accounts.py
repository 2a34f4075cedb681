"""AccountService on a real database: passwords, sign-in checks, tokens, sessions."""
import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ils.accounts.models import ApiToken, User
from ils.accounts.services import AccountService, LoginTakenError, PasswordPolicyError

from .conftest import PRODUCTION_HASHER

PASSWORD = "mat-khau-rat-dai-1"


@pytest.fixture
def accounts(dbsession):
    return AccountService(dbsession)


@pytest.fixture
def user(accounts):
    return accounts.create("ThuThu.BMT", PASSWORD, display_name="Thủ thư Buôn Ma Thuột",
                           roles=["Reader"])


def test_password_is_stored_as_argon2id_and_weak_hashes_are_upgraded(user, accounts,
                                                                     dbsession):
    stored = dbsession.scalar(select(User.password_hash).where(User.id == user.id))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    # The platform's own costs (the tests use cheap ones): a weaker hash is
    # replaced at the next successful sign-in.
    accounts.hasher = PRODUCTION_HASHER
    assert accounts.authenticate("thuthu.bmt", PASSWORD) is user
    dbsession.flush()
    stored = dbsession.scalar(select(User.password_hash).where(User.id == user.id))
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,")


def test_login_is_stored_in_lower_case_and_unicode_names_survive(user, accounts, sql_backend):
    found = accounts.by_login(" thuthu.bmt ")
    assert found is user
    assert found.login == "thuthu.bmt"
    assert found.display_name == "Thủ thư Buôn Ma Thuột"
    assert found.role_set == {"Reader"}


def test_authenticate(user, accounts, sql_backend):
    assert accounts.authenticate("thuthu.bmt", PASSWORD) is user
    assert accounts.authenticate("THUTHU.BMT", PASSWORD) is user
    assert accounts.authenticate("thuthu.bmt", PASSWORD.upper()) is None
    assert accounts.authenticate("thuthu.bmt", "") is None
    assert accounts.authenticate("ai-do", PASSWORD) is None


def test_an_inactive_account_cannot_sign_in(user, accounts, sql_backend):
    user.active = False
    assert accounts.authenticate("thuthu.bmt", PASSWORD) is None


def test_password_policy(accounts, user, sql_backend):
    with pytest.raises(PasswordPolicyError):
        accounts.create("bandoc", "ngan-qua")             # fewer than 10 characters
    with pytest.raises(PasswordPolicyError):
        accounts.create("bandoc", "")
    with pytest.raises(PasswordPolicyError) as err:
        accounts.set_password(user, "ThuThu.BMT-2026")    # contains the login name
    assert "login" in err.value.message
    assert accounts.by_login("bandoc") is None
    assert accounts.authenticate("thuthu.bmt", PASSWORD) is user
    accounts.create("bandoc", "mười ký tự!")              # ten characters, Vietnamese welcome
    assert accounts.authenticate("bandoc", "mười ký tự!") is not None


def test_password_change_ends_other_sessions(user, accounts, sql_backend):
    version = user.session_version
    accounts.set_password(user, "mot-mat-khau-moi-2")
    assert user.session_version != version
    assert accounts.authenticate("thuthu.bmt", PASSWORD) is None
    assert accounts.authenticate("thuthu.bmt", "mot-mat-khau-moi-2") is user
    version = user.session_version
    accounts.end_all_sessions(user)
    assert user.session_version != version


def test_login_is_unique_whatever_the_case(user, accounts, dbsession, sql_backend):
    with pytest.raises(LoginTakenError):
        accounts.create("THUTHU.bmt", "mat-khau-khac-99")
    dbsession.add(User(login="thuthu.bmt", password_hash="x", display_name="", email="",
                       roles="", home_site=""))
    with pytest.raises(IntegrityError):           # the database guarantees it too
        dbsession.flush()


def test_token_is_returned_once_and_only_its_digest_is_stored(user, accounts, dbsession,
                                                              sql_backend):
    token = accounts.issue_token(user, name="điện thoại")
    assert len(token) >= 40
    rows = dbsession.scalars(select(ApiToken)).all()
    assert len(rows) == 1
    assert token not in rows[0].token_hash and rows[0].token_hash != token
    assert accounts.user_for_token(token) is user
    assert accounts.user_for_token(token + "x") is None
    assert accounts.user_for_token("") is None


def test_token_expires(user, accounts, dbsession, sql_backend):
    token = accounts.issue_token(user, days=30)
    row = dbsession.scalars(select(ApiToken)).one()
    row.expires = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=1)
    dbsession.flush()
    dbsession.expire_all()
    assert accounts.user_for_token(token) is None


def test_token_revocation(user, accounts, dbsession, sql_backend):
    keep = accounts.issue_token(user, name="máy tính bảng")
    drop = accounts.issue_token(user, name="điện thoại cũ")
    drop_id = dbsession.scalars(select(ApiToken).where(ApiToken.name == "điện thoại cũ")).one().id
    other = accounts.create("bandoc", "mat-khau-ban-doc-1")
    assert accounts.revoke_token(other, drop_id) is False      # not someone else's token
    assert accounts.user_for_token(drop) is user
    assert accounts.revoke_token(user, drop_id) is True
    assert accounts.user_for_token(drop) is None
    assert accounts.user_for_token(keep) is user


def test_tokens_of_an_inactive_user_stop_working(user, accounts, sql_backend):
    token = accounts.issue_token(user)
    user.active = False
    assert accounts.user_for_token(token) is None


def test_tokens_are_gone_with_their_user(user, accounts, dbsession, sql_backend):
    accounts.issue_token(user)
    dbsession.delete(user)
    dbsession.flush()
    assert dbsession.scalars(select(ApiToken)).all() == []


def test_token_use_is_recorded_without_a_write_on_every_call(user, accounts, dbsession,
                                                            sql_backend):
    token = accounts.issue_token(user)
    row = dbsession.scalars(select(ApiToken)).one()
    assert row.last_used is None
    accounts.user_for_token(token)
    first = row.last_used
    assert first is not None
    accounts.user_for_token(token)
    assert row.last_used == first          # within the resolution: untouched
    row.last_used = first - datetime.timedelta(hours=1)
    accounts.user_for_token(token)
    assert row.last_used > first - datetime.timedelta(minutes=1)

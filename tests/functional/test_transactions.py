"""One request, one transaction across ZODB and SQL: all of it is saved, or none of it.

The content service's ``edit`` is wrapped so that, in the middle of a real
request, it changes the item (ZODB and its catalogue) *and* SQL rows (an
account renamed, a new account flushed), then fails in one way or another.
Runs on SQLite and PostgreSQL.
"""
import pytest

from ils.accounts.services import IAccountService
from repository.interfaces import ICatalogSearch
from repository.services import ContentService
from tests.conftest import csrf_token, sign_in

ITEM = "/bmt/dia-chi/lich-su-dak-lak-qua-cac-thoi-ky-tai-lieu-mau/"
OLD_TITLE = "Lịch sử Đắk Lắk qua các thời kỳ (tài liệu mẫu)"


@pytest.fixture
def librarian(demo, testapp, make_user, sql_backend):
    make_user("thuthu.bmt", site_roles=[("bmt", "Librarian")])
    sign_in(testapp, "thuthu.bmt")
    return testapp


def edit_then(monkeypatch, outcome):
    """Make ``ContentService.edit`` change ZODB and SQL, then ``outcome(request)`` decides."""
    original = ContentService.edit

    def edit(self, obj, data, partial=False):
        errors = original(self, obj, data, partial)
        assert not errors and obj.title == "Tên mới giữa chừng"
        accounts = self.request.find_service(IAccountService)
        accounts.by_login("thuthu.bmt").display_name = "Tên đổi giữa chừng"
        accounts.create("nguoi.moi", "mat-khau-nguoi-moi")         # INSERT, flushed
        return outcome(self.request)

    monkeypatch.setattr(ContentService, "edit", edit)


def post_edit(browser, status):
    token = csrf_token(browser, ITEM + "edit")
    return browser.post(ITEM + "edit", {"title": "Tên mới giữa chừng", "csrf_token": token},
                        status=status)


def state(portal):
    """(item title, what search finds for both titles, account name, new account?)"""
    with portal() as p:
        site = p.root["bmt"]
        item = site["dia-chi"]["lich-su-dak-lak-qua-cac-thoi-ky-tai-lieu-mau"]
        search = p.request.find_service(ICatalogSearch)
        found_new = search.search(site, text="ten moi giua chung")[0]
        found_old = search.search(site, text="lich su dak lak qua cac thoi ky")[0]
        accounts = p.request.find_service(IAccountService)
        return (item.title, found_new, found_old,
                accounts.by_login("thuthu.bmt").display_name,
                accounts.by_login("nguoi.moi") is not None)


UNTOUCHED = (OLD_TITLE, 0, 1, "thuthu.bmt", False)


def test_an_exception_mid_request_saves_nothing(librarian, portal, monkeypatch):
    def fail(request):
        raise RuntimeError("hỏng giữa chừng")
    edit_then(monkeypatch, fail)
    page = post_edit(librarian, status=500)
    assert page.html.html["lang"] == "vi"
    assert "hỏng giữa chừng" not in page.text                  # nothing internal leaks
    assert state(portal) == UNTOUCHED
    assert "Tên mới giữa chừng" not in librarian.get(ITEM).text


def test_a_failing_sql_statement_saves_nothing(librarian, portal, monkeypatch):
    def duplicate(request):
        from ils.accounts.models import User
        request.dbsession.add(User(login="nguoi.moi", password_hash="x", display_name="",
                                   email="", roles="", home_site=""))
        request.dbsession.flush()                      # the login is taken: the database refuses
        return {}
    edit_then(monkeypatch, duplicate)
    post_edit(librarian, status=500)
    assert state(portal) == UNTOUCHED


def test_a_4xx_answer_saves_nothing(librarian, portal, monkeypatch):
    edit_then(monkeypatch, lambda request: {"title": "Từ chối sau khi đã sửa"})
    post_edit(librarian, status=400)
    assert state(portal) == UNTOUCHED


def test_a_successful_request_saves_both(librarian, portal, monkeypatch):
    edit_then(monkeypatch, lambda request: {})
    post_edit(librarian, status=303)
    assert state(portal) == ("Tên mới giữa chừng", 1, 0, "Tên đổi giữa chừng", True)


class FailsToVote:
    """A participant of the transaction that refuses at the last moment (a full disk, say)."""

    transaction_manager = None

    def abort(self, txn):
        pass

    def tpc_begin(self, txn):
        pass

    def commit(self, txn):
        pass

    def tpc_vote(self, txn):
        raise OSError("không còn chỗ trống")

    def tpc_abort(self, txn):
        pass

    def tpc_finish(self, txn):
        pass

    def sortKey(self):
        # Votes where a ZODB storage votes: before SQL, which (one-phase, by
        # zope.sqlalchemy's design) commits last of all.
        return "/var/Data.fs"


def test_a_failure_at_commit_saves_nothing(librarian, portal, monkeypatch):
    def join_a_failing_store(request):
        request.tm.get().join(FailsToVote())
        return {}
    edit_then(monkeypatch, join_a_failing_store)
    page = post_edit(librarian, status=500)
    assert "không còn chỗ trống" not in page.text
    assert state(portal) == UNTOUCHED

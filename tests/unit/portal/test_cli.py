"""The ``serepok`` command on a fresh ini: demo data, reindex, accounts, migrate."""
import os
import re
import stat

import pytest
from argon2 import PasswordHasher

from ils.accounts.services import AccountService, IAccountService
from portal import cli
from portal import demo as demo_module

INI = """\
[app:main]
use = egg:serepok
zodbconn.uri = file://{var}/Data.fs?blobstorage_dir={var}/blobs
sqlalchemy.url = sqlite:///{var}/serepok.sqlite
sql.auto_migrate = true
serepok.var = {var}
serepok.secret = test-secret-not-for-production
serepok.base_url = http://localhost
"""


@pytest.fixture
def ini(tmp_path, monkeypatch):
    var = tmp_path / "var"
    path = tmp_path / "serepok.ini"
    path.write_text(INI.format(var=var))
    # short tones instead of espeak-ng, and cheap password hashes: same code, faster
    monkeypatch.setattr(demo_module, "speech", lambda text: (demo_module.tone(0.2), "audio/wav"))
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(AccountService, "hasher", cheap)
    monkeypatch.setattr(AccountService, "_dummy", cheap.hash("x"))
    return str(path)


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def inventory(ini):
    """Every object path and every account, read through a fresh app."""
    from sqlalchemy import select

    from ils.accounts.models import User
    from repository.resources import walk
    with cli.environment(ini) as env:
        paths = sorted(o.path for o in walk(env["root"]))
        logins = sorted(env["request"].dbsession.scalars(select(User.login)))
    return paths, logins


def demo_logins(text):
    """{login: password} from the lines the demo command prints."""
    names = {u[0] for u in demo_module.DEMO_USERS}
    return {m[0]: m[1] for m in re.findall(r"^(\S+)\s+(\S+)\s+\S", text, re.M) if m[0] in names}


def can_sign_in(ini, login, password):
    with cli.environment(ini) as env:
        accounts = env["request"].find_service(IAccountService)
        return accounts.authenticate(login, password) is not None


def test_command_line_mistakes_and_help_are_in_vietnamese_first(capsys):
    for argv, vietnamese, english in (
            (["import", "marc", "x.ini"], "thiếu tham số bắt buộc: file, --site",
             "the following arguments are required: file, --site"),
            (["bogus"], "tham số command: không có lựa chọn 'bogus'", "invalid choice: 'bogus'"),
            (["import", "marc", "x.ini", "f.mrc", "--site", "bmt", "--bogus"],
             "không hiểu các tham số: --bogus", "unrecognized arguments: --bogus")):
        with pytest.raises(SystemExit) as caught:
            cli.main(argv)
        assert caught.value.code == 2
        err = capsys.readouterr().err
        assert err.startswith("cách dùng / usage: serepok")
        assert f"lỗi / error: {vietnamese} / " in err and english in err
    with pytest.raises(SystemExit):
        cli.main(["import", "marc", "--help"])
    out = capsys.readouterr().out
    for words in ("cách dùng / usage: serepok import marc", "tham số / positional arguments:",
                  "tùy chọn / options:", "hiện trợ giúp này rồi thoát"):
        assert words in out


def test_demo_twice_creates_once_and_keeps_the_logins(ini, capsys, tmp_path):
    code, out, err = run(capsys, "demo", ini)
    assert code == 0
    assert "đã tạo / created" in out
    logins = demo_logins(out)
    assert set(logins) == {"quantri", "quantri.bmt", "thuthu.bmt", "thuthu.tuyhoa", "bandoc"}
    saved = tmp_path / "var" / "demo-logins.txt"
    assert stat.S_IMODE(os.stat(saved).st_mode) == 0o600
    before = inventory(ini)
    assert "/bmt/sach-noi" in before[0] and "/tuy-hoa/dia-chi" in before[0]

    code, out, err = run(capsys, "demo", ini)
    assert code == 0
    assert "đã có, dùng lại / already there, reused" in out
    assert demo_logins(out) == logins                     # the same passwords, shown again
    assert inventory(ini) == before                       # nothing added, nothing doubled
    assert can_sign_in(ini, "thuthu.bmt", logins["thuthu.bmt"])


def test_demo_refills_an_empty_search_index(ini, capsys, tmp_path):
    """After an update that changes the index schema its directory starts
    empty: ``make run`` (``serepok demo``) rebuilds it, so search still works."""
    import shutil

    from federation.interfaces import ISearchIndex
    from federation.records import SearchQuery

    def hits(query):
        with cli.environment(ini) as env:
            return env["request"].find_service(ISearchIndex).search(SearchQuery(text=query)).total

    run(capsys, "demo", ini)
    assert hits("Đắk Lắk") > 0
    code, out, _e = run(capsys, "demo", ini)
    assert code == 0 and "rebuilt" not in out        # an index with records is left alone
    for path in (tmp_path / "var" / "index").glob("tantivy-v*"):
        shutil.rmtree(path)
    assert hits("Đắk Lắk") == 0
    code, out, _e = run(capsys, "demo", ini)
    assert code == 0
    assert "đã lập lại / the search index was empty" in out
    assert hits("Đắk Lắk") > 0


def test_demo_reset_passwords(ini, capsys):
    _c, out, _e = run(capsys, "demo", ini)
    old = demo_logins(out)
    code, out, _e = run(capsys, "demo", ini, "--reset-passwords")
    new = demo_logins(out)
    assert code == 0 and set(new) == set(old) and new["bandoc"] != old["bandoc"]
    assert can_sign_in(ini, "bandoc", new["bandoc"])
    assert not can_sign_in(ini, "bandoc", old["bandoc"])


def test_reindex_rebuilds_lost_catalogues(ini, capsys):
    from repository.interfaces import ICatalogSearch
    run(capsys, "demo", ini)

    def found(query):
        with cli.environment(ini) as env:
            search = env["request"].find_service(ICatalogSearch)
            return search.search(env["root"]["bmt"], text=query, principals=["system.Everyone"])[0]

    assert found("ca phe buon ma thuot") == 1
    with cli.environment(ini) as env:
        env["root"]["bmt"].catalog.clear()
    assert found("ca phe buon ma thuot") == 0
    code, out, _e = run(capsys, "reindex", ini)
    assert code == 0
    assert re.search(r"^bmt: \d+ ", out, re.M) and re.search(r"^tuy-hoa: \d+ ", out, re.M)
    assert found("ca phe buon ma thuot") == 1


def test_user_creates_an_account_with_a_site_role(ini, capsys):
    run(capsys, "demo", ini)
    code, out, err = run(capsys, "user", ini, "thuthu.moi", "--password", "mat-khau-moi-dai",
                         "--name", "Thủ thư mới", "--site-role", "tuy-hoa:Librarian")
    assert code == 0, err
    assert "thuthu.moi: ok" in out
    with cli.environment(ini) as env:
        user = env["request"].find_service(IAccountService).by_login("thuthu.moi")
        assert user.display_name == "Thủ thư mới"
        assert env["root"]["tuy-hoa"].roles_of(user.id) == {"Librarian"}
        assert env["root"]["bmt"].roles_of(user.id) == frozenset()
    assert can_sign_in(ini, "thuthu.moi", "mat-khau-moi-dai")


def test_user_changes_password_and_adds_a_global_role(ini, capsys):
    run(capsys, "user", ini, "bandoc.a", "--password", "mat-khau-ban-dau")
    code, out, err = run(capsys, "user", ini, "bandoc.a", "--password", "mat-khau-thu-hai",
                         "--role", "Manager")
    assert code == 0, err
    assert can_sign_in(ini, "bandoc.a", "mat-khau-thu-hai")
    assert not can_sign_in(ini, "bandoc.a", "mat-khau-ban-dau")
    with cli.environment(ini) as env:
        user = env["request"].find_service(IAccountService).by_login("bandoc.a")
        assert user.role_set == {"Manager"}


def test_user_refuses_bad_input_and_saves_nothing(ini, capsys):
    run(capsys, "demo", ini)
    code, out, err = run(capsys, "user", ini, "ngan", "--password", "ngan")
    assert code == 2 and "10" in err                      # the policy names its minimum
    code, out, err = run(capsys, "user", ini, "thuthu.x", "--password", "mat-khau-du-dai",
                         "--site-role", "krong-pac:Librarian")
    assert code == 2 and "krong-pac:Librarian" in err
    code, out, err = run(capsys, "user", ini, "thuthu.y", "--password", "mat-khau-du-dai",
                         "--site-role", "bmt:Manager")
    assert code == 2
    _paths, logins = inventory(ini)
    assert not {"ngan", "thuthu.x", "thuthu.y"} & set(logins)


def test_migrate_reports_the_sql_revision_and_evolve(ini, capsys):
    from ils import db
    code, out, _e = run(capsys, "migrate", ini)
    assert code == 0
    assert f"SQL: {db.head_revision(None)}" in out
    code, out, _e = run(capsys, "migrate", ini)
    assert "đã mới nhất / up to date" in out

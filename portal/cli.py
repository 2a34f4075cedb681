"""The one command line entry: ``serepok <command> INI [options]``."""
import argparse
import contextlib
import re
import secrets
import sys


@contextlib.contextmanager
def environment(ini):
    """The app, a request and the repository root inside one committed transaction.

    The stores are closed on the way out, so several commands can run in one
    process (a script, the tests) without tripping over the FileStorage lock.
    """
    from pyramid.paster import get_app, setup_logging
    from pyramid.request import Request, apply_request_extensions
    from pyramid.scripting import prepare
    setup_logging(ini)
    app = get_app(ini)
    try:
        settings = app.registry.settings
        request = Request.blank("/", base_url=settings.get("serepok.base_url",
                                                           "http://127.0.0.1:6543"))
        request.registry = app.registry
        apply_request_extensions(request)
        request.tm.begin()
        with prepare(registry=app.registry, request=request) as env:
            request.root = env["root"]
            # commit inside: closing the environment closes the ZODB connection
            try:
                yield env
            except BaseException:
                request.tm.abort()
                raise
            request.tm.commit()
    finally:
        close_stores(app.registry)


def close_stores(registry):
    """Close the ZODB databases and the SQL engine the app opened."""
    for database in getattr(registry, "_zodb_databases", {}).values():
        database.close()
    engine = registry.get("dbengine")
    if engine is not None:
        engine.dispose()


def cmd_serve(args):
    from pyramid.scripts.pserve import main as pserve
    argv = ["pserve", args.ini] + (["--reload"] if args.reload else [])
    return pserve(argv)


def cmd_demo(args):
    from .demo import create_demo
    with environment(args.ini) as env:
        created, logins = create_demo(env["request"], reset_passwords=args.reset_passwords)
        refilled = None if created else _refill_empty_index(env)
    print("Dữ liệu mẫu / demo data: " + ("đã tạo / created" if created else
                                         "đã có, dùng lại / already there, reused"))
    if refilled is not None:
        print("Chỉ mục tìm kiếm trống (lược đồ chỉ mục mới sau khi cập nhật?): đã lập lại / "
              "the search index was empty (a new index schema after an update?): rebuilt")
        for line in refilled.summary_lines():
            print(line)
    if logins:
        print(logins)
    return 0 if refilled is None or refilled.error is None else 1


def _refill_empty_index(env):
    """When the union catalogue has records but its search index none (a new
    index schema after an update: its directory starts empty), rebuild it,
    as ``serepok reindex`` would (``make run`` then shows a working search).
    Returns the ``UnionReindex``, or None when nothing was to be done."""
    from sqlalchemy import func, select

    from federation.cli import reindex_union_catalogue
    from federation.models import UnionRecord
    request = env["request"]
    pipeline = request.registry.get("federation.union_pipeline")
    if pipeline is None:
        return None
    try:
        if pipeline.open_index().count():
            return None
    except Exception:       # an index that cannot answer (Solr down): not the demo's business
        return None
    if not request.dbsession.scalar(select(func.count()).select_from(UnionRecord)
                                    .where(UnionRecord.deleted.is_(False))):
        return None
    return reindex_union_catalogue(request, env["root"], quiet=True)


def cmd_reindex(args):
    """Rebuild every index from its sources: the sites' catalogues, then the union catalogue."""
    if getattr(args, "backend", "configured") == "solr":
        from federation.solr.cli import cmd_reindex_solr
        return cmd_reindex_solr(args, environment)
    from federation.cli import reindex_union_catalogue
    from repository.services import reindex_site
    with environment(args.ini) as env:
        for site in env["root"].sites():
            n = reindex_site(site)
            print(f"{site.__name__}: {n} mục đã lập chỉ mục / objects indexed")
        union = reindex_union_catalogue(env["request"], env["root"])
    for line in union.summary_lines():
        print(line)
    return 0 if union.error is None else 1


def cmd_migrate(args):
    from pyramid.paster import get_appsettings

    from ils import db
    settings = get_appsettings(args.ini)
    engine = db.make_engine(settings)
    try:
        db.upgrade(engine)
        print("SQL:", db.current_revision(engine))
    finally:
        engine.dispose()
    with environment(args.ini) as env:
        from repository.evolve import evolve
        done = evolve(env["root"])
    print("ZODB evolve:", done or "đã mới nhất / up to date")
    return 0


def cmd_user(args):
    from ils.accounts.services import IAccountService, PasswordPolicyError

    from .i18n import translate
    from repository.resources import Site
    from repository.security import GLOBAL_ROLES, LOCAL_ROLES
    global_roles = {r.value for r in GLOBAL_ROLES}
    local_roles = {r.value for r in LOCAL_ROLES}
    for role in args.role:
        if role not in global_roles:
            print(f"Không hiểu / not understood: {role}", file=sys.stderr)
            return 2
    with environment(args.ini) as env:
        request = env["request"]
        # check every grant before changing anything, so a typo saves nothing
        grants = []
        for grant in args.site_role:
            site_name, _, role = grant.partition(":")
            site = env["root"].get(site_name)
            if not isinstance(site, Site) or role not in local_roles:
                print(f"Không hiểu / not understood: {grant}", file=sys.stderr)
                return 2
            grants.append((site, role))
        accounts = request.find_service(IAccountService)
        user = accounts.by_login(args.login)
        try:
            if user is None:
                password = args.password or secrets.token_urlsafe(12)
                user = accounts.create(args.login, password, display_name=args.name or "",
                                       roles=args.role)
                if not args.password:
                    print(f"Mật khẩu / password: {password}")
            else:
                if args.password:
                    accounts.set_password(user, args.password)
                if args.name:
                    user.display_name = args.name
                if args.role:
                    user.role_set = user.role_set | set(args.role)
        except PasswordPolicyError as exc:
            print(translate(request, exc.message), file=sys.stderr)
            return 2
        for site, role in grants:
            site.grant(user.id, role)
        print(f"{user.login}: ok")
    return 0


def cmd_shell(args):
    import code
    with environment(args.ini) as env:
        banner = "Serepok shell: env['root'], env['request'], env['registry'] (commit on exit)"
        code.interact(banner=banner, local={"env": env, **env})
    return 0


# argparse's own words carry no Vietnamese: its errors, put into Vietnamese
# first (the English stays, as argparse says it)
_ERRORS = (
    (re.compile(r"the following arguments are required: (.*)"), "thiếu tham số bắt buộc: {0}"),
    (re.compile(r"unrecognized arguments: (.*)"), "không hiểu các tham số: {0}"),
    (re.compile(r"argument (.+?): invalid choice: (.*?) \(choose from (.*)\)"),
     "tham số {0}: không có lựa chọn {1}"),
    (re.compile(r"argument (.+?): expected one argument"), "tham số {0} cần một giá trị"),
    (re.compile(r"argument (.+?): invalid \w+ value: (.*)"), "tham số {0}: giá trị không hợp lệ {1}"),
    (re.compile(r"argument (.+?): not allowed with argument (.*)"),
     "tham số {0} không dùng được cùng tham số {1}"),
)


class _Formatter(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups,
                          "cách dùng / usage: " if prefix is None else prefix)


class Parser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` speaking Vietnamese first: its usage line,
    section titles, ``--help`` and errors (the sub-commands' parsers are of
    this class too)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)
        self._positionals.title = "tham số / positional arguments"
        self._optionals.title = "tùy chọn / options"
        for action in self._actions:
            if isinstance(action, argparse._HelpAction):
                action.help = "hiện trợ giúp này rồi thoát / show this help message and exit"

    def error(self, message):
        for pattern, vietnamese in _ERRORS:
            found = pattern.fullmatch(message)
            if found:
                message = f"{vietnamese.format(*found.groups())} / {message}"
                break
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: lỗi / error: {message}\n")


def build_parser():
    parser = Parser(prog="serepok", description="Serepok — thư viện số / digital library")
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name, func, help_):
        p = sub.add_parser(name, help=help_)
        p.add_argument("ini", help="tệp cấu hình / configuration file, e.g. development.ini")
        p.set_defaults(func=func)
        return p

    p = command("serve", cmd_serve, "chạy cổng thông tin / serve the portal")
    p.add_argument("--reload", action="store_true")
    p = command("demo", cmd_demo, "tạo dữ liệu mẫu hai cơ sở / create demo data for both sites")
    p.add_argument("--reset-passwords", action="store_true")
    p = command("reindex", cmd_reindex, "lập lại chỉ mục / rebuild the catalogues")
    from federation.solr.cli import add_reindex_options, add_solr
    add_reindex_options(p)
    add_solr(sub, command)
    command("migrate", cmd_migrate, "nâng cấp CSDL / upgrade SQL schema and evolve ZODB")
    command("shell", cmd_shell, "Python shell")
    p = command("user", cmd_user, "tạo hoặc sửa tài khoản / create or change an account")
    p.add_argument("login")
    p.add_argument("--password", default="")
    p.add_argument("--name", default="")
    p.add_argument("--role", action="append", default=[], help="Manager or Reader")
    p.add_argument("--site-role", action="append", default=[], help="site:Librarian or site:SiteAdmin")
    from ils.harvest.cli import add_harvest
    add_harvest(sub)
    from ils.jobs.worker import add_worker
    add_worker(sub)
    from ils.sip2.cli import add_sip2
    add_sip2(sub)
    from ils.circulation.cli import add_circulation
    add_circulation(sub)
    from ils.readers.cli import add_notify
    add_notify(sub)
    p = sub.add_parser("import", help="nhập dữ liệu / import data")
    from ils.catalogue.cli import add_import_marc
    add_import_marc(p.add_subparsers(dest="kind", required=True))
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())

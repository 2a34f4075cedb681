"""Library operations on SQLAlchemy (SQLite by default, PostgreSQL by setting).

``includeme`` builds the engine from ``sqlalchemy.*`` settings, upgrades the
schema when ``sql.auto_migrate`` is true, and gives every request
``request.dbsession``: one session joined to the request transaction.
"""


def __getattr__(name):
    # ``ils.IAccountService`` without importing the accounts (SQLAlchemy, argon2)
    # whenever any ``ils`` module is: a worker process reading MARC imports
    # ``ils.catalogue`` and nothing of that
    if name == "IAccountService":
        from .accounts.services import IAccountService
        return IAccountService
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def includeme(config):
    from pyramid.settings import asbool

    from . import db
    from .accounts.services import AccountService, IAccountService, hasher_from_settings
    settings = config.get_settings()
    engine = db.make_engine(settings)
    if asbool(settings.get("sql.auto_migrate", True)):
        db.upgrade(engine)
    factory = db.session_factory(engine)
    config.registry["dbsession_factory"] = factory
    config.registry["dbengine"] = engine

    def dbsession(request):
        session = request.environ.get("serepok.dbsession")   # tests pass one in
        if session is None:
            session = db.tm_session(factory, request.tm)
        return session

    config.add_request_method(dbsession, reify=True)
    hasher = hasher_from_settings(settings)
    config.register_service_factory(lambda ctx, req: AccountService(req.dbsession, hasher),
                                    IAccountService)
    # background jobs (huey + the jobs table); packages register their job kinds later
    config.include(".jobs")
    config.include(".circulation")

"""SQLAlchemy base of the library-operations store.

Every table of ``ils`` (and the accounts that sign in to the portal) uses
this metadata, so Alembic sees them all.  Constraint names follow one
convention so migrations are portable between SQLite and PostgreSQL.
"""
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def all_metadata():
    """The metadata with every model module imported (for Alembic and tests)."""
    from .accounts import models  # noqa: F401  (registers the tables)
    from .catalogue import models as catalogue_models  # noqa: F401
    # the union catalogue keeps its tables here too, migrated with the rest
    from federation import models as union_models  # noqa: F401
    # the sources of the union catalogue other than MARC files
    from .libraries import models as library_models  # noqa: F401
    from .harvest import models as harvest_models  # noqa: F401
    from .readers import models as reader_models  # noqa: F401
    from .sip2 import models as sip2_models  # noqa: F401
    from .circulation import models as circulation_models  # noqa: F401
    from .jobs import models as job_models  # noqa: F401
    return Base.metadata

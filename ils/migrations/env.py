"""Alembic environment: the engine comes from Serepok's settings, not alembic.ini."""
from alembic import context

from ils.models import all_metadata

config = context.config
target_metadata = all_metadata()


def run_migrations_online():
    engine = config.attributes["engine"]
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()

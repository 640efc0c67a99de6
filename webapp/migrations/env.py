"""Alembic environment: the engine comes from the app (``webapp.database.upgrade``)."""

from alembic import context

from webapp.database import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    # webapp.database.upgrade passes the connection that holds the migration lock on
    # PostgreSQL; otherwise (SQLite, `flask db current`) a connection of our own.
    given = config.attributes.get("connection")
    if given is not None:
        migrate(given)
        return
    with config.attributes["engine"].connect() as connection:
        migrate(connection)


def migrate(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run `flask db upgrade`")
run_migrations_online()

"""Alembic environment: runs migrations on the connection handed over by ``voc.pipeline.db.migrate``."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, version_table="alembic_version", version_table_schema="public")
with context.begin_transaction():
    context.run_migrations()

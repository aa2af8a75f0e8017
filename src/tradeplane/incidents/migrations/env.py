"""Alembic environment: runs on the connection ``tradeplane.incidents.store.migrate`` passes."""

from __future__ import annotations

from alembic import context

from tradeplane.incidents.store import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - the package always passes one
    raise RuntimeError("run migrations through tradeplane.incidents.store.migrate(engine)")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()

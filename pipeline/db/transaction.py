"""One psycopg2 transaction on a pooled connection, for code that talks to the driver directly."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine


@contextmanager
def raw_transaction(engine: Engine) -> Iterator:
    """Yield a DBAPI (psycopg2) connection from ``engine``'s pool; commit when the block ends normally
    (a ``return`` inside it included), roll back on any exception, and give the connection back either way."""
    raw_conn = engine.raw_connection()
    try:
        yield raw_conn
        raw_conn.commit()
    except BaseException:
        raw_conn.rollback()
        raise
    finally:
        raw_conn.close()

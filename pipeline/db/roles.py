"""Database roles: ``voc_analyst`` reads the marts and nothing else (no raw personal data, no writes)."""

from __future__ import annotations

import secrets

from psycopg2 import sql
from sqlalchemy import Connection, Engine, text

ANALYST_ROLE = "voc_analyst"


def analyst_role_exists(conn: Connection) -> bool:
    return conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": ANALYST_ROLE}).first() is not None


def grant_mart_reads(conn: Connection) -> None:
    """Let ``voc_analyst`` read every table and view in ``mart``, including ones created later."""
    conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA mart TO {ANALYST_ROLE}")
    conn.exec_driver_sql(f"GRANT SELECT ON ALL TABLES IN SCHEMA mart TO {ANALYST_ROLE}")
    conn.exec_driver_sql(f"ALTER DEFAULT PRIVILEGES IN SCHEMA mart GRANT SELECT ON TABLES TO {ANALYST_ROLE}")
    # raw and core hold personal data and pipeline state: nobody but the pipeline's own role
    conn.exec_driver_sql("REVOKE ALL ON SCHEMA raw, core FROM PUBLIC")


def grant_analyst(engine: Engine, name: str, password: str | None = None) -> str:
    """Create (or update) login ``name`` as a member of ``voc_analyst``; return its password.

    A password is generated when none is given. Needs a user allowed to create roles.
    """
    password = password or secrets.token_urlsafe(18)
    with engine.begin() as conn:
        if not analyst_role_exists(conn):
            conn.exec_driver_sql(f"CREATE ROLE {ANALYST_ROLE} NOLOGIN")
        grant_mart_reads(conn)
        cursor = conn.connection.cursor()
        exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name}).first()
        verb = "ALTER" if exists else "CREATE"
        cursor.execute(sql.SQL(verb + " ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(name), sql.Literal(password)))
        cursor.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(ANALYST_ROLE), sql.Identifier(name)))
    return password

"""Connections to the warehouse: ``VOC_DATABASE_URL`` if set, else the embedded PostgreSQL."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from voc.pipeline.config import database_url_from_env, normalise_url, redact_url


class DatabaseUrlError(ValueError):
    """The warehouse URL cannot be used; the message never holds its password."""


def resolve_url(url: str | URL | None = None) -> URL:
    """Return the warehouse URL: the argument, else ``VOC_DATABASE_URL``, else the embedded server.

    Raises ``DatabaseUrlError`` for a URL that is not PostgreSQL or cannot be parsed (a bad port, a broken
    IPv6 literal); the message shows the URL with its password hidden."""
    if isinstance(url, URL):
        return url
    url = url or database_url_from_env()
    if url:
        where = f"the warehouse URL {redact_url(url)!r} (VOC_DATABASE_URL or --database-url)"
        expected = "expected postgresql://user:password@host:port/dbname"
        try:
            normalised = normalise_url(url)
        except ValueError:
            raise DatabaseUrlError(f"{where} is not a PostgreSQL URL; {expected}") from None
        try:
            return make_url(normalised)
        except (ValueError, ArgumentError):  # their messages may quote a piece of the URL: not repeated
            raise DatabaseUrlError(f"{where} cannot be parsed (port, host or brackets); {expected}") from None
    from voc.pipeline.db import embedded

    return embedded.server_url()


@lru_cache(maxsize=8)
def _engine_for(url: str) -> Engine:
    return create_engine(url, pool_pre_ping=True, future=True)


def get_engine(url: str | URL | None = None) -> Engine:
    """Return a pooled engine for the warehouse (one per URL per process)."""
    return _engine_for(resolve_url(url).render_as_string(hide_password=False))


def libpq_dsn(url: URL) -> str:
    """Return a ``postgresql://`` URL that psql and BI tools accept."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)

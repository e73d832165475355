"""Connections to the warehouse: ``VOC_DATABASE_URL`` if set, else the embedded PostgreSQL."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL, make_url

from voc.pipeline.config import database_url_from_env, normalise_url


def resolve_url(url: str | URL | None = None) -> URL:
    """Return the warehouse URL: the argument, else ``VOC_DATABASE_URL``, else the embedded server."""
    if isinstance(url, URL):
        return url
    url = url or database_url_from_env()
    if url:
        return make_url(normalise_url(url))
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

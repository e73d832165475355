"""Settings read from the environment: where the warehouse is and where local state lives.

``VOC_DATABASE_URL``  any PostgreSQL server (SQLAlchemy or libpq URL). Unset: the embedded server.
``VOC_HOME``          folder for local state (embedded PostgreSQL data, sample files); default ``./.voc``.
"""

from __future__ import annotations

import os
from pathlib import Path


def voc_home() -> Path:
    """Return the folder that holds local state, creating it if needed."""
    home = Path(os.environ.get("VOC_HOME", ".voc")).expanduser().resolve()
    home.mkdir(parents=True, exist_ok=True)
    return home


def database_url_from_env() -> str | None:
    """Return ``VOC_DATABASE_URL`` if set and not blank."""
    url = os.environ.get("VOC_DATABASE_URL", "").strip()
    return url or None


def normalise_url(url: str) -> str:
    """Make a libpq-style ``postgresql://`` URL usable by SQLAlchemy with psycopg2."""
    for prefix in ("postgresql+psycopg2://", "postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix):]
    raise ValueError(
        f"unsupported database URL scheme in {redact_url(url)!r}: voc needs PostgreSQL "
        "(postgresql://user:password@host:port/dbname)"
    )


def redact_url(url: str) -> str:
    """Hide the password of a URL so it can be logged."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL: show only its scheme
        return url.split(":", 1)[0] + "://***"

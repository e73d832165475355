"""``sources.yaml``: the listening pipes of one installation, validated with errors that say file, line and key.

.. code-block:: yaml

    version: 1
    sources:
      - name: zendesk
        kind: ticket                       # survey | social | email | ticket | review
        url: https://acme.zendesk.com      # an API (ticket) or a mailbox (imaps://host:993/INBOX)
        credentials: {username_env: ZENDESK_USER, token_env: ZENDESK_TOKEN}
        schedule: "@hourly"
      - name: app_reviews
        kind: review
        location: drop/reviews             # files or folders, relative to this file
        mapping: mappings/reviews.yaml     # or an inline mapping
        oversize: truncate                 # a text over 50,000 characters: cut and flagged (default: quarantine)

Secrets never live in the file: credentials name environment variables (``*_env``) or an Airflow connection
id (``airflow_conn_id``), looked up from ``AIRFLOW_CONN_<ID>`` or by a lookup the caller passes (an
Airflow task passes ``BaseHook.get_connection``); nothing here imports Airflow.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml

from voc.schemas.yaml_keys import non_string_key

KINDS = ("survey", "social", "email", "ticket", "review")
SCHEDULE_PRESETS = ("@once", "@hourly", "@daily", "@weekly", "@monthly", "@yearly")
CRON = re.compile(r"^\S+(\s+\S+){4}$")
NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_SOURCE_KEYS = {"name", "kind", "location", "url", "credentials", "schedule", "mapping", "options", "enabled",
                "oversize"}
# What the loader does with a record over its size limit (load.OVERSIZE_POLICIES; not imported: loading voc's
# loader takes seconds, and parsing sources.yaml must stay cheap for DAG files). A test keeps the two equal.
OVERSIZE_POLICIES = ("quarantine", "truncate")
_CREDENTIAL_KEYS = {"username", "username_env", "password_env", "token_env", "bearer_env", "airflow_conn_id"}
_OPTIONS = {
    "survey": set(),
    "social": set(),
    "review": set(),
    "email": {"ignore_senders", "languages", "batch_size", "timeout", "retries"},
    "ticket": {"start_time", "timeout", "max_attempts", "backoff", "max_backoff"},
}


class SourcesError(ValueError):
    """``sources.yaml`` is malformed; the message names the file, the line and the key to fix."""


@dataclass(frozen=True)
class Credentials:
    """Where a source's secrets come from (never the secrets themselves)."""

    username: str | None = None
    username_env: str | None = None
    password_env: str | None = None
    token_env: str | None = None
    bearer_env: str | None = None
    airflow_conn_id: str | None = None


@dataclass(frozen=True)
class SourceConfig:
    """One configured source."""

    name: str
    kind: str
    locations: tuple[Path, ...] = ()
    url: str | None = None
    credentials: Credentials | None = None
    schedule: str | None = None
    mapping: Path | dict | None = None
    options: dict = field(default_factory=dict)
    enabled: bool = True
    origin: str = ""
    oversize: str = "quarantine"  # OVERSIZE_POLICIES: quarantine the record whole, or keep it with its text cut

    @property
    def is_api(self) -> bool:
        return self.url is not None


@dataclass(frozen=True)
class Secrets:
    """Resolved credentials; ``repr`` never shows them."""

    username: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    bearer: str | None = field(default=None, repr=False)
    extra: dict = field(default_factory=dict, repr=False)


def _lines(node: yaml.Node, path: tuple = ()) -> dict[tuple, int]:
    """Map every key path of a composed YAML document to its 1-based line."""
    out = {path: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            out.update(_lines(value, (*path, key.value)))
            out[(*path, key.value)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, value in enumerate(node.value):
            out.update(_lines(value, (*path, index)))
    return out


class _Located:
    def __init__(self, origin: str, lines: dict[tuple, int]) -> None:
        self.origin, self.lines = origin, lines

    def error(self, path: tuple, problem: str) -> SourcesError:
        line = next((self.lines[path[:n]] for n in range(len(path), -1, -1) if path[:n] in self.lines), 1)
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
        return SourcesError(f"{self.origin}:{line}: {where or 'document'}: {problem}")


def parse_sources(text: str, origin: str = "sources.yaml", base: Path | None = None) -> list[SourceConfig]:
    """Validate a ``sources.yaml`` document; relative locations and mapping paths are read from ``base``."""
    base = base or Path.cwd()
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        bad_key = non_string_key(node)  # before loading: a list as a key is an error there, without a line
        data = None if bad_key else yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise SourcesError(f"{origin}{line}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if bad_key:
        raise SourcesError(f"{origin}:{bad_key[0]}: {bad_key[1]}")
    at = _Located(origin, _lines(node) if node is not None else {})
    if not isinstance(data, dict):
        raise at.error((), "expected a mapping with `version` and `sources`")
    unknown = sorted(set(data) - {"version", "sources"})
    if unknown:
        raise at.error((unknown[0],), "is not a known key (known: version, sources)")
    if data.get("version", 1) != 1:
        raise at.error(("version",), f"must be 1, got {data.get('version')!r}")
    items = data.get("sources")
    if not isinstance(items, list) or not items:
        raise at.error(("sources",), "must be a non-empty list of sources")
    configs, seen = [], {}
    for index, item in enumerate(items):
        config = _source(item, ("sources", index), at, base)
        if config.name in seen:
            raise at.error(("sources", index, "name"),
                           f"{config.name!r} is already used by sources[{seen[config.name]}]")
        seen[config.name] = index
        configs.append(config)
    return configs


def _source(item: object, path: tuple, at: _Located, base: Path) -> SourceConfig:
    if not isinstance(item, dict):
        raise at.error(path, "a source must be a mapping with at least `name` and `kind`")
    unknown = sorted(set(item) - _SOURCE_KEYS)
    if unknown:
        raise at.error((*path, unknown[0]), f"is not a known key (known: {', '.join(sorted(_SOURCE_KEYS))})")
    name = item.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        raise at.error((*path, "name"), "must be lower-case letters, digits and _ (starting with a letter)")
    kind = item.get("kind")
    if kind not in KINDS:
        raise at.error((*path, "kind"), f"must be one of {', '.join(KINDS)}, got {kind!r}")
    locations = item.get("location")
    if isinstance(locations, str):
        locations = [locations]
    if locations is not None and (not isinstance(locations, list) or not all(isinstance(p, str) and p
                                                                             for p in locations)):
        raise at.error((*path, "location"), "must be a path or a list of paths")
    url = item.get("url")
    if url is not None:
        allowed = {"ticket": ("http", "https"), "email": ("imap", "imaps")}.get(kind, ())
        if not allowed:
            raise at.error((*path, "url"), f"a {kind} source reads files: use `location`")
        try:
            parts = urlsplit(str(url))
        except ValueError:  # a broken IPv6 literal
            parts = None
        if parts is not None and (parts.username is not None or parts.password is not None):
            # not repeated in the message: httpx would log it with every request, and errors would quote it
            raise at.error((*path, "url"), "must not hold credentials (user:password@host): name environment "
                                           "variables under `credentials` (username_env, password_env, token_env) "
                                           "or an Airflow connection (airflow_conn_id)")
        try:
            _port = parts.port if parts else None  # ValueError for a port that is not a number in range
        except ValueError:
            parts = None
        if parts is None or parts.scheme not in allowed or not parts.hostname:
            shown = repr(url) if "@" not in str(url) else "a URL with an @ (not repeated: it may hold a secret)"
            raise at.error((*path, "url"), f"must be a {' or '.join(allowed)} URL with a host, got {shown}")
    if bool(url) == bool(locations):
        raise at.error(path, "needs exactly one of `location` (files) or `url` (ticket API, IMAP mailbox)")
    schedule = item.get("schedule")
    if schedule is not None and not (schedule in SCHEDULE_PRESETS or (isinstance(schedule, str)
                                                                       and CRON.match(schedule.strip()))):
        raise at.error((*path, "schedule"), f"must be a cron expression or one of {', '.join(SCHEDULE_PRESETS)}")
    mapping = item.get("mapping")
    if isinstance(mapping, str):
        mapping = (base / mapping).resolve()
        if not mapping.is_file():
            raise at.error((*path, "mapping"), f"{mapping}: no such mapping file")
    elif mapping is not None and not isinstance(mapping, dict):
        raise at.error((*path, "mapping"), "must be a mapping file path or an inline mapping")
    if mapping is not None and kind == "email":
        raise at.error((*path, "mapping"), "e-mail has no columns to map; use `options`")
    options = item.get("options") or {}
    if not isinstance(options, dict):
        raise at.error((*path, "options"), "must be a mapping")
    for key in options:
        if key not in _OPTIONS[kind]:
            known = ", ".join(sorted(_OPTIONS[kind])) or "none"
            raise at.error((*path, "options", key), f"is not an option of {kind} sources (known: {known})")
    enabled = item.get("enabled", True)
    if not isinstance(enabled, bool):
        raise at.error((*path, "enabled"), "must be true or false")
    oversize = item.get("oversize", "quarantine")
    if oversize not in OVERSIZE_POLICIES:
        raise at.error((*path, "oversize"), f"must be {' or '.join(OVERSIZE_POLICIES)}, got {oversize!r}")
    return SourceConfig(
        name=name, kind=kind, locations=tuple((base / p).resolve() for p in locations or ()), url=url,
        credentials=_credentials(item.get("credentials"), (*path, "credentials"), at), schedule=schedule,
        mapping=mapping, options=dict(options), enabled=enabled, oversize=oversize,
        origin=f"{at.origin}:{at.lines.get(path, 1)}",
    )


def _credentials(spec: object, path: tuple, at: _Located) -> Credentials | None:
    if spec is None:
        return None
    if not isinstance(spec, dict):
        raise at.error(path, "must be a mapping of *_env variable names or an airflow_conn_id")
    for key, value in spec.items():
        if key in ("password", "token", "secret", "bearer"):
            raise at.error((*path, key), f"secrets never go in this file: name an environment variable ({key}_env) "
                                         "or an Airflow connection (airflow_conn_id)")
        if key not in _CREDENTIAL_KEYS:
            raise at.error((*path, key), f"is not a known key (known: {', '.join(sorted(_CREDENTIAL_KEYS))})")
        if not isinstance(value, str) or not value:
            raise at.error((*path, key), "must be a non-empty string")
        if key.endswith("_env") and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
            raise at.error((*path, key), f"{value!r} is not an environment variable name")
    return Credentials(**spec)


def load_sources(path: str | Path) -> list[SourceConfig]:
    """Read and validate a ``sources.yaml`` file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SourcesError(f"{path}: cannot read the sources file ({exc.strerror})") from None
    return parse_sources(text, str(path), path.parent)


ConnectionLookup = Callable[[str], object]  # conn id -> dict or an Airflow Connection


def connection_from_env(conn_id: str, environ: dict | None = None) -> dict:
    """Return an Airflow connection defined as ``AIRFLOW_CONN_<ID>`` (URI or JSON), without importing Airflow."""
    environ = os.environ if environ is None else environ
    var = f"AIRFLOW_CONN_{conn_id.upper()}"
    value = environ.get(var)
    if not value:
        raise SourcesError(f"Airflow connection {conn_id!r} is not defined ({var} is not set)")
    if value.lstrip().startswith("{"):
        try:
            data = json.loads(value)
        except json.JSONDecodeError:
            raise SourcesError(f"{var}: not valid JSON") from None
        return {"login": data.get("login"), "password": data.get("password"), "host": data.get("host"),
                "port": data.get("port"), "schema": data.get("schema"), "extra": data.get("extra") or {}}
    parts = urlsplit(value)
    return {"login": unquote(parts.username or "") or None, "password": unquote(parts.password or "") or None,
            "host": parts.hostname, "port": parts.port, "schema": parts.path.lstrip("/") or None, "extra": {}}


def resolve_secrets(config: SourceConfig, lookup: ConnectionLookup | None = None,
                    environ: dict | None = None) -> Secrets:
    """Return a source's credentials from the environment or its Airflow connection; say which name is missing."""
    environ = os.environ if environ is None else environ
    spec = config.credentials
    if spec is None:
        return Secrets()
    values: dict = {}
    if spec.airflow_conn_id:
        conn = (lookup or (lambda cid: connection_from_env(cid, environ)))(spec.airflow_conn_id)
        if not isinstance(conn, dict):  # an Airflow Connection object (duck-typed: Airflow is not imported)
            conn = {"login": getattr(conn, "login", None), "password": getattr(conn, "password", None),
                    "extra": getattr(conn, "extra_dejson", None) or {}}
        extra = conn.get("extra") or {}
        if isinstance(extra, str):
            extra = json.loads(extra or "{}")
        values = {"username": conn.get("login"), "password": conn.get("password"), "extra": extra,
                  "token": extra.get("token"), "bearer": extra.get("bearer")}
    for attr, secret in (("username_env", "username"), ("password_env", "password"), ("token_env", "token"),
                         ("bearer_env", "bearer")):
        var = getattr(spec, attr)
        if var:
            if not environ.get(var):
                raise SourcesError(f"{config.origin}: source {config.name!r}: environment variable {var} is not set")
            values[secret] = environ[var]
    if spec.username:
        values["username"] = spec.username
    return Secrets(**{k: v for k, v in values.items() if v is not None})

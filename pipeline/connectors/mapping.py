"""Column mappings: YAML files that say which export column feeds which contract field.

Users write these by hand, so every mistake is reported with the file and the key to fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from voc.schemas.yaml_keys import non_string_key

SCORE_FIELDS = ("nps", "csat", "ces", "rating")
IDENTIFIER_KINDS = ("customer_id", "account_id", "email", "phone", "handle", "external_id")


class MappingError(ValueError):
    """A mapping file is malformed; the message names the file and the key."""


@dataclass(frozen=True)
class SurveyMapping:
    """How a survey export's columns map onto the feedback-item contract."""

    response_id: str
    occurred_at: str
    texts: tuple[str, ...]
    timezone: ZoneInfo = ZoneInfo("UTC")
    survey_id: str | None = None
    survey_id_value: str | None = None
    survey_type: str | None = None
    survey_type_value: str | None = None
    language: str | None = None
    customer: dict[str, str] = field(default_factory=dict)
    scores: dict[str, str] = field(default_factory=dict)
    origin: str = "<default>"


_SURVEY_KEYS = {
    "version", "kind", "response_id", "occurred_at", "timezone", "survey_id", "survey_id_value",
    "survey_type", "survey_type_value", "language", "customer", "scores", "texts",
}


def _fail(origin: str, key: str, problem: str) -> MappingError:
    return MappingError(f"{origin}: `{key}` {problem}")


def parse_survey_mapping(data: object, origin: str) -> SurveyMapping:
    """Validate a parsed YAML document and return the mapping it describes."""
    if not isinstance(data, dict):
        raise MappingError(f"{origin}: expected a mapping of keys, got {type(data).__name__}")
    unknown = sorted(set(data) - _SURVEY_KEYS)
    if unknown:
        raise _fail(origin, unknown[0], f"is not a known key (known: {', '.join(sorted(_SURVEY_KEYS))})")
    if data.get("version", 1) != 1:
        raise _fail(origin, "version", f"must be 1, got {data.get('version')!r}")
    if data.get("kind", "survey") != "survey":
        raise _fail(origin, "kind", f"must be survey, got {data.get('kind')!r}")
    for key in ("response_id", "occurred_at"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise _fail(origin, key, "is required and must name a column")
    texts = data.get("texts")
    if isinstance(texts, str):
        texts = [texts]
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) and t for t in texts):
        raise _fail(origin, "texts", "must be a list of the open-text columns")
    for key in ("survey_id", "survey_id_value", "survey_type", "survey_type_value", "language"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise _fail(origin, key, "must be a string")
    customer = data.get("customer") or {}
    if not isinstance(customer, dict):
        raise _fail(origin, "customer", "must map identifier kinds to columns")
    for kind, column in customer.items():
        if kind not in IDENTIFIER_KINDS:
            raise _fail(origin, f"customer.{kind}", f"is not an identifier kind ({', '.join(IDENTIFIER_KINDS)})")
        if not isinstance(column, str):
            raise _fail(origin, f"customer.{kind}", "must name a column")
    scores = data.get("scores") or {}
    if not isinstance(scores, dict):
        raise _fail(origin, "scores", "must map score fields to columns")
    for name, column in scores.items():
        if name not in SCORE_FIELDS:
            raise _fail(origin, f"scores.{name}", f"is not a score field ({', '.join(SCORE_FIELDS)})")
        if not isinstance(column, str):
            raise _fail(origin, f"scores.{name}", "must name a column")
    try:
        tz = ZoneInfo(str(data.get("timezone") or "UTC"))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise _fail(origin, "timezone", f"is not a known time zone ({exc})") from None
    return SurveyMapping(
        response_id=data["response_id"],
        occurred_at=data["occurred_at"],
        texts=tuple(texts),
        timezone=tz,
        survey_id=data.get("survey_id"),
        survey_id_value=data.get("survey_id_value"),
        survey_type=data.get("survey_type"),
        survey_type_value=data.get("survey_type_value"),
        language=data.get("language"),
        customer=dict(customer),
        scores=dict(scores),
        origin=origin,
    )


def read_mapping_yaml(path: str | Path) -> object:
    """Read and parse a mapping YAML file; a missing file or bad YAML is a ``MappingError`` naming the file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise MappingError(f"{path}: cannot read mapping file ({exc.strerror})") from None
    return _parse_yaml(text, str(path))


def _parse_yaml(text: str, origin: str) -> object:
    try:
        bad_key = non_string_key(yaml.compose(text, Loader=yaml.SafeLoader))
        data = None if bad_key else yaml.safe_load(text)  # first: a list as a key fails loading without a line
    except yaml.YAMLError as exc:
        raise MappingError(f"{origin}: not valid YAML: {exc}") from None
    if bad_key:
        raise MappingError(f"{origin}:{bad_key[0]}: {bad_key[1]}")
    return data


def load_survey_mapping(path: str | Path | None = None) -> SurveyMapping:
    """Read a survey mapping YAML file; None gives the bundled default mapping."""
    if path is None:
        origin = "survey_default.yaml"
        text = resources.files("voc.schemas.mappings").joinpath(origin).read_text(encoding="utf-8")
        return parse_survey_mapping(_parse_yaml(text, origin), origin)
    return parse_survey_mapping(read_mapping_yaml(path), str(path))

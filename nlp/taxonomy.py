"""The taxonomy: the company's common language, read from a hand-written YAML file and validated.

``load_taxonomy(path)`` returns a :class:`Taxonomy` or raises :class:`TaxonomyError` listing every
mistake as ``file:line: where: what``. The format is documented in ``docs/nlp.md``.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from voc.schemas.yaml_keys import non_string_key

TOP_KEYS = {"version", "name", "stages", "default_stage", "channel_stages", "survey_stages", "themes"}
STAGE_KEYS = {"id", "label"}
THEME_KEYS = {"id", "label", "stage", "topics"}
TOPIC_KEYS = {"id", "label", "stage", "complaint", "priority", "phrases", "exclude", "patterns"}
ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class TaxonomyError(ValueError):
    """A taxonomy file that cannot be used; ``errors`` holds one located message per mistake."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class Topic:
    id: str
    label: str
    theme: str
    stage: str | None  # the topic's own stage, else its theme's
    complaint: bool
    phrases: list[str]
    exclude: list[str] = field(default_factory=list)
    patterns: list[list[dict]] = field(default_factory=list)
    priority: int = 0  # the item's main topic is the matched topic with the highest priority (then most evidence)


@dataclass
class Theme:
    id: str
    label: str
    stage: str | None
    topics: list[Topic]


@dataclass
class Taxonomy:
    name: str
    version: str
    stages: list[tuple[str, str]]  # (id, label) in journey order
    default_stage: str | None
    channel_stages: dict[str, str]
    survey_stages: dict[str, str]
    themes: list[Theme]
    digest: str  # sha256 of the parsed content: comments and layout do not count
    source: str = "<taxonomy>"

    @property
    def version_tag(self) -> str:
        """``name@version+hash``: changes whenever the content does, even if ``version`` was not bumped."""
        return f"{self.name}@{self.version}+{self.digest[:8]}"

    @property
    def topics(self) -> list[Topic]:
        return [topic for theme in self.themes for topic in theme.topics]

    def topic(self, topic_id: str) -> Topic:
        return next(t for t in self.topics if t.id == topic_id)


def load_taxonomy(path: str | Path) -> Taxonomy:
    """Read and validate a taxonomy file (raises ``TaxonomyError`` with every problem found)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TaxonomyError([f"{path}: cannot read the file: {exc.strerror or exc}"]) from exc
    return parse_taxonomy(text, source=str(path))


@cache
def _cached(path: str, mtime_ns: int) -> Taxonomy:
    return load_taxonomy(path)


def cached_taxonomy(path: str | Path) -> Taxonomy:
    """``load_taxonomy`` that parses a file once per content change (components share one copy)."""
    return _cached(str(path), Path(path).stat().st_mtime_ns)


def parse_taxonomy(text: str, source: str = "<taxonomy>") -> Taxonomy:
    """Validate the YAML ``text`` of a taxonomy and return it; ``source`` names it in error messages."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        bad_key = non_string_key(node)  # before loading: a list as a key is an error there, without a line
        data = None if bad_key else yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise TaxonomyError([f"{where}: not valid YAML: {getattr(exc, 'problem', None) or exc}"]) from exc
    if bad_key:
        raise TaxonomyError([f"{source}:{bad_key[0]}: {bad_key[1]}"])
    checker = _Checker(source, _lines(node))
    taxonomy = checker.check(data)
    if checker.errors:
        raise TaxonomyError(checker.errors)
    return taxonomy


def _lines(node, path: tuple = (), out: dict | None = None) -> dict[tuple, int]:
    """Map each path in the YAML document (keys and list indexes) to its 1-based line."""
    out = {} if out is None else out
    if node is None:
        return out
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            out[path + (key.value,)] = key.start_mark.line + 1
            _lines(value, path + (key.value,), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out[path + (i,)] = item.start_mark.line + 1
            _lines(item, path + (i,), out)
    return out


def _dotted(path: tuple) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top)"


class _Checker:
    """Collects every error instead of stopping at the first, so one run shows the user all fixes."""

    def __init__(self, source: str, lines: dict[tuple, int]) -> None:
        self.source, self.lines, self.errors = source, lines, []

    def error(self, path: tuple, message: str) -> None:
        probe = path
        while probe and probe not in self.lines:
            probe = probe[:-1]
        line = self.lines.get(probe)
        self.errors.append(f"{self.source}:{line}: {_dotted(path)}: {message}" if line else
                           f"{self.source}: {_dotted(path)}: {message}")

    def keys(self, value: Any, path: tuple, allowed: set[str], required: set[str]) -> bool:
        if not isinstance(value, dict):
            self.error(path, f"expected a mapping with keys {', '.join(sorted(required))}")
            return False
        for key in value:
            if key not in allowed:
                self.error(path + (key,), f"unknown key {key!r} (allowed: {', '.join(sorted(allowed))})")
        for key in sorted(required - set(value)):
            self.error(path, f"missing required key {key!r}")
        return True

    def text(self, value: Any, path: tuple, *, is_id: bool = False) -> str | None:
        if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
            self.error(path, "expected a non-empty string")
            return None
        value = str(value).strip()
        if is_id and not ID.match(value):
            self.error(path, f"id {value!r} must be lower-case letters, digits, '_' or '-'")
        return value

    def strings(self, value: Any, path: tuple) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(path, "expected a list of strings")
            return []
        out = []
        for i, item in enumerate(value):
            text = self.text(item, path + (i,))
            if text is not None:
                out.append(text)
        return out

    def stage_ref(self, value: Any, path: tuple, stages: set[str]) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or value not in stages:
            self.error(path, f"unknown stage {value!r} (stages: {', '.join(sorted(stages)) or 'none defined'})")
            return None
        return value

    def check(self, data: Any) -> Taxonomy | None:
        if not self.keys(data, (), TOP_KEYS, {"version", "name", "stages", "themes"}):
            return None
        # a missing required key is reported once (by ``keys``), not again as a wrong value
        name = (self.text(data["name"], ("name",)) if "name" in data else None) or "?"
        version = (self.text(data["version"], ("version",)) if "version" in data else None) or "?"
        stages = self._stages(data["stages"]) if "stages" in data else []
        stage_ids = {sid for sid, _ in stages}
        default_stage = self.stage_ref(data.get("default_stage"), ("default_stage",), stage_ids)
        by_key = {}
        for key in ("channel_stages", "survey_stages"):
            mapping = data.get(key) or {}
            if not isinstance(mapping, dict):
                self.error((key,), "expected a mapping of name: stage")
                mapping = {}
            by_key[key] = {str(k): v for k, v in mapping.items() if self.stage_ref(v, (key, k), stage_ids)}
        themes = self._themes(data["themes"], stage_ids) if "themes" in data else []
        self._phrase_conflicts(themes)
        self._patterns(themes)
        digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
        return Taxonomy(name, version, stages, default_stage, by_key["channel_stages"], by_key["survey_stages"],
                        themes, digest, self.source)

    def _stages(self, value: Any) -> list[tuple[str, str]]:
        if not isinstance(value, list) or not value:
            self.error(("stages",), "expected a non-empty list of {id, label}")
            return []
        stages, seen = [], set()
        for i, stage in enumerate(value):
            if not self.keys(stage, ("stages", i), STAGE_KEYS, {"id"}):
                continue
            sid = self.text(stage.get("id"), ("stages", i, "id"), is_id=True)
            if sid in seen:
                self.error(("stages", i, "id"), f"duplicate stage id {sid!r}")
            elif sid:
                seen.add(sid)
                stages.append((sid, str(stage.get("label") or sid)))
        return stages

    def _themes(self, value: Any, stages: set[str]) -> list[Theme]:
        if not isinstance(value, list) or not value:
            self.error(("themes",), "expected a non-empty list of themes")
            return []
        themes, theme_ids, topic_ids = [], set(), set()
        for i, theme in enumerate(value):
            path = ("themes", i)
            if not self.keys(theme, path, THEME_KEYS, {"id", "topics"}):
                continue
            tid = self.text(theme.get("id"), path + ("id",), is_id=True)
            if tid in theme_ids:
                self.error(path + ("id",), f"duplicate theme id {tid!r}")
            theme_ids.add(tid)
            stage = self.stage_ref(theme.get("stage"), path + ("stage",), stages)
            raw_topics = theme.get("topics")
            if not isinstance(raw_topics, list) or not raw_topics:
                self.error(path + ("topics",), f"theme {tid!r} has no topics")
                raw_topics = []
            topics = []
            for j, topic in enumerate(raw_topics):
                parsed = self._topic(topic, path + ("topics", j), tid or "?", stage, stages)
                if parsed is None:
                    continue
                if parsed.id in topic_ids:
                    self.error(path + ("topics", j, "id"), f"duplicate topic id {parsed.id!r}")
                topic_ids.add(parsed.id)
                topics.append(parsed)
            themes.append(Theme(tid or "?", str(theme.get("label") or tid), stage, topics))
        return themes

    def _topic(self, topic: Any, path: tuple, theme: str, theme_stage: str | None, stages: set[str]) -> Topic | None:
        if not self.keys(topic, path, TOPIC_KEYS, {"id"}):
            return None
        tid = self.text(topic.get("id"), path + ("id",), is_id=True) or "?"
        stage = self.stage_ref(topic.get("stage"), path + ("stage",), stages) or theme_stage
        complaint = topic.get("complaint", False)
        if not isinstance(complaint, bool):
            self.error(path + ("complaint",), "expected true or false")
            complaint = False
        priority = topic.get("priority", 0)
        if not isinstance(priority, int) or isinstance(priority, bool):
            self.error(path + ("priority",), f"expected a whole number (higher wins when an item matches several "
                                             f"topics; default 0), got {priority!r}")
            priority = 0
        phrases = self.strings(topic.get("phrases"), path + ("phrases",))
        exclude = self.strings(topic.get("exclude"), path + ("exclude",))
        patterns = topic.get("patterns") or []
        if not isinstance(patterns, list):
            self.error(path + ("patterns",), "expected a list of token patterns (each a list of mappings)")
            patterns = []
        if not phrases and not patterns:
            self.error(path, f"topic {tid!r} is empty: give it phrases or patterns")
        return Topic(tid, str(topic.get("label") or tid), theme, stage, complaint, phrases, exclude, patterns, priority)

    def _phrase_conflicts(self, themes: list[Theme]) -> None:
        """A phrase (compared on lower-cased lemmas) may belong to one topic only, or matches would be ambiguous."""
        from voc.nlp.lemmatize import phrase_key

        owner: dict[str, str] = {}
        for i, theme in enumerate(themes):
            for j, topic in enumerate(theme.topics):
                for k, phrase in enumerate(topic.phrases):
                    key = phrase_key(phrase)
                    other = owner.setdefault(key, topic.id)
                    if other != topic.id:
                        self.error(("themes", i, "topics", j, "phrases", k),
                                   f"phrase {phrase!r} is already claimed by topic {other!r}")

    def _patterns(self, themes: list[Theme]) -> None:
        from spacy.matcher import Matcher

        from voc.nlp.lemmatize import blank_english

        matcher = Matcher(blank_english().vocab, validate=True)
        for i, theme in enumerate(themes):
            for j, topic in enumerate(theme.topics):
                for k, pattern in enumerate(topic.patterns):
                    path = ("themes", i, "topics", j, "patterns", k)
                    if not isinstance(pattern, list) or not pattern or not all(isinstance(t, dict) for t in pattern):
                        self.error(path, "a pattern is a non-empty list of token mappings, e.g. [{LOWER: where}]")
                        continue
                    try:
                        matcher.add(f"check-{topic.id}-{k}", [pattern])
                    except Exception as exc:  # spaCy raises MatchPatternError or ValueError for bad patterns
                        detail = " ".join(str(exc).split())
                        detail = re.sub(r"^Invalid token patterns for matcher rule '[^']*' Pattern \d+: - ", "", detail)
                        self.error(path, "bad pattern: " + detail.replace("[pattern -> ", "[token "))

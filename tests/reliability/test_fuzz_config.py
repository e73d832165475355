"""Configuration is hand-written YAML: a taxonomy, column mappings, sources.yaml. Whatever the text - near-valid
documents with hostile values, mixed key types, broken YAML, random mutations of the bundled files - the
parser returns a valid object or raises its own located error (TaxonomyError, MappingError, SourcesError),
never anything else."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from tests.helpers import REPO
from tests.reliability import hostile
from tests.reliability.harness import scale
from voc.nlp.taxonomy import TaxonomyError, parse_taxonomy
from voc.pipeline.connectors.columns import load_column_mapping
from voc.pipeline.connectors.mapping import MappingError, load_survey_mapping
from voc.pipeline.sources import SourcesError, parse_sources
from voc.schemas.taxonomies import bundled_path

TAXONOMY_KEYS = ["version", "name", "stages", "default_stage", "channel_stages", "survey_stages", "themes", "id",
                 "label", "stage", "topics", "complaint", "phrases", "exclude", "patterns", "LOWER", "IN"]
MAPPING_KEYS = ["version", "kind", "response_id", "occurred_at", "timezone", "survey_id", "survey_id_value",
                "survey_type", "customer", "scores", "texts", "columns", "values", "email", "nps", "id", "text"]
SOURCES_KEYS = ["version", "sources", "name", "kind", "location", "url", "credentials", "schedule", "mapping",
                "options", "enabled", "username_env", "token_env", "airflow_conn_id", "ignore_senders"]
SUITE = "fuzz: config YAML"


def _yaml_value(keys: list[str]) -> st.SearchStrategy:
    scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                       hostile.text(surrogates=False), st.sampled_from(keys), st.sampled_from(
                           ["survey", "ticket", "email", "review", "social", "UTC", "Mars/Olympus", "@hourly",
                            "* * * * *", "imaps://host/INBOX", "https://x.example", "1", "0", "-1", "~"]))
    key = st.one_of(st.sampled_from(keys), hostile.text(surrogates=False))  # non-string keys: a known bug
    return st.recursive(scalar, lambda children: st.one_of(st.lists(children, max_size=4),
                                                          st.dictionaries(key, children, max_size=5)),
                        max_leaves=25)


def _document(keys: list[str]) -> st.SearchStrategy[str]:
    near_valid = st.dictionaries(st.sampled_from(keys), _yaml_value(keys), max_size=len(keys))
    dumped = st.one_of(near_valid, _yaml_value(keys)).map(lambda d: yaml.safe_dump(d, allow_unicode=True))
    broken = st.sampled_from(["a: [1, 2", "{", ": :", "- - -\n  x: &a [*a]", "a: !!python/object:os.system x",
                              "a: *undefined", "\t- tab", "%YAML 9.9\n---\na: 1", "a: 1\na: 2", "? [1]\n: 2",
                              "a: &x [1]\nb: *x", "a: !!binary aGk=", "a: 2026-10-01", "a: 0o17", "a: .nan"])
    return st.one_of(dumped, broken, hostile.text(surrogates=False)).filter(_string_keys)


def _mutants(path: Path, n: int, seed: int) -> list[str]:
    rng, data = random.Random(seed), path.read_bytes()
    out = [hostile.mutate(data, rng, rounds=4).decode("utf-8", "replace") for _ in range(n * 2)]
    return [t for t in out if _string_keys(t)][:n]


def _string_keys(text: str) -> bool:
    """False for a document with a non-string mapping key (a known bug, see test_known_* below)."""
    def ok(value) -> bool:
        if isinstance(value, dict):
            return all(isinstance(k, str) and ok(v) for k, v in value.items())
        return all(ok(v) for v in value) if isinstance(value, list) else True

    try:
        return ok(yaml.safe_load(text))
    except yaml.YAMLError:
        return True


BUNDLED_TAXONOMY = Path(bundled_path())
SURVEY_MAPPING = REPO / "schemas" / "mappings" / "survey_default.yaml"
SOURCES_EXAMPLE = REPO / "sources.example.yaml"


def _only(error: type[Exception], call, ledger) -> None:
    try:
        call()
    except error:
        pass
    except Exception:
        ledger.add(SUITE, cases=1, faults=1, lost=1)
        raise
    ledger.add(SUITE, cases=1, faults=1)


@given(text=st.one_of(_document(TAXONOMY_KEYS), st.sampled_from(_mutants(BUNDLED_TAXONOMY, 40, 1))))
def test_taxonomy_yaml(text, ledger):
    _only(TaxonomyError, lambda: parse_taxonomy(text, "fuzz.yaml"), ledger)


@given(text=st.one_of(_document(MAPPING_KEYS), st.sampled_from(_mutants(SURVEY_MAPPING, 40, 2))))
def test_survey_mapping_yaml(text, ledger, tmp_path):
    path = tmp_path / "mapping.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    _only(MappingError, lambda: load_survey_mapping(path), ledger)


@given(text=_document(MAPPING_KEYS), kind=st.sampled_from(["social", "review", "ticket"]))
def test_column_mapping_yaml(text, kind, ledger, tmp_path):
    path = tmp_path / "columns.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    _only(MappingError, lambda: load_column_mapping(kind, path), ledger)


@given(text=st.one_of(_document(SOURCES_KEYS), st.sampled_from(_mutants(SOURCES_EXAMPLE, 40, 3))))
def test_sources_yaml(text, ledger, tmp_path):
    _only(SourcesError, lambda: parse_sources(text, "sources.yaml", base=tmp_path), ledger)


def test_mutated_bundled_files_still_name_the_problem(ledger):
    """A fuzz run over many more mutants of the bundled files than hypothesis draws (x scale)."""
    for text in _mutants(BUNDLED_TAXONOMY, 100 * scale(), 11):
        _only(TaxonomyError, lambda t=text: parse_taxonomy(t, "mutant.yaml"), ledger)
    for text in _mutants(SOURCES_EXAMPLE, 100 * scale(), 12):
        _only(SourcesError, lambda t=text: parse_sources(t, "mutant.yaml", base=REPO), ledger)


# -- known bug: a mapping key that is not a string --------------------------------------------------------------
NON_STRING_KEYS = ("every config parser sorts or json-dumps mapping keys as if they were strings: a YAML key like "
                   "0, null or true next to a string key raises TypeError instead of the parser's located error "
                   "(nlp/taxonomy.py digest, connectors/mapping.py, connectors/columns.py, pipeline/sources.py)")


@pytest.mark.xfail(strict=True, raises=TypeError, reason=NON_STRING_KEYS)
@pytest.mark.parametrize("parser", ["taxonomy", "survey_mapping", "column_mapping", "sources"])
def test_known_non_string_keys_get_a_located_error(parser, tmp_path):
    text = "version: 1\n0: zero\nfoo: bar\n"  # two unknown keys, an int and a string
    path = tmp_path / "config.yaml"
    path.write_text(text)
    call, error = {
        "taxonomy": (lambda: parse_taxonomy("version:\n  version: 1\n  0: x\n", "t.yaml"), TaxonomyError),
        "survey_mapping": (lambda: load_survey_mapping(path), MappingError),
        "column_mapping": (lambda: load_column_mapping("review", path), MappingError),
        "sources": (lambda: parse_sources(text, "sources.yaml", base=tmp_path), SourcesError),
    }[parser]
    with pytest.raises(error):
        call()

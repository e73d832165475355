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
                "options", "enabled", "username_env", "token_env", "airflow_conn_id", "ignore_senders",
                "oversize", "truncate", "quarantine"]
SUITE = "fuzz: config YAML"


def _yaml_value(keys: list[str]) -> st.SearchStrategy:
    scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                       hostile.text(surrogates=False), st.sampled_from(keys), st.sampled_from(
                           ["survey", "ticket", "email", "review", "social", "UTC", "Mars/Olympus", "@hourly",
                            "* * * * *", "imaps://host/INBOX", "https://x.example", "1", "0", "-1", "~"]))
    key = st.one_of(st.sampled_from(keys), hostile.text(surrogates=False), st.integers(), st.none(), st.booleans())
    return st.recursive(scalar, lambda children: st.one_of(st.lists(children, max_size=4),
                                                          st.dictionaries(key, children, max_size=5)),
                        max_leaves=25)


def _document(keys: list[str]) -> st.SearchStrategy[str]:
    near_valid = st.dictionaries(st.sampled_from(keys), _yaml_value(keys), max_size=len(keys))
    dumped = st.one_of(near_valid, _yaml_value(keys)).map(lambda d: yaml.safe_dump(d, allow_unicode=True))
    broken = st.sampled_from(["a: [1, 2", "{", ": :", "- - -\n  x: &a [*a]", "a: !!python/object:os.system x",
                              "a: *undefined", "\t- tab", "%YAML 9.9\n---\na: 1", "a: 1\na: 2", "? [1]\n: 2",
                              "a: &x [1]\nb: *x", "a: !!binary aGk=", "a: 2026-10-01", "a: 0o17", "a: .nan"])
    return st.one_of(dumped, broken, hostile.text(surrogates=False))


def _mutants(path: Path, n: int, seed: int) -> list[str]:
    rng, data = random.Random(seed), path.read_bytes()
    return [hostile.mutate(data, rng, rounds=4).decode("utf-8", "replace") for _ in range(n)]


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


# -- was a known bug: a mapping key that is not a string -------------------------------------------------------
# Every parser sorted or json-dumped mapping keys as if they were strings: a key like 0, null or true next to a
# string key raised TypeError instead of the parser's located error. Now schemas/yaml_keys.py reports it.

@pytest.mark.parametrize("parser", ["taxonomy", "survey_mapping", "column_mapping", "sources"])
@pytest.mark.parametrize("key, read_as", [("0", "int"), ("null", "null"), ("true", "bool"), ("[a]", "a list")])
def test_non_string_keys_get_a_located_error(parser, key, read_as, tmp_path):
    text = f"version: 1\n{key}: zero\nfoo: bar\n"  # two unknown keys, one not a string
    path = tmp_path / "config.yaml"
    path.write_text(text)
    call, error, line = {
        "taxonomy": (lambda: parse_taxonomy(f"version:\n  version: 1\n  {key}: x\n", "t.yaml"), TaxonomyError,
                     "t.yaml:3"),
        "survey_mapping": (lambda: load_survey_mapping(path), MappingError, f"{path}:2"),
        "column_mapping": (lambda: load_column_mapping("review", path), MappingError, f"{path}:2"),
        "sources": (lambda: parse_sources(text, "sources.yaml", base=tmp_path), SourcesError, "sources.yaml:2"),
    }[parser]
    with pytest.raises(error) as raised:
        call()
    assert line in str(raised.value) and read_as in str(raised.value), str(raised.value)

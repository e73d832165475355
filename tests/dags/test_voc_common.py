"""Task-time settings of the voc DAGs: the drop folder, source name and mapping come from the environment."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from tests.dags.airflow_env import DAGS


@pytest.fixture(scope="module")
def common():
    # Loaded from its file, as Airflow does (dags/ is not a package); stdlib only, so Airflow is not imported.
    spec = importlib.util.spec_from_file_location("_voc_common", DAGS / "_voc_common.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their annotations through sys.modules
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("VOC_SURVEY_DROP_DIR", "VOC_SURVEY_SOURCE", "VOC_SURVEY_MAPPING"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_drop_folder_alone_loads_as_surveys_with_the_default_mapping(common, clean_env, tmp_path):
    clean_env.setenv("VOC_SURVEY_DROP_DIR", str(tmp_path))
    assert common.survey_drop() == common.SurveyDrop(folder=tmp_path, source="surveys", mapping=None)


def test_source_and_mapping_come_from_the_environment(common, clean_env, tmp_path):
    clean_env.setenv("VOC_SURVEY_DROP_DIR", f" {tmp_path} ")
    clean_env.setenv("VOC_SURVEY_SOURCE", "support_ces")
    clean_env.setenv("VOC_SURVEY_MAPPING", str(tmp_path / "ces.yaml"))
    assert common.survey_drop() == common.SurveyDrop(
        folder=tmp_path, source="support_ces", mapping=Path(tmp_path / "ces.yaml"))


@pytest.mark.parametrize("value", [None, "", "  "])
def test_missing_drop_folder_setting_is_an_error_that_names_the_variable(common, clean_env, value):
    if value is not None:
        clean_env.setenv("VOC_SURVEY_DROP_DIR", value)
    with pytest.raises(RuntimeError, match="VOC_SURVEY_DROP_DIR"):
        common.survey_drop()


@pytest.mark.parametrize(("pending", "partitions", "batch", "claims"), [
    (0, 2, 500, []),
    (1, 2, 500, [1]),
    (500, 4, 500, [500]),
    (501, 4, 500, [251, 251]),
    (1261, 3, 200, [421, 421, 421]),
    (10_000, 2, 500, [5_000, 5_000]),
])
def test_claims_cover_every_pending_item_in_no_more_partitions_than_batches(common, pending, partitions, batch,
                                                                            claims):
    limits = common.partition_limits(pending, common.EnrichSettings(partitions=partitions, batch_size=batch))
    assert limits == claims
    assert sum(limits) >= pending


def test_enrich_settings_default_to_two_partitions_and_reject_nonsense(common, monkeypatch):
    monkeypatch.delenv("VOC_ENRICH_PARTITIONS", raising=False)
    monkeypatch.delenv("VOC_ENRICH_BATCH_SIZE", raising=False)
    assert common.enrich_settings() == common.EnrichSettings(partitions=2, batch_size=500)
    monkeypatch.setenv("VOC_ENRICH_PARTITIONS", "0")
    with pytest.raises(ValueError, match="VOC_ENRICH_PARTITIONS='0' must be a positive integer"):
        common.enrich_settings()


def test_extract_folder_is_required(common, monkeypatch, tmp_path):
    monkeypatch.delenv("VOC_EXTRACT_DIR", raising=False)
    with pytest.raises(RuntimeError, match="VOC_EXTRACT_DIR"):
        common.extract_dir()
    monkeypatch.setenv("VOC_EXTRACT_DIR", str(tmp_path))
    assert common.extract_dir() == tmp_path


def test_sources_are_read_from_the_configured_file_and_looked_up_again_at_task_time(common, monkeypatch, tmp_path):
    monkeypatch.delenv("VOC_SOURCES_CONFIG", raising=False)
    assert common.configured_sources() == []
    path = tmp_path / "sources.yaml"
    path.write_text("sources:\n  - {name: a, kind: review, location: drop}\n"
                    "  - {name: b, kind: social, location: drop, enabled: false}\n", encoding="utf-8")
    monkeypatch.setenv("VOC_SOURCES_CONFIG", str(path))
    assert [config.name for config in common.configured_sources()] == ["a"]
    assert common.source_config("a").locations == ((tmp_path / "drop").resolve(),)
    with pytest.raises(ValueError, match="source 'b' is disabled"):
        common.source_config("b")
    with pytest.raises(ValueError, match="no source named 'c'"):
        common.source_config("c")

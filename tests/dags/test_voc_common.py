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

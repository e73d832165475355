"""Fixtures for the quality-gate tests: Data Docs in a temporary folder."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def docs_dir(tmp_path, monkeypatch):
    """Every test writes its own Data Docs site."""
    folder = tmp_path / "data_docs"
    monkeypatch.setenv("VOC_DATA_DOCS_DIR", str(folder))
    return folder

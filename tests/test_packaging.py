"""Packaging: one import root (voc.*) in both editable and wheel installs, data files shipped in the wheel."""

import shutil
import site
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

import voc.pipeline
from tests.helpers import REPO
from voc.pipeline.db.migrate import head_revision

CHECK = """
import voc.pipeline, voc.nlp, voc.schemas, voc.sql
from voc.pipeline.db.migrate import head_revision
from voc.pipeline.db.views import view_files
from voc.pipeline.connectors.mapping import load_survey_mapping
from voc.schemas import load_contract
print(voc.pipeline.__file__)
print(head_revision(), [name for name, _ in view_files()], load_contract()["title"], load_survey_mapping().texts)
for generic in ("pipeline", "nlp", "schemas", "sql"):
    try:
        __import__(generic)
    except ImportError:
        continue
    raise SystemExit(f"generic top-level module {generic!r} is importable")
"""


def test_editable_install_imports_from_the_source_tree():
    assert Path(voc.pipeline.__file__).resolve() == REPO / "pipeline" / "__init__.py"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # build from a copy: setuptools writes build/ into the tree it builds
    src = tmp_path_factory.mktemp("src") / "voc-pipeline"
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(".venv", ".voc", ".git", "build", "*.egg-info"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(src)],
                   check=True, timeout=600)
    [whl] = out.glob("voc_pipeline-*.whl")
    return whl


def test_wheel_has_one_import_root_and_ships_its_data(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    roots = {n.split("/")[0] for n in names}
    assert "voc" in roots and all(r == "voc" or r.endswith(".dist-info") for r in roots), roots
    for data in ("voc/sql/mart/customer_story.sql", "voc/schemas/feedback_item.v1.json",
                 "voc/schemas/mappings/survey_default.yaml", "voc/pipeline/db/migrations/env.py",
                 "voc/pipeline/db/migrations/versions/0001_layers.py"):
        assert data in names, data


def test_wheel_install_works_outside_the_source_tree(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    purelib = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    # Dependencies come from the project environment, added as a plain path: its .pth files (and with
    # them the editable install of this very project) are not processed, so voc comes only from the wheel.
    deps = sysconfig.get_paths()["purelib"]
    assert deps in site.getsitepackages()
    Path(purelib, "_deps.pth").write_text(deps + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--quiet",
                    str(wheel)], check=True, timeout=300)
    result = subprocess.run([str(py), "-c", CHECK], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.splitlines()
    assert first.startswith(purelib) and str(REPO) not in first
    assert second.startswith(head_revision()) and "mart.customer_story" in second
    assert (venv / "bin" / "voc").exists()
    help_text = subprocess.run([str(venv / "bin" / "voc"), "--help"], capture_output=True, text=True, timeout=120)
    assert help_text.returncode == 0 and "customer story" in help_text.stdout

"""The container files, checked without Docker (the development machines cannot run it).

The compose file parses; every service, volume, host and variable it references exists; every Airflow
setting it passes is one Airflow knows; the sources file it mounts is valid; the Dockerfile starts from
the official Airflow image of the pinned version and copies every folder the package is built from.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.dags.airflow_env import isolated_env, needs_airflow
from tests.helpers import REPO
from voc.pipeline.sources import load_sources

DOCKER = REPO / "docker"
COMPOSE = yaml.safe_load((DOCKER / "compose.yaml").read_text(encoding="utf-8"))
SERVICES = COMPOSE["services"]
AIRFLOW_SERVICES = {name for name, service in SERVICES.items() if "build" in service}  # run the project image
# ${NAME}, ${NAME:-default}, ${NAME:?message}; "$${...}" is an escape for the container's shell.
VARIABLE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")
GENERATED = {".voc"}  # bind-mount sources created by `voc sample` / `make demo`, not shipped


def variables() -> dict[str, set[str]]:
    """Every variable the compose file interpolates, with the operators it is used with ("" for none)."""
    found: dict[str, set[str]] = {}
    for name, operator, _ in VARIABLE.findall((DOCKER / "compose.yaml").read_text(encoding="utf-8")):
        found.setdefault(name, set()).add(operator.lstrip(":"))
    return found


def env_example() -> tuple[set[str], set[str]]:
    """(required, optional) variable names of ``docker/.env.example``."""
    required, optional = set(), set()
    for line in (DOCKER / ".env.example").read_text(encoding="utf-8").splitlines():
        if match := re.match(r"^(#\s*)?([A-Z][A-Z0-9_]*)=", line):
            (optional if match.group(1) else required).add(match.group(2))
    return required, optional


def interpolate(value: str) -> str:
    """Resolve ``${NAME:-default}`` to its default (what compose does when NAME is unset)."""
    return VARIABLE.sub(lambda m: m.group(3) if m.group(2) == ":-" else f"<{m.group(1)}>", value)


def test_every_component_of_a_celery_deployment_is_a_service():
    assert set(SERVICES) == {"warehouse", "airflow-db", "redis", "airflow-init", "airflow-apiserver",
                             "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer", "airflow-worker"}
    commands = {name: SERVICES[name].get("command") for name in AIRFLOW_SERVICES - {"airflow-init"}}
    assert commands == {"airflow-apiserver": "api-server", "airflow-scheduler": "scheduler",
                        "airflow-dag-processor": "dag-processor", "airflow-triggerer": "triggerer",
                        "airflow-worker": "celery worker"}
    assert SERVICES["airflow-worker"]["deploy"]["replicas"] == "${VOC_CELERY_WORKERS:-2}"


def test_dependencies_name_existing_services_and_start_after_the_init():
    for name, service in SERVICES.items():
        depends = service.get("depends_on", {})
        assert name not in depends, f"{name} depends on itself"
        for target, spec in depends.items():
            assert target in SERVICES, f"{name} depends on unknown service {target}"
            assert spec["condition"] in ("service_healthy", "service_completed_successfully"), name
            if spec["condition"] == "service_healthy":
                assert "healthcheck" in SERVICES[target], f"{name} waits for {target}, which has no healthcheck"
        if name in AIRFLOW_SERVICES - {"airflow-init"}:
            assert depends.get("airflow-init") == {"condition": "service_completed_successfully"}, name


def test_volumes_are_declared_and_bind_mounts_exist():
    declared = set(COMPOSE["volumes"])
    used = set()
    for name, service in SERVICES.items():
        for volume in service.get("volumes", []):
            source = interpolate(volume).split(":", 1)[0]
            if source.startswith((".", "/")):
                path = (DOCKER / source).resolve()
                if not GENERATED.intersection(path.relative_to(REPO).parts):
                    assert path.exists(), f"{name}: bind mount {source} -> {path} does not exist"
            else:
                assert source in declared, f"{name}: volume {source} is not declared"
                used.add(source)
    assert used == declared, f"declared but unused: {declared - used}"


def test_every_variable_is_documented_and_the_secrets_have_no_default():
    used = variables()
    required, optional = env_example()
    secrets = {name for name, operators in used.items() if "-" not in operators}
    assert secrets == required, "variables without a default must be the required ones of .env.example"
    assert set(used) == required | optional, "every variable is documented in .env.example, and only those"
    for name in required:
        assert "?" in used[name], f"{name}: compose must refuse to start without it (use ${{{name}:?...}})"


def test_urls_point_at_services_of_the_stack():
    env = SERVICES["airflow-scheduler"]["environment"]
    hosts = {m.group(1) for value in env.values() for m in re.finditer(r"(?://|@)([a-z][a-z0-9-]*):\d+", str(value))}
    assert hosts == {"airflow-apiserver", "airflow-db", "redis", "warehouse"}
    assert hosts <= set(SERVICES)


def test_every_airflow_service_has_what_the_dags_read_at_task_time():
    for name in AIRFLOW_SERVICES:
        env = SERVICES[name]["environment"]
        for setting in ("AIRFLOW_CONN_VOC_WAREHOUSE", "VOC_SOURCES_CONFIG", "VOC_EXTRACT_DIR",
                        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL", "AIRFLOW__API_AUTH__JWT_SECRET"):
            assert setting in env, f"{name} lacks {setting}"
        mounts = {interpolate(v).split(":")[1]: interpolate(v).split(":")[0] for v in SERVICES[name]["volumes"]}
        assert mounts["/opt/airflow/dags"] == "../dags"
        assert env["VOC_SOURCES_CONFIG"].startswith("/opt/voc/config/")


def test_the_mounted_sources_file_is_valid_and_reads_the_mounted_drop_folder():
    configs = load_sources(DOCKER / "config" / "sources.yaml")
    assert configs
    for config in configs:
        assert all(str(path).startswith("/opt/voc/drop/") for path in config.locations), config.name


def test_the_dockerfile_builds_on_the_official_airflow_image_of_the_pinned_version():
    dockerfile = (DOCKER / "Dockerfile").read_text(encoding="utf-8")
    pinned = re.search(r"^apache-airflow==(\S+)$", (REPO / "constraints.txt").read_text(), re.M).group(1)
    assert f"ARG AIRFLOW_VERSION={pinned}" in dockerfile
    assert re.search(r"^FROM apache/airflow:\$\{AIRFLOW_VERSION\}-python\$\{PYTHON_VERSION\}$", dockerfile, re.M)
    copied = set()
    for sources in re.findall(r"^COPY (?:--\S+ )*(.+) \S+$", dockerfile, re.M):
        for source in sources.split():
            assert (REPO / source).exists(), f"COPY {source}: no such file in the build context"
            copied.add(source)
    package_dirs = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"]
    assert {path.split("/")[0] for path in package_dirs.values()} <= copied
    assert {"pyproject.toml", "constraints.txt", "dags"} <= copied
    for name in AIRFLOW_SERVICES:
        assert SERVICES[name]["build"] == {"context": "..", "dockerfile": "docker/Dockerfile"}


@needs_airflow
def test_every_airflow_setting_is_one_airflow_knows(tmp_path):
    settings = sorted({key for name in AIRFLOW_SERVICES for key in SERVICES[name]["environment"]
                       if key.startswith("AIRFLOW__")})
    script = ("import json, sys\nfrom airflow.configuration import conf\n"
              "conf.load_providers_configuration()\n"  # the celery section comes from its provider
              "known = {(s, o) for s, d in conf.configuration_description.items() for o in d['options']}\n"
              "keys = json.load(sys.stdin)\n"
              "print(json.dumps([k for k in keys if tuple(k.lower().split('__')[1:3]) not in known]))")
    proc = subprocess.run([sys.executable, "-c", script], input=json.dumps(settings), capture_output=True,
                          text=True, env=isolated_env(Path(tmp_path)), timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []
    assert "AIRFLOW__CORE__EXECUTOR" in settings and "AIRFLOW__CELERY__RESULT_BACKEND" in settings


@pytest.mark.parametrize("service", ["warehouse", "airflow-db", "redis"])
def test_backing_services_are_healthchecked_and_restart(service):
    assert SERVICES[service]["healthcheck"]["test"][0] == "CMD"
    assert SERVICES[service]["restart"] == "always"

"""Run Airflow 3 locally, without Docker, on the project's DAGs: ``make airflow``.

Starts the api-server, the scheduler and the dag-processor (and, with CeleryExecutor, Celery workers;
with ``--triggerer``, a triggerer) as separate processes, with the metadata database in PostgreSQL:
``VOC_AIRFLOW_DATABASE_URL`` if set, else the database ``airflow`` on the embedded server the demo uses.
The warehouse is ``AIRFLOW_CONN_VOC_WAREHOUSE``, else ``VOC_DATABASE_URL``, else the embedded ``voc``
database; it is migrated first. The pool ``voc_nlp`` gets ``VOC_NLP_POOL_SLOTS`` slots (default 2).

Sign in as ``voc`` with ``VOC_AIRFLOW_PASSWORD`` (else a password generated once and kept in
``<home>/passwords.json``). Every setting the processes share is written to ``<home>/airflow.env``, so
``set -a; . .voc/airflow/airflow.env; set +a`` gives a shell whose ``airflow`` commands see this Airflow.

Runs until Ctrl-C or SIGTERM, then stops every process it started; if one of them dies, it stops the
others and exits 1. Process ids are kept in ``<home>/pids.json`` while it runs.

    python scripts/airflow_local.py [--port 8080] [--home .voc/airflow] [--executor CeleryExecutor]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
USER = "voc"
EXECUTORS = ("LocalExecutor", "CeleryExecutor")


def log(message: str) -> None:
    print(f"airflow-local: {message}", flush=True)


def metadata_url() -> str:
    """SQLAlchemy URL of the metadata database (created on the embedded server when not given)."""
    configured = os.environ.get("VOC_AIRFLOW_DATABASE_URL", "").strip()
    if configured:
        return configured.replace("postgresql://", "postgresql+psycopg2://", 1)
    from voc.pipeline.db import embedded

    return embedded.server_url(database="airflow").render_as_string(hide_password=False)


def warehouse_dsn() -> str:
    """libpq URL of the warehouse, migrated to the current schema."""
    from voc.pipeline.db import get_engine, libpq_dsn, resolve_url
    from voc.pipeline.db.migrate import upgrade

    url = resolve_url(os.environ.get("AIRFLOW_CONN_VOC_WAREHOUSE", "").strip() or None)
    engine = get_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    return libpq_dsn(url)


def password(home: Path) -> Path:
    """Write the simple auth manager's password file for user ``voc``; return its path."""
    path = home / "passwords.json"
    known = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    value = os.environ.get("VOC_AIRFLOW_PASSWORD") or known.get(USER) or secrets.token_urlsafe(12)
    path.write_text(json.dumps({USER: value}) + "\n", encoding="utf-8")
    path.chmod(0o600)
    return path


def airflow_settings(args, home: Path) -> dict[str, str]:
    """The environment every Airflow process of this installation shares."""
    base_url = f"http://127.0.0.1:{args.port}"
    settings = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": args.executor,
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base_url}/execution/",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(password(home)),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url(),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(args.port),
        "AIRFLOW__API__BASE_URL": base_url,
        # One secret for every process: the scheduler signs the tokens the api-server checks.
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(64),
        "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(64),
        "AIRFLOW_CONN_VOC_WAREHOUSE": warehouse_dsn(),
    }
    if args.executor == "CeleryExecutor":
        broker = os.environ.get("AIRFLOW__CELERY__BROKER_URL", "redis://127.0.0.1:6379/0")
        settings["AIRFLOW__CELERY__BROKER_URL"] = broker
        settings["AIRFLOW__CELERY__RESULT_BACKEND"] = "db+" + settings["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].replace(
            "+psycopg2", "", 1)
    # Settings given by the caller win (e.g. a queue name, a faster scheduler loop in tests).
    settings.update({k: v for k, v in os.environ.items() if k.startswith("AIRFLOW__") and k not in (
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",)})
    return settings


def write_env_file(home: Path, settings: dict[str, str]) -> Path:
    path = home / "airflow.env"
    path.write_text("".join(f"{k}='{v}'\n" for k, v in sorted(settings.items())), encoding="utf-8")
    path.chmod(0o600)
    return path


class Processes:
    """The Airflow processes this script started, each in its own session so its whole tree can be stopped."""

    def __init__(self, home: Path, env: dict[str, str]):
        self.home, self.env, self.running = home, env, {}
        (home / "logs").mkdir(parents=True, exist_ok=True)

    def run(self, name: str, *command: str) -> None:
        """Run a one-off ``airflow`` command to completion; fail loudly with its log."""
        logfile = self.home / "logs" / f"{name}.log"
        with logfile.open("w") as out:
            proc = subprocess.run([sys.executable, "-m", "airflow", *command], env=self.env, stdout=out,
                                  stderr=subprocess.STDOUT, timeout=600)
        if proc.returncode:
            raise SystemExit(f"airflow {' '.join(command)} failed; see {logfile}:\n"
                             + logfile.read_text(errors="replace")[-3000:])

    def start(self, name: str, *command: str) -> None:
        logfile = (self.home / "logs" / f"{name}.log").open("a")
        self.running[name] = subprocess.Popen([sys.executable, "-m", "airflow", *command], env=self.env,
                                              stdout=logfile, stderr=subprocess.STDOUT, start_new_session=True)
        logfile.close()
        (self.home / "pids.json").write_text(json.dumps({n: p.pid for n, p in self.running.items()}))
        log(f"started {name} (pid {self.running[name].pid}, log {self.home / 'logs' / f'{name}.log'})")

    def dead(self) -> list[str]:
        return [name for name, proc in self.running.items() if proc.poll() is not None]

    def stop(self, grace: float = 20) -> None:
        for proc in self.running.values():
            _signal_group(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in self.running.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for proc in self.running.values():  # leftovers: stragglers of a tree whose leader already exited too
            _signal_group(proc.pid, signal.SIGKILL)
            proc.wait()
        (self.home / "pids.json").unlink(missing_ok=True)
        log("stopped every Airflow process")


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass


def health(base_url: str) -> dict:
    try:
        with urllib.request.urlopen(f"{base_url}/api/v2/monitor/health", timeout=5) as response:
            return json.load(response)
    except (urllib.error.URLError, OSError, ValueError):
        return {}


def api(base_url: str, method: str, path: str, body: dict, token: str | None = None) -> tuple[int, dict]:
    """Call the REST API; return (HTTP status, JSON body)."""
    request = urllib.request.Request(f"{base_url}{path}", method=method, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, {"detail": exc.read().decode(errors="replace")[:500]}


def ensure_pool(base_url: str, password_file: Path, slots: int) -> None:
    """Create the ``voc_nlp`` pool, or set its slots, through the REST API (cheaper than another CLI process)."""
    secret = json.loads(password_file.read_text(encoding="utf-8"))[USER]
    status, body = api(base_url, "POST", "/auth/token", {"username": USER, "password": secret})
    if status != 201:
        raise SystemExit(f"cannot sign in to {base_url} as {USER}: HTTP {status} {body}")
    token = body["access_token"]
    pool = {"slots": slots, "description": "NLP enrichment: caps how many taggers run at once"}
    status, body = api(base_url, "POST", "/api/v2/pools", {"name": "voc_nlp", **pool}, token)
    if status == 409:  # kept from an earlier start: set the slots asked for now
        status, body = api(base_url, "PATCH", "/api/v2/pools/voc_nlp", pool, token)
    if status not in (200, 201):
        raise SystemExit(f"cannot create the pool voc_nlp: HTTP {status} {body}")


def wait_until_healthy(processes: Processes, base_url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if dead := processes.dead():
            raise SystemExit(f"{', '.join(dead)} exited during start-up; see {processes.home / 'logs'}")
        status = health(base_url)
        parts = ("metadatabase", "scheduler", "dag_processor")
        if status and all((status.get(part) or {}).get("status") == "healthy" for part in parts):
            return
        time.sleep(1)
    raise SystemExit(f"Airflow was not healthy after {timeout:.0f}s; see {processes.home / 'logs'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=int(os.environ.get("VOC_AIRFLOW_PORT", 8080)))
    parser.add_argument("--home", type=Path, default=Path(os.environ.get("VOC_AIRFLOW_HOME", ".voc/airflow")),
                        help="AIRFLOW_HOME: logs, passwords, the env file (default .voc/airflow)")
    parser.add_argument("--executor", choices=EXECUTORS, default=os.environ.get("VOC_AIRFLOW_EXECUTOR",
                                                                                "LocalExecutor"))
    parser.add_argument("--celery-workers", type=int, default=1,
                        help="Celery workers to start with CeleryExecutor (0: start your own)")
    parser.add_argument("--triggerer", action="store_true", help="also start a triggerer (deferrable tasks)")
    parser.add_argument("--ready-file", type=Path, help="write the URL and credentials here once healthy")
    parser.add_argument("--startup-timeout", type=float, default=180)
    args = parser.parse_args(argv)

    home = args.home.expanduser().resolve()
    home.mkdir(parents=True, exist_ok=True)
    settings = airflow_settings(args, home)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")} | settings
    env_file = write_env_file(home, settings)
    processes = Processes(home, env)

    def request_stop(signum, _frame):
        raise KeyboardInterrupt(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        log(f"migrating the metadata database ({home / 'logs' / 'db-migrate.log'})")
        processes.run("db-migrate", "db", "migrate")
        processes.start("api-server", "api-server", "--port", str(args.port), "--host", "127.0.0.1")
        processes.start("scheduler", "scheduler")
        processes.start("dag-processor", "dag-processor")
        if args.triggerer:
            processes.start("triggerer", "triggerer")
        if args.executor == "CeleryExecutor":
            for n in range(args.celery_workers):
                processes.start(f"celery-worker-{n}", "celery", "worker", "--celery-hostname", f"voc-{n}@%h")
        base_url = settings["AIRFLOW__API__BASE_URL"]
        wait_until_healthy(processes, base_url, args.startup_timeout)
        slots = int(os.environ.get("VOC_NLP_POOL_SLOTS", "2"))
        ensure_pool(base_url, Path(settings["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]), slots)
        log(f"pool voc_nlp: {slots} slots")
        ready = {"url": base_url, "user": USER,
                 "password_file": settings["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"],
                 "env_file": str(env_file), "executor": args.executor,
                 "pids": {name: proc.pid for name, proc in processes.running.items()}}
        if args.ready_file:
            args.ready_file.write_text(json.dumps(ready), encoding="utf-8")
        log(f"ready: {ready['url']} (user {USER}, password in {ready['password_file']}); Ctrl-C stops it")
        while not (dead := processes.dead()):
            time.sleep(1)
        log(f"{', '.join(dead)} exited; stopping the others (logs in {home / 'logs'})")
        return 1
    except KeyboardInterrupt:
        log("stopping")
        return 0
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second signal must not cut the clean-up short
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        processes.stop()


if __name__ == "__main__":
    sys.exit(main())

"""CPU time of a PostgreSQL server: the scripts in this folder split a load's cost into ours and the server's."""

from __future__ import annotations


def postmaster_of(engine) -> int:
    """The process id of the server ``engine`` connects to (the parent of its backend)."""
    import psutil

    with engine.connect() as conn:
        return psutil.Process(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()).ppid()


def server_cpu(postmaster: int) -> float:
    """CPU seconds of the server's postmaster and all its children so far, those that exited included."""
    import psutil

    root = psutil.Process(postmaster)
    reaped = root.cpu_times()
    total = reaped.children_user + reaped.children_system  # backends of closed connections (the gate's)
    for proc in [root, *root.children(recursive=True)]:
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total

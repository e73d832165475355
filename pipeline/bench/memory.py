"""Peak memory of the benchmark: resident memory of this process tree, and of the PostgreSQL server apart.

A background thread samples every ``interval`` seconds; ``phase(name)`` starts a new window, so every
stage has its own peak while the run keeps the overall one. PostgreSQL runs outside our process tree
(the embedded server is a daemon); its backends share their buffers, so it is measured as the sum of
their proportional set sizes (PSS), which counts shared pages once, not as a sum of RSS.
"""

from __future__ import annotations

import os
import threading

import psutil


def tree_rss(root: psutil.Process) -> int:
    """Resident bytes of ``root`` and every descendant (processes that exit meanwhile are skipped)."""
    total = 0
    for proc in [root, *root.children(recursive=True)]:
        try:
            total += proc.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total


def postgres_pss(pid: int | None) -> int | None:
    """Proportional set size of a PostgreSQL postmaster and its backends, or None when unknown."""
    if not pid:
        return None
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None
    total = 0
    for proc in procs:
        try:
            total += proc.memory_full_info().pss
        except (psutil.NoSuchProcess, psutil.AccessDenied, AttributeError):
            pass
    return total or None


class PeakSampler:
    """Sample memory in a thread; read ``peaks`` (per phase) and ``peak`` (whole run) afterwards."""

    def __init__(self, *, interval: float = 0.25, postgres_pid: int | None = None) -> None:
        self.root = psutil.Process(os.getpid())
        self.interval = interval
        self.postgres_pid = postgres_pid
        self.peaks: dict[str, dict[str, int | None]] = {}
        self._phase = "setup"
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="voc-bench-memory", daemon=True)
        self._ticks = 0

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def phase(self, name: str) -> None:
        """Start a new window; samples from now on count towards ``name``."""
        self.sample()
        with self._lock:
            self._phase = name

    def sample(self) -> None:
        rss = tree_rss(self.root)
        # PSS reads /proc/<pid>/smaps of every backend: cheap enough once a second, not four times
        pss = postgres_pss(self.postgres_pid) if self._ticks % 4 == 0 else None
        self._ticks += 1
        with self._lock:
            peak = self.peaks.setdefault(self._phase, {"rss_bytes": 0, "postgres_pss_bytes": None})
            peak["rss_bytes"] = max(peak["rss_bytes"] or 0, rss)
            if pss is not None:
                peak["postgres_pss_bytes"] = max(peak["postgres_pss_bytes"] or 0, pss)

    def peak(self, phases: list[str] | None = None, key: str = "rss_bytes") -> int | None:
        """The highest sample over ``phases`` (default: all)."""
        values = [p[key] for name, p in self.peaks.items() if (phases is None or name in phases) and p[key]]
        return max(values) if values else None

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

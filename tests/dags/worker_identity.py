"""``[core] hostname_callable`` for the Celery worker the scale-out test starts.

Task instances record the hostname their task ran on; every process here runs on one machine, so the
worker names itself (``VOC_TEST_WORKER_NAME``) and a task instance carrying that name ran on that worker.
"""

from __future__ import annotations

import os
import socket


def hostname() -> str:
    return os.environ.get("VOC_TEST_WORKER_NAME") or socket.getfqdn()

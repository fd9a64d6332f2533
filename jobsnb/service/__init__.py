"""The local AWS IoT Jobs service: AWS's wire protocol for both planes, on one port.

Start it with ``jobsnb serve`` or, from Python, as a context manager:

>>> from jobsnb.service import LocalJobsService
>>> with LocalJobsService() as service:
...     service.url.startswith("http://127.0.0.1:")
True
"""

from __future__ import annotations

from jobsnb.service.backend import JobsBackend
from jobsnb.service.clock import Clock, ManualClock, SystemClock
from jobsnb.service.server import LocalJobsService

__all__ = ["Clock", "JobsBackend", "LocalJobsService", "ManualClock", "SystemClock"]

"""jobsnb: AWS IoT Jobs fleets in JupyterLab.

>>> import jobsnb
>>> from jobsnb.service import LocalJobsService
>>> with LocalJobsService() as service:
...     client = jobsnb.connect(service.url)
...     client.pending(["sensor-1"], progress=False).shape[0]
0
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from jobsnb._version import __version__
from jobsnb.exceptions import (
    FanoutError,
    InvalidParameterError,
    JobsnbError,
    JobsnbWarning,
    ServiceStartError,
)

if TYPE_CHECKING:
    from jobsnb.client import FleetClient, connect
    from jobsnb.fanout import RequestBudget, RetryPolicy

__all__ = [
    "FanoutError",
    "FleetClient",
    "InvalidParameterError",
    "JobsnbError",
    "JobsnbWarning",
    "RequestBudget",
    "RetryPolicy",
    "ServiceStartError",
    "__version__",
    "connect",
]

# Imported on first use, so `jobsnb serve` and `import jobsnb.service` stay free of pandas.
_LAZY = {
    "FleetClient": "jobsnb.client",
    "connect": "jobsnb.client",
    "RequestBudget": "jobsnb.fanout",
    "RetryPolicy": "jobsnb.fanout",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'jobsnb' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)

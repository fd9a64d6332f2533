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
    FanoutInterrupted,
    InvalidParameterError,
    JobsnbError,
    JobsnbWarning,
    ServiceStartError,
)

if TYPE_CHECKING:
    from jobsnb.client import FleetClient, connect
    from jobsnb.client.fanout import RequestBudget, RetryPolicy
    from jobsnb.simulation.sandbox import Sandbox, sandbox

__all__ = [
    "FanoutError",
    "FanoutInterrupted",
    "FleetClient",
    "InvalidParameterError",
    "JobsnbError",
    "JobsnbWarning",
    "RequestBudget",
    "RetryPolicy",
    "Sandbox",
    "ServiceStartError",
    "__version__",
    "charts",
    "connect",
    "sandbox",
    "widgets",
]

# Imported on first use, so `jobsnb serve` and `import jobsnb.service` stay free of pandas.
_SUBMODULES = ("charts", "widgets", "history", "frames", "schema")
_LAZY = {
    "FleetClient": "jobsnb.client",
    "connect": "jobsnb.client",
    "RequestBudget": "jobsnb.client.fanout",
    "RetryPolicy": "jobsnb.client.fanout",
    # Inside `jobsnb.simulation`: a submodule named `jobsnb.sandbox` would rebind the attribute
    # `jobsnb.sandbox` from the function to the module when imported.
    "sandbox": "jobsnb.simulation.sandbox",
    "Sandbox": "jobsnb.simulation.sandbox",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    if name in _SUBMODULES:
        return import_module(f"jobsnb.{name}")
    raise AttributeError(f"module 'jobsnb' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)

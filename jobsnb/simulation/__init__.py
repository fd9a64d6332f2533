"""The simulated fleet: devices and an operator that are clients of the local service.

Nothing here reaches into the service's state. The devices talk to it over the data plane and
the operator over the control plane, through boto3 and HTTP, like real device code and a real
operator, and the devices learn of their jobs from ``jobs/notify-next`` over MQTT
(:mod:`~jobsnb.simulation.notices`) and receive and answer their commands over MQTT
(:mod:`~jobsnb.simulation.answers`); besides these the scheduler uses only the service's clock
and the backend's public views.

* :mod:`~jobsnb.simulation.plan`: everything a seed decides, with no service in sight, drawn
  from the distributions of :mod:`~jobsnb.simulation.config` and the job catalogue of
  :mod:`~jobsnb.simulation.jobs`;
* :mod:`~jobsnb.simulation.devices`: what a device does with an execution, one data-plane call
  at a time through :mod:`~jobsnb.simulation.wire`;
* :mod:`~jobsnb.simulation.operator`: the control-plane calls that build and change the fleet;
* :mod:`~jobsnb.simulation.scheduler`: :class:`Fleet`, the timed actions on the service clock;
* :mod:`~jobsnb.simulation.sandbox`: the service and a running fleet in one call. Its function
  is ``jobsnb.sandbox()``; ``jobsnb.simulation.sandbox`` is the module.

Examples
--------
>>> from jobsnb.simulation import plan_fleet
>>> plan = plan_fleet(10, seed=1)
>>> len(plan.initial_devices()), plan.jobs[0].operation
(10, 'firmware_update')
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jobsnb.simulation.config import FleetConfig, HardwareModel
    from jobsnb.simulation.jobs import PlannedJob
    from jobsnb.simulation.operator import FleetOperator
    from jobsnb.simulation.plan import Device, FleetEvent, FleetPlan, plan_fleet
    from jobsnb.simulation.sandbox import Sandbox, parse_duration
    from jobsnb.simulation.scheduler import Fleet

__all__ = [
    "Device",
    "Fleet",
    "FleetConfig",
    "FleetEvent",
    "FleetOperator",
    "FleetPlan",
    "HardwareModel",
    "PlannedJob",
    "Sandbox",
    "parse_duration",
    "plan_fleet",
]

# Imported on first use: the operator's worker processes (`python -m jobsnb.simulation.operator`)
# import this package first, and need neither the service nor the scheduler.
_LAZY = {
    "Device": "jobsnb.simulation.plan",
    "Fleet": "jobsnb.simulation.scheduler",
    "FleetConfig": "jobsnb.simulation.config",
    "FleetEvent": "jobsnb.simulation.plan",
    "FleetOperator": "jobsnb.simulation.operator",
    "FleetPlan": "jobsnb.simulation.plan",
    "HardwareModel": "jobsnb.simulation.config",
    "PlannedJob": "jobsnb.simulation.jobs",
    "Sandbox": "jobsnb.simulation.sandbox",
    "parse_duration": "jobsnb.simulation.sandbox",
    "plan_fleet": "jobsnb.simulation.plan",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'jobsnb.simulation' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)

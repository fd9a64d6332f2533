"""The distributions a simulated fleet draws from: hardware models, regions and behaviour rates.

Checked when built, so a bad rate fails at once with the field's name, not halfway through a
rollout. :func:`~jobsnb.simulation.plan.plan_fleet` draws a fleet from a :class:`FleetConfig`.

Examples
--------
>>> config = FleetConfig(models=(HardwareModel("pump-p1", failure_rate=0.2),), regions=("lab",))
>>> config.models[0].name, config.regions
('pump-p1', ('lab',))
"""

from __future__ import annotations

from dataclasses import dataclass

from jobsnb.exceptions import InvalidParameterError

__all__ = [
    "DEFAULT_MODELS",
    "DEFAULT_REGIONS",
    "FleetConfig",
    "HardwareModel",
    "model_group",
    "region_group",
]


_COMMAND_RATES = (
    "command_failure_rate",
    "command_rejection_rate",
    "command_silence_rate",
    "command_late_rate",
)


def _check_probability(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise InvalidParameterError(name, "must be between 0 and 1", value)


def _check_positive(name: str, value: float) -> None:
    if not value > 0:
        raise InvalidParameterError(name, "must be > 0", value)


@dataclass(frozen=True, slots=True)
class HardwareModel:
    """How devices of one hardware model behave when they run jobs.

    Parameters
    ----------
    name
        The model's name: its devices' ``model`` attribute and the ``model-<name>`` group.
    share
        The model's relative weight in the fleet (> 0).
    failure_rate, rejection_rate, silence_rate
        Probabilities per job execution that a device fails it, rejects it, or goes silent and
        lets the service time it out; together at most 1.
    speed
        Multiplies every job's duration (2.0: twice as slow).
    firmware
        The firmware version devices start with.

    Raises
    ------
    InvalidParameterError
        A rate outside 0 to 1, rates summing past 1, or a share or speed that is not > 0.

    Examples
    --------
    >>> HardwareModel("gw300", failure_rate=0.1, speed=0.5).rejection_rate
    0.02
    >>> try:
    ...     HardwareModel("gw300", failure_rate=1.5)
    ... except InvalidParameterError as error:
    ...     print(error.field)
    HardwareModel.failure_rate
    """

    name: str
    share: float = 1.0
    failure_rate: float = 0.05
    rejection_rate: float = 0.02
    silence_rate: float = 0.02
    speed: float = 1.0
    firmware: str = "1.0.0"

    def __post_init__(self) -> None:
        for rate in ("failure_rate", "rejection_rate", "silence_rate"):
            _check_probability(f"HardwareModel.{rate}", getattr(self, rate))
        if self.failure_rate + self.rejection_rate + self.silence_rate > 1:
            raise InvalidParameterError(
                "HardwareModel", "failure, rejection and silence rates must sum to <= 1", self
            )
        _check_positive("HardwareModel.share", self.share)
        _check_positive("HardwareModel.speed", self.speed)


DEFAULT_MODELS = (
    HardwareModel("gw200", 0.40, 0.04, 0.01, 0.02, 1.0, "2.3.1"),
    HardwareModel("gw100", 0.25, 0.10, 0.03, 0.05, 1.8, "1.9.4"),
    HardwareModel("sensor-s3", 0.25, 0.06, 0.05, 0.04, 0.6, "4.0.2"),
    HardwareModel("cam-c1", 0.10, 0.12, 0.02, 0.03, 1.3, "0.8.0"),
)
#: Where the simulated devices are (their ``region`` attribute and ``region-<name>`` group);
#: not the service's region, which is ``jobsnb.limits.DEFAULT_REGION`` whatever the devices say.
DEFAULT_REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")


@dataclass(frozen=True, slots=True)
class FleetConfig:
    """The distributions a simulated fleet draws from.

    Parameters
    ----------
    models, regions
        Hardware models (with their behaviour) and regions; each gets a thing group.
    flaky_share, flaky_failure_rate
        The share of devices that are flaky, and how often a flaky device fails a first attempt
        (retries then usually succeed, so retry configs bring back executionNumber 2).
    start_delay_seconds
        Median delay from a job reaching a device to the device calling StartNext (log-normal).
    rollout_minutes
        Roughly how long each job's rollout takes: rates are set so the targets are released
        over this many minutes (at most 1000 per minute, AWS's ceiling).
    offline_minutes
        Median time a device that went silent stays away before it asks for work again.
    enroll_share, regroup_share
        Shares of the fleet that enrol later (picked up by the CONTINUOUS job) and that the
        operator moves out of their region group mid-rollout (their executions become REMOVED).
    command_share
        The share of the fleet each of the operator's command runs targets (1 to 100 devices).
    command_failure_rate, command_rejection_rate, command_silence_rate, command_late_rate
        Probabilities per command execution that the device answers FAILED, REJECTED, not at
        all (the cloud times it out) or SUCCEEDED only after the cloud's TIMED_OUT; together at
        most 1. The rest succeed in time.
    step_seconds
        The devices' resolution in simulated time: every device action due within a step is
        taken at its end, the calls of the step sent together (pipelined on one connection).
        Small next to the devices' own delays (``start_delay_seconds``), it makes a 100,000-device
        rollout ~10x fewer round trips to the service than a 1-second step; the service's timers
        and rollout releases keep their exact times.

    Raises
    ------
    InvalidParameterError
        No models, duplicate model names or regions, a share outside 0 to 1, or a time that is
        not > 0.

    Examples
    --------
    >>> FleetConfig(flaky_share=0.5, rollout_minutes=10).regions
    ('us-east-1', 'eu-west-1', 'ap-southeast-2')
    >>> try:
    ...     FleetConfig(regions=("lab", "lab"))
    ... except InvalidParameterError as error:
    ...     print(error)
    regions: must list one or more distinct regions (got ('lab', 'lab'))
    """

    models: tuple[HardwareModel, ...] = DEFAULT_MODELS
    regions: tuple[str, ...] = DEFAULT_REGIONS
    flaky_share: float = 0.06
    flaky_failure_rate: float = 0.7
    start_delay_seconds: float = 45.0
    rollout_minutes: float = 40.0
    offline_minutes: float = 90.0
    enroll_share: float = 0.03
    regroup_share: float = 0.02
    step_seconds: float = 10.0
    command_share: float = 0.03
    command_failure_rate: float = 0.06
    command_rejection_rate: float = 0.03
    command_silence_rate: float = 0.1
    command_late_rate: float = 0.04

    def __post_init__(self) -> None:
        if not self.models:
            raise InvalidParameterError("models", "must list at least one HardwareModel", ())
        if len({model.name for model in self.models}) != len(self.models):
            raise InvalidParameterError("models", "names must be unique", self.models)
        if not self.regions or len(set(self.regions)) != len(self.regions):
            raise InvalidParameterError(
                "regions", "must list one or more distinct regions", self.regions
            )
        for name in ("flaky_share", "flaky_failure_rate", "enroll_share", "regroup_share",
                     "command_share", *_COMMAND_RATES):  # fmt: skip
            _check_probability(name, getattr(self, name))
        if sum(getattr(self, name) for name in _COMMAND_RATES) > 1:
            raise InvalidParameterError(
                "FleetConfig", "the command failure, rejection, silence and late rates must "
                "sum to <= 1", self,
            )  # fmt: skip
        for name in ("start_delay_seconds", "rollout_minutes", "offline_minutes", "step_seconds"):
            _check_positive(name, getattr(self, name))


def region_group(region: str) -> str:
    """The thing group of a region's devices.

    Parameters
    ----------
    region
        A region of :attr:`FleetConfig.regions`.

    Returns
    -------
    str
        The group's name.

    Examples
    --------
    >>> region_group("eu-west-1")
    'region-eu-west-1'
    """
    return f"region-{region}"


def model_group(model: str) -> str:
    """The thing group of a hardware model's devices.

    Parameters
    ----------
    model
        A :attr:`HardwareModel.name`.

    Returns
    -------
    str
        The group's name.

    Examples
    --------
    >>> model_group("gw200")
    'model-gw200'
    """
    return f"model-{model}"

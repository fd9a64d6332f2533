"""A living sandbox fleet: the local service, populated and run by simulated devices.

One call gives a notebook a fleet in the middle of a rollout, with no AWS account:

>>> import jobsnb
>>> with jobsnb.sandbox(things=60, seed=1, warm_up="30min") as sb:
...     _ = sb.advance("2h")                    # two hours of rollout, in well under a second
...     sorted(sb.status_counts())[:2]
['CANCELED', 'FAILED']

:func:`sandbox` starts a :class:`~jobsnb.service.LocalJobsService` on a manual clock, bulk-loads
the fleet through its backend (things with ``model``/``region``/``firmware_version`` attributes,
a group per region and per hardware model) and runs the seeded plan of
:mod:`jobsnb.simulation.plan`: firmware updates with rollout rates, timeouts and retries, a
CONTINUOUS certificate rotation, a reboot, a risky config push with an abort config, and a hotfix
the operator cancels, creating the jobs over HTTP. Devices act only through the data plane, over
HTTP (:mod:`jobsnb.simulation.scheduler`), and learn of new jobs from ``jobs/notify-next`` on
the service's MQTT endpoint, as devices do from AWS IoT: 100,000 of them roll the whole plan out
in about a minute (``benchmarks/sandbox.py``). The command registry holds ``reboot`` and
``collect-logs`` (:mod:`jobsnb.simulation.commands`), which the operator runs on a few devices
20 to 90 minutes in; the devices answer them, and any command started on them, after seeded
delays.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from jobsnb.exceptions import InvalidParameterError
from jobsnb.service import LocalJobsService, ManualClock
from jobsnb.simulation.config import DEFAULT_MODELS, DEFAULT_REGIONS, FleetConfig, HardwareModel
from jobsnb.simulation.jobs import PlannedJob
from jobsnb.simulation.plan import ENROL_MINUTES, plan_fleet
from jobsnb.simulation.scheduler import Fleet

__all__ = [
    "DEFAULT_MODELS",
    "DEFAULT_REGIONS",
    "FleetConfig",
    "HardwareModel",
    "PlannedJob",
    "Sandbox",
    "parse_duration",
    "sandbox",
]

Duration = str | float | int | timedelta
#: Where simulated time starts unless told otherwise: fixed, so a seed gives the same history.
DEFAULT_START = datetime(2024, 6, 3, 8, 0, tzinfo=UTC)
_UNITS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "min": 60.0, "s": 1.0, "sec": 1.0}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*(d|h|min|m|sec|s)")


def parse_duration(value: Duration, field: str = "duration") -> float:
    """Seconds in ``value``: a number of seconds, a timedelta or text such as ``"1h30m"``.

    Parameters
    ----------
    value
        Seconds (int, float or digits as text), a timedelta, or numbers with units ``d``, ``h``,
        ``m``/``min`` and ``s``/``sec``, e.g. ``"1d"``, ``"1h30min"``, ``"90s"``.
    field
        The argument's name, for the error message.

    Returns
    -------
    float
        Seconds, finite and >= 0.

    Raises
    ------
    InvalidParameterError
        ``value`` is not a duration, or negative or infinite; the error names ``field``.

    Examples
    --------
    >>> parse_duration("2h"), parse_duration("1h30min"), parse_duration(90), parse_duration("0")
    (7200.0, 5400.0, 90.0, 0.0)
    """
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and value.strip().replace(".", "", 1).isdigit():
        seconds = float(value)  # plain seconds as text, e.g. "0" or "90"
    elif isinstance(value, str):
        text = value.strip().lower().replace(" ", "")
        parts = _PART.findall(text)
        if not parts or "".join(number + unit for number, unit in parts) != text:
            raise InvalidParameterError(
                field, "must be seconds, a timedelta or text like '90s', '15min', '2h', '1d'", value
            )
        seconds = sum(float(number) * _UNITS[unit] for number, unit in parts)
    else:
        raise InvalidParameterError(field, "must be seconds, a timedelta or text like '2h'", value)
    if not seconds >= 0 or seconds == float("inf"):
        raise InvalidParameterError(field, "must be a finite duration >= 0", value)
    return seconds


class Sandbox:
    """A running local service with a simulated fleet; close it (or use ``with``) to stop both.

    Made by :func:`sandbox`, which starts the service and populates the fleet first.

    Parameters
    ----------
    service
        The :class:`~jobsnb.service.LocalJobsService` (``request_counts``, ``backend``, ...).
    fleet
        The :class:`~jobsnb.simulation.scheduler.Fleet` driving the devices.

    Attributes
    ----------
    seed, plan
        The seed and the plan it gave.

    Examples
    --------
    >>> import jobsnb
    >>> with jobsnb.sandbox(things=20, seed=4, warm_up=0) as sb:
    ...     before = sb.status_counts()
    ...     _ = sb.advance("30min")
    ...     len(sb.things), before, sb.status_counts()["SUCCEEDED"] > 0, str(sb.elapsed)
    (20, {'QUEUED': 1}, True, '0:30:00')
    """

    def __init__(self, service: LocalJobsService, fleet: Fleet) -> None:
        self.service = service
        self.fleet = fleet
        self.plan = fleet.plan
        self.seed = fleet.plan.seed

    # ----------------------------------------------------------------- what is there
    @property
    def url(self) -> str:
        """The service's URL: both planes (``jobsnb.connect(sandbox)`` works too)."""
        return self.service.url

    @property
    def endpoint_url(self) -> str:
        """The service's URL, under boto3's name for it."""
        return self.service.url

    @property
    def things(self) -> list[str]:
        """Names of the devices enrolled so far: those asked for, then any that enrolled later.

        ``sandbox(things=300)`` has exactly 300 until an hour of simulated time has passed;
        then the few devices of :attr:`to_enrol` join, one by one (see :func:`sandbox`).
        """
        return self.fleet.enrolled

    @property
    def to_enrol(self) -> int:
        """How many planned devices have not enrolled yet (they join after an hour)."""
        return len(self.plan.devices) - len(self.fleet.enrolled)

    @property
    def groups(self) -> dict[str, list[str]]:
        """Each thing group and its current members, in the order they joined, from the service."""
        return self.service.backend.group_members()

    @property
    def jobs(self) -> list[PlannedJob]:
        """The jobs of the plan (each with ``job_id`` and ``launch_after`` seconds)."""
        return list(self.plan.jobs)

    @property
    def now(self) -> datetime:
        """The service clock, as a UTC datetime."""
        return datetime.fromtimestamp(self.service.clock.now(), UTC)

    @property
    def elapsed(self) -> timedelta:
        """Simulated time since the fleet started."""
        return timedelta(seconds=self.service.clock.now() - self.fleet.start)

    @property
    def running(self) -> bool:
        """True while a live run (:meth:`run`) advances the clock in the background."""
        return self.fleet.running

    def status_counts(self) -> dict[str, int]:
        """Executions per status over every job.

        Returns
        -------
        dict of str to int
            Attempts per status, as AWS's job counters count them (a retried thing counts once
            per attempt); statuses with none are left out.
        """
        return self.service.backend.status_counts()

    def command_status_counts(self) -> dict[str, int]:
        """Command executions per status (``reboot``, ``collect-logs`` and any you started).

        Returns
        -------
        dict of str to int
            Executions per status; statuses with none are left out.
        """
        return self.service.backend.command_status_counts()

    # ----------------------------------------------------------------- time
    def advance(self, duration: Duration) -> Sandbox:
        """Run ``duration`` of rollout on the service clock.

        Parameters
        ----------
        duration
            ``"2h"``, ``"15min"``, seconds or a timedelta (:func:`parse_duration`).

        Returns
        -------
        Sandbox
            Itself, so a notebook cell ``sb.advance("1h")`` shows what changed.
        """
        self.fleet.advance(parse_duration(duration))
        return self

    def advance_until_settled(self, limit: Duration = "2d", step: Duration = "10min") -> Sandbox:
        """Advance in ``step``s until every job is done as far as the plan goes, or ``limit``.

        Parameters
        ----------
        limit
            The most simulated time to run.
        step
            Simulated time between two checks (> 0).

        Returns
        -------
        Sandbox
            Itself.
        """
        deadline = self.service.clock.now() + parse_duration(limit, "limit")
        chunk = parse_duration(step, "step")
        if chunk <= 0:
            raise InvalidParameterError("step", "must be > 0", step)
        while not self.fleet.settled() and self.service.clock.now() < deadline:
            self.fleet.advance_to(min(deadline, self.service.clock.now() + chunk))
        return self

    def run(self, speed: float = 60.0, interval: float = 0.1) -> Sandbox:
        """Run live in the background; :meth:`stop` (or :meth:`close`) ends it.

        Parameters
        ----------
        speed
            Simulated seconds per real second (60: a minute per second).
        interval
            Real seconds between two advances of the clock.

        Returns
        -------
        Sandbox
            Itself.
        """
        self.fleet.run(speed, interval)
        return self

    def stop(self) -> None:
        """Stop a live run; the clock stays where it got to."""
        self.fleet.pause()

    pause = stop

    def close(self) -> None:
        """Stop the live run, the devices and the service."""
        self.fleet.close()
        self.service.stop()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[str]:
        return iter(self.things)

    def __repr__(self) -> str:
        try:
            url = self.service.url
        except Exception:
            return f"<Sandbox seed={self.seed} closed>"
        backend = self.service.backend
        counts = ", ".join(f"{status} {count}" for status, count in self.status_counts().items())
        asked = len(self.plan.initial_devices())
        joined, later = len(self.things) - asked, self.to_enrol
        things = f"{asked} things" + (f" + {joined} enrolled later" if joined else "")
        if later:
            things += f" ({later} more to enrol from {ENROL_MINUTES[0]:.0f} min on)"
        mqtt = self.service.mqtt
        if mqtt is not None:  # where device code under test joins the fleet
            host = self.service.url.split("//", 1)[1].rsplit(":", 1)[0]
            url += f" (MQTT mqtt://{host}:{mqtt.port})"
        return (
            f"<Sandbox {url} seed={self.seed}: {things}, "
            f"{len(backend.group_names())} groups, {len(backend.job_ids())} of "
            f"{len(self.plan.jobs)} jobs launched; {self.now:%Y-%m-%d %H:%M} UTC "
            f"(+{self.elapsed}){' live' if self.running else ''}; executions: {counts or 'none'}>"
        )


def sandbox(
    things: int = 300,
    *,
    seed: int = 0,
    config: FleetConfig | None = None,
    warm_up: Duration = "45min",
    start: datetime | float | None = None,
    port: int = 0,
    latency_ms: float = 0.0,
    **service_options: Any,
) -> Sandbox:
    """Start the local service with a simulated fleet, populated and mid-rollout.

    Parameters
    ----------
    things
        Devices in the fleet (1 to 100,000): ``len(sb.things)`` is exactly this at the start and
        for the first simulated hour. Then, to show the CONTINUOUS job picking up new devices,
        a few more enrol (``config.enroll_share``: 3%, at least one; ``sb.to_enrol`` says how
        many are still to come, and the repr shows both); ``FleetConfig(enroll_share=0)`` for
        none.
    seed
        Same seed, same fleet and same history (thing names, attributes, jobs and the final
        status, details and version of every execution).
    config
        The behaviour distributions (:class:`FleetConfig`); the defaults are a plausible fleet.
    warm_up
        Simulated time run before returning, so the fleet is already mid-rollout (0: none).
    start
        Simulated start time (datetime or epoch seconds); fixed by default for reproducibility.
    port, latency_ms, service_options
        Passed to :class:`~jobsnb.service.LocalJobsService`. Its MQTT endpoint runs on a free
        port (``sb.service.mqtt.port``; no TLS listener unless ``mqtt_tls_port`` says so): the
        devices learn of their jobs from ``jobs/notify-next`` there, and so can yours.

    Returns
    -------
    Sandbox
        With ``url``, ``things``, ``groups``, ``jobs``, ``advance()``, ``run()``, ``close()``.

    Examples
    --------
    >>> import jobsnb
    >>> with jobsnb.sandbox(things=40, seed=2) as sb:  # 45 simulated minutes in
    ...     print(len(sb.things), sb.to_enrol, repr(sb).split(": ")[1].split(",")[0])
    ...     _ = sb.advance("1h")
    ...     print(len(sb.things), sb.to_enrol, repr(sb).split(": ")[1].split(",")[0])
    40 1 40 things (1 more to enrol from 60 min on)
    41 0 40 things + 1 enrolled later
    >>> import boto3
    >>> with jobsnb.sandbox(things=40, seed=2, warm_up="1h") as sb:
    ...     iot = boto3.client("iot", endpoint_url=sb.url, region_name="us-east-1",
    ...                        aws_access_key_id="x", aws_secret_access_key="x")
    ...     len(iot.list_things(maxResults=100)["things"]) >= 40
    True
    """
    plan = plan_fleet(things, seed, config)
    warm = parse_duration(warm_up, "warm_up")
    if isinstance(start, datetime):
        if start.tzinfo is None:
            raise InvalidParameterError("start", "must be timezone-aware (e.g. UTC)", start)
        epoch = start.timestamp()
    elif start is None:
        epoch = DEFAULT_START.timestamp()
    elif isinstance(start, int | float) and not isinstance(start, bool):
        epoch = float(start)
    else:
        raise InvalidParameterError("start", "must be a datetime or epoch seconds", start)
    service_options.setdefault("mqtt", True)
    service_options.setdefault("mqtt_tls_port", None)
    service = LocalJobsService(
        port=port, latency_ms=latency_ms, clock=ManualClock(epoch), **service_options
    )
    service.start()
    fleet: Fleet | None = None
    try:
        fleet = Fleet(service, plan)
        fleet.populate()
        fleet.advance(warm)
    except BaseException:
        if fleet is not None:
            fleet.close()
        service.stop()
        raise
    return Sandbox(service, fleet)

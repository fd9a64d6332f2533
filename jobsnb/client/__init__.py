"""The fleet client: IoT Jobs across many things at once, as DataFrames.

:func:`connect` makes a :class:`FleetClient`, a facade composed of the package's parts::

    _boto.py          the one place sessions and boto3 clients are made
    fanout.py         pool, request budget, retries, progress: every item → one row or one error
    _calls.py         what the parts share (clients, budgets, pool) and how errors are reported
    breaker.py        the circuit breaker: a dead endpoint fails a fan-out in seconds
    retries.py        one call retried: what is worth another try, how long to wait
    progress.py       a fan-out's progress: a bar (HTML in a notebook, text elsewhere) or a callback
    data_plane.py     pending, describe
    writes.py         start_next, update
    reconcile.py      an update whose answer was lost is looked up before it is sent again
    conflicts.py      which refused updates were conflicts, and their current state
    control_plane.py  executions, job_summary, paging
    listings.py       things, groups, jobs: the names the account lists
    registry.py       thing_attributes; which asked-for things the account does not know
    commands.py       start_command (StartCommandExecution, a clientToken per thing), commands
    command_executions.py  command_executions (GetCommandExecution, ListCommandExecutions)
    _arguments.py     every argument checked before any call
    _command_arguments.py  StartCommandExecution's parameters, checked and typed

Each operation is implemented and documented once, in its part; the facade's methods are those
methods, called on the part.

>>> import jobsnb
>>> from jobsnb.service import LocalJobsService
>>> with LocalJobsService() as service:
...     client = jobsnb.connect(service.url)
...     client.pending(["sensor-1", "sensor-2"], progress=False).empty
True
"""

from __future__ import annotations

import threading
from os import PathLike
from typing import Any

import pandas as pd

from jobsnb.client import _arguments as arguments
from jobsnb.client._arguments import OnError, Things
from jobsnb.client._boto import (
    check_endpoint_url,
    is_local_endpoint,
    make_plane_clients,
    make_session,
)
from jobsnb.client._calls import Calls, delegate
from jobsnb.client.breaker import CircuitBreaker
from jobsnb.client.command_executions import CommandExecutions
from jobsnb.client.commands import Commands
from jobsnb.client.control_plane import ControlPlane
from jobsnb.client.data_plane import DataPlane
from jobsnb.client.fanout import RequestBudget, RetryPolicy
from jobsnb.client.listings import Listings
from jobsnb.client.progress import Progress
from jobsnb.client.registry import Registry
from jobsnb.client.writes import Writes
from jobsnb.exceptions import InvalidParameterError
from jobsnb.history import to_history
from jobsnb.limits import (
    DEFAULT_CONTROL_PER_SECOND,
    DEFAULT_READS_PER_SECOND,
    DEFAULT_WRITES_PER_SECOND,
)

__all__ = ["FleetClient", "connect"]


def connect(
    endpoint_url: str | Any | None = None,
    *,
    profile_name: str | None = None,
    region_name: str | None = None,
    boto3_session: Any | None = None,
    control_endpoint_url: str | None = None,
    reads_per_second: float = DEFAULT_READS_PER_SECOND,
    writes_per_second: float = DEFAULT_WRITES_PER_SECOND,
    control_per_second: float = DEFAULT_CONTROL_PER_SECOND,
    workers: int = 16,
    retry: RetryPolicy | None = None,
) -> FleetClient:
    """Connect to the IoT Jobs data and control planes of an AWS account, or to the local service.

    Parameters
    ----------
    endpoint_url
        The data-plane endpoint, an ``http://`` or ``https://`` URL. For the local service its
        URL (or anything with a ``url`` attribute: the service or sandbox object), which serves
        both planes. Against AWS leave it out: the account's ``iot:Jobs`` endpoint is found
        with DescribeEndpoint, or its ``iot:Data-ATS`` one where the account refuses that type
        (``client.endpoint_url`` says which).
    profile_name, region_name, boto3_session
        Which AWS credentials and region to use (default: boto3's default chain). The region is
        ``region_name``, else the session's (``AWS_DEFAULT_REGION`` or the profile's
        ``region``), else ``AWS_REGION``.
    control_endpoint_url
        The control-plane endpoint, when it is not AWS's default for the region (default: the
        same as ``endpoint_url`` for the local service).
    reads_per_second, writes_per_second, control_per_second
        Request budgets shared by all calls of this client: data-plane reads (pending,
        describe), writes (start next, update, start command), control-plane calls (command
        executions too); AWS's quotas by default.
    workers
        Threads making calls at once; the connection pool is sized to match.
    retry
        Back-off for throttling, 5xx and connection errors (default: up to 10 attempts). After
        :data:`~jobsnb.limits.BREAKER_FAILURES` connection failures in a row the client's
        circuit breaker ends the remaining calls at once as ``EndpointUnreachable`` rows, for
        :data:`~jobsnb.limits.BREAKER_COOLDOWN_SECONDS` (see :mod:`jobsnb.client.breaker`).

    Returns
    -------
    FleetClient
        A client sharing one boto3 client per plane across its ``workers`` threads.

    Examples
    --------
    >>> import jobsnb
    >>> from jobsnb.service import LocalJobsService
    >>> with LocalJobsService() as service:
    ...     client = jobsnb.connect(service)
    ...     client.endpoint_url == service.url
    True
    """
    url = getattr(endpoint_url, "url", endpoint_url)
    if url is not None and not isinstance(url, str):
        raise InvalidParameterError("endpoint_url", "must be a URL string or have a .url", url)
    check_endpoint_url(url, "endpoint_url")
    check_endpoint_url(control_endpoint_url, "control_endpoint_url")
    workers = arguments.check_workers(workers)
    rates = {
        "reads_per_second": reads_per_second,
        "writes_per_second": writes_per_second,
        "control_per_second": control_per_second,
    }
    budgets = {name: RequestBudget(arguments.check_rate(r, name)) for name, r in rates.items()}
    data, control, url = make_plane_clients(
        make_session(boto3_session, profile_name, region_name),
        url,
        local=is_local_endpoint(url) or hasattr(endpoint_url, "url"),
        control_endpoint_url=control_endpoint_url,
        region_name=region_name,
        max_pool_connections=workers,
    )
    return FleetClient(
        data,
        control,
        endpoint_url=url,
        read_budget=budgets["reads_per_second"],
        write_budget=budgets["writes_per_second"],
        control_budget=budgets["control_per_second"],
        workers=workers,
        retry=retry,
    )


class FleetClient:
    """Asks IoT Jobs about many things at once and answers with DataFrames.

    Make one with :func:`jobsnb.connect`. Every method accepts one thing or thousands, runs the
    calls concurrently within the client's request budgets, retries what can be retried, and
    returns a typed DataFrame (schemas in :mod:`jobsnb.frames`). Calls that fail for good become
    rows of ``frame.jobsnb.errors`` (and :attr:`last_errors`); ``on_error`` says whether they
    also warn (``"warn"``, the default), raise :class:`~jobsnb.exceptions.FanoutError`
    (``"raise"``), or pass silently (``"ignore"``). ``progress`` draws a progress bar for calls
    taking over a second, or tells a callable ``progress(done, total)`` as calls end; ``stop``,
    a :class:`threading.Event`, ends a call early when set: no new AWS call starts, and every
    item not called is a ``NotRun`` error row. Ctrl-C during a call raises
    :class:`~jobsnb.exceptions.FanoutInterrupted`, whose ``partial`` frame keeps every answer.

    ``data`` and ``control`` are the shared boto3 clients; ``read_budget``, ``write_budget`` and
    ``control_budget`` the :class:`~jobsnb.client.fanout.RequestBudget` objects.
    """

    def __init__(
        self,
        data_client: Any,
        control_client: Any,
        *,
        endpoint_url: str,
        read_budget: RequestBudget,
        write_budget: RequestBudget,
        control_budget: RequestBudget,
        workers: int = 16,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.endpoint_url = endpoint_url
        self._calls = Calls(
            data_client,
            control_client,
            read_budget,
            write_budget,
            control_budget,
            arguments.check_workers(workers),
            retry or RetryPolicy(),
        )
        self._data_plane = DataPlane(self._calls)
        self._writes = Writes(self._calls, self._data_plane)
        self._control_plane = ControlPlane(self._calls, self._data_plane)
        self._registry = Registry(self._control_plane)
        self._listings = Listings(self._control_plane)
        self._commands = Commands(self._calls, self._control_plane)
        self._command_executions = CommandExecutions(self._calls, self._commands)

    @property
    def data(self) -> Any:
        """The boto3 ``iot-jobs-data`` client all data-plane calls share."""
        return self._calls.data

    @property
    def control(self) -> Any:
        """The boto3 ``iot`` client all control-plane calls share."""
        return self._calls.control

    @property
    def read_budget(self) -> RequestBudget:
        """The request budget of pending and describe."""
        return self._calls.read_budget

    @property
    def write_budget(self) -> RequestBudget:
        """The request budget of start_next, update and start_command."""
        return self._calls.write_budget

    @property
    def control_budget(self) -> RequestBudget:
        """The request budget of the control plane."""
        return self._calls.control_budget

    @property
    def workers(self) -> int:
        """Threads making calls at once."""
        return self._calls.workers

    @property
    def retry(self) -> RetryPolicy:
        """The back-off of every call."""
        return self._calls.retry

    @property
    def breaker(self) -> CircuitBreaker:
        """The circuit breaker all calls share: ``breaker.state`` says whether calls go out."""
        return self._calls.breaker

    @property
    def last_errors(self) -> pd.DataFrame:
        """The errors of the latest call, from whichever thread made it.

        A live chart or a panel refreshing in the background replaces it; the errors of one
        frame stay with that frame, as ``frame.jobsnb.errors``.
        """
        return self._calls.last_errors

    def __repr__(self) -> str:
        return f"FleetClient(endpoint_url={self.endpoint_url!r}, workers={self.workers})"

    # The data plane (jobsnb.client.data_plane, .writes) and the control plane (.control_plane).
    pending = delegate("_data_plane", DataPlane.pending)
    describe = delegate("_data_plane", DataPlane.describe)
    start_next = delegate("_writes", Writes.start_next)
    update = delegate("_writes", Writes.update)
    executions = delegate("_control_plane", ControlPlane.executions)
    job_summary = delegate("_control_plane", ControlPlane.job_summary)
    things = delegate("_listings", Listings.things)
    groups = delegate("_listings", Listings.groups)
    jobs = delegate("_listings", Listings.jobs)
    thing_attributes = delegate("_registry", Registry.thing_attributes)
    # AWS IoT Commands (jobsnb.client.commands, .command_executions).
    start_command = delegate("_commands", Commands.start_command)
    commands = delegate("_commands", Commands.commands)
    command_executions = delegate("_command_executions", CommandExecutions.command_executions)

    def snapshot(
        self,
        things: Things,
        path: str | PathLike[str],
        *,
        progress: Progress = True,
        stop: threading.Event | None = None,
        on_error: OnError = "warn",
    ) -> pd.DataFrame:
        """:meth:`pending` for ``things``, appended to the Parquet history at ``path``.

        Parameters
        ----------
        things
            As for :meth:`pending`.
        path
            The history's directory (made when missing); read it with
            :func:`jobsnb.history.read_history`.
        progress, stop, on_error
            As for :meth:`pending`.

        Returns
        -------
        pandas.DataFrame
            The pending frame that was appended.

        Examples
        --------
        >>> import tempfile, jobsnb
        >>> from jobsnb.history import read_history
        >>> from jobsnb.service import LocalJobsService
        >>> folder = tempfile.mkdtemp()
        >>> with LocalJobsService() as service:
        ...     arn = service.backend.create_thing("sensor-1").arn
        ...     _ = service.backend.create_job("fw-2", targets=[arn], document="{}")
        ...     _ = jobsnb.connect(service).snapshot("sensor-1", folder, progress=False)
        >>> read_history(folder)[["thing_name", "job_id", "status"]].values.tolist()
        [['sensor-1', 'fw-2', 'QUEUED']]
        """
        frame = self.pending(things, progress=progress, stop=stop, on_error=on_error)
        to_history(frame, path)
        return frame

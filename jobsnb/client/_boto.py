"""The one place jobsnb makes boto3 sessions and clients.

Every client gets the same botocore ``Config``: botocore's own retries off (the fan-out retries
with back-off and a shared request budget, and the two would multiply), a connection pool as
large as the worker pool, a short connect timeout (a dead endpoint should say so in seconds;
the circuit breaker in :mod:`jobsnb.client.breaker` does the rest), and jobsnb in the user
agent. One client per plane is shared by all worker threads (boto3 clients are thread-safe;
sessions are not, so they are made here, once).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from jobsnb._version import __version__
from jobsnb.exceptions import InvalidParameterError
from jobsnb.limits import CONNECT_TIMEOUT_SECONDS, DEFAULT_REGION

__all__ = [
    "CONTROL_PLANE",
    "DATA_ENDPOINT_TYPES",
    "DATA_PLANE",
    "check_endpoint_url",
    "find_data_endpoint",
    "is_local_endpoint",
    "make_client",
    "make_plane_clients",
    "make_session",
    "resolve_region",
]

DATA_PLANE = "iot-jobs-data"
CONTROL_PLANE = "iot"
# Signed requests to the local service need some credentials; it accepts any.
_LOCAL_CREDENTIALS = {"aws_access_key_id": "jobsnb-local", "aws_secret_access_key": "jobsnb-local"}
#: The DescribeEndpoint types that serve the Jobs data plane, in the order they are tried: the
#: account's own Jobs endpoint, then its ATS data endpoint (where the account refuses the first).
DATA_ENDPOINT_TYPES = ("iot:Jobs", "iot:Data-ATS")


def check_endpoint_url(endpoint_url: str | None, argument: str = "endpoint_url") -> str | None:
    """``endpoint_url`` when it is None or an ``http://`` / ``https://`` URL with a host.

    botocore takes ``"localhost:8765"`` for a URL of scheme ``localhost`` and then fails far
    from the cause, so the scheme is asked for here, before any call.

    Parameters
    ----------
    endpoint_url
        The URL to check, or None (AWS's endpoint).
    argument
        The argument's name, for the error.

    Returns
    -------
    str or None
        ``endpoint_url``, unchanged.

    Raises
    ------
    InvalidParameterError
        Naming ``argument`` and the missing ``http://`` or ``https://``.

    Examples
    --------
    >>> try:
    ...     check_endpoint_url("localhost:8765")
    ... except InvalidParameterError as error:
    ...     print(error.rule)
    must start with http:// or https:// (e.g. 'http://localhost:8765')
    """
    if endpoint_url is None:
        return None
    parts = urlsplit(endpoint_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        example = endpoint_url if "://" in endpoint_url else f"http://{endpoint_url}"
        raise InvalidParameterError(
            argument, f"must start with http:// or https:// (e.g. {example!r})", endpoint_url
        )
    return endpoint_url


def find_data_endpoint(describe_endpoint: Callable[..., dict[str, Any]]) -> str:
    """The account's data-plane endpoint URL, asking DescribeEndpoint for each type in turn.

    ``iot:Jobs`` is asked first; where the account refuses it (DescribeEndpoint answers an
    error), ``iot:Data-ATS`` is asked. A connection error is not a refusal and is raised at
    once; when every type is refused, the last refusal is raised, with the one before as its
    ``__cause__``.

    Parameters
    ----------
    describe_endpoint
        The control-plane client's ``describe_endpoint``.

    Returns
    -------
    str
        An ``https://`` URL (the address is a bare host name on AWS).

    Examples
    --------
    >>> from jobsnb.service import LocalJobsService
    >>> with LocalJobsService() as service:
    ...     control = make_client(CONTROL_PLANE, make_session(), endpoint_url=service.url)
    ...     find_data_endpoint(control.describe_endpoint) == service.url
    True
    """
    refusal: ClientError | None = None
    for endpoint_type in DATA_ENDPOINT_TYPES:
        try:
            answer = describe_endpoint(endpointType=endpoint_type)
        except ClientError as error:
            error.__cause__, refusal = refusal, error  # each refusal carries the one before
            continue
        return _as_url(answer["endpointAddress"])
    assert refusal is not None
    raise refusal


def _as_url(address: str) -> str:
    return address if "://" in address else f"https://{address}"


def resolve_region(region_name: str | None, session: boto3.Session) -> str | None:
    """The region a client is made for; None when none is set.

    The first of, in this order:

    1. ``region_name`` (an explicit argument),
    2. the session's region, which is boto3's documented chain: the session's own
       ``region_name``, then ``AWS_DEFAULT_REGION``, then the profile's ``region`` in
       ``~/.aws/config``,
    3. ``AWS_REGION``, which botocore does not read but the newer AWS SDKs and the AWS CLI v2
       do; it only fills the gap, so a setup boto3 already understands is never changed.

    Examples
    --------
    >>> resolve_region("eu-west-1", make_session(region_name="us-east-1"))
    'eu-west-1'
    """
    return region_name or session.region_name or os.environ.get("AWS_REGION") or None


def is_local_endpoint(endpoint_url: str | None) -> bool:
    """Whether ``endpoint_url`` points at this machine (loopback or ``localhost``).

    Parameters
    ----------
    endpoint_url
        An endpoint URL, or None (AWS's default endpoint).

    Returns
    -------
    bool
        True for a loopback address or ``localhost``.

    Examples
    --------
    >>> is_local_endpoint("http://127.0.0.1:5000"), is_local_endpoint("https://iot.amazonaws.com")
    (True, False)
    """
    if not endpoint_url:
        return False
    host = urlsplit(endpoint_url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def make_session(
    boto3_session: boto3.Session | None = None,
    profile_name: str | None = None,
    region_name: str | None = None,
) -> boto3.Session:
    """The caller's session, or a new one from a profile and region (default credentials).

    Parameters
    ----------
    boto3_session
        A session to use as it is (then ``profile_name`` must be None).
    profile_name, region_name
        What a new session is made from (default: boto3's default chain).

    Returns
    -------
    boto3.Session
        The session clients are made from.

    Examples
    --------
    >>> make_session(region_name="eu-west-1").region_name
    'eu-west-1'
    """
    if boto3_session is not None:
        if profile_name is not None:
            raise InvalidParameterError(
                "profile_name", "cannot be given together with boto3_session", profile_name
            )
        return boto3_session
    return boto3.Session(profile_name=profile_name, region_name=region_name)


def make_client(
    service: str,
    session: boto3.Session,
    *,
    endpoint_url: str | None = None,
    region_name: str | None = None,
    max_pool_connections: int = 10,
    signed: bool = True,
) -> Any:
    """A boto3 client for ``service`` ("iot" or "iot-jobs-data") with jobsnb's Config.

    The region is ``region_name``, else the session's (``AWS_DEFAULT_REGION`` or the
    profile's), else ``AWS_REGION`` (see :func:`resolve_region`). Against a loopback endpoint,
    a missing region defaults to
    :data:`~jobsnb.limits.DEFAULT_REGION` and missing credentials to placeholder keys, so the
    local service works on a machine without AWS configuration.

    Parameters
    ----------
    service
        :data:`CONTROL_PLANE` (``"iot"``) or :data:`DATA_PLANE` (``"iot-jobs-data"``).
    session
        The session the client is made from (:func:`make_session`).
    endpoint_url
        Where to send requests (default: AWS's endpoint of the region).
    region_name
        The region (default: the session's).
    max_pool_connections
        The connection pool's size: as many as the threads sharing the client.
    signed
        False makes a client that sends no SigV4 signature, as a device authenticating with
        its X.509 certificate does; it needs no credentials and is cheaper per call.

    Returns
    -------
    botocore.client.BaseClient
        A client whose own retries are off (the fan-out retries).

    Examples
    --------
    >>> from jobsnb.service import LocalJobsService
    >>> with LocalJobsService() as service:
    ...     data = make_client(DATA_PLANE, make_session(), endpoint_url=service.url)
    ...     data.get_pending_job_executions(thingName="sensor-1")["queuedJobs"]
    []
    """
    if service not in (DATA_PLANE, CONTROL_PLANE):
        raise InvalidParameterError(
            "service", f"must be {DATA_PLANE!r} or {CONTROL_PLANE!r}", service
        )
    check_endpoint_url(endpoint_url)
    region = resolve_region(region_name, session)
    extra: dict[str, Any] = {}
    if is_local_endpoint(endpoint_url):
        region = region or DEFAULT_REGION
        if signed and session.get_credentials() is None:
            extra.update(_LOCAL_CREDENTIALS)
    if region is None:
        raise InvalidParameterError(
            "region_name",
            "is required: pass region_name=, set AWS_DEFAULT_REGION (or AWS_REGION), "
            "or give the profile a region (aws configure set region eu-west-1)",
            None,
        )
    config = Config(
        retries={"total_max_attempts": 1, "mode": "standard"},
        max_pool_connections=max_pool_connections,
        user_agent_extra=f"jobsnb/{__version__}",
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=30,
        **({} if signed else {"signature_version": UNSIGNED}),
    )
    return session.client(
        service, endpoint_url=endpoint_url, region_name=region, config=config, **extra
    )


def make_plane_clients(
    session: boto3.Session,
    endpoint_url: str | None,
    *,
    local: bool,
    control_endpoint_url: str | None = None,
    region_name: str | None = None,
    max_pool_connections: int = 10,
) -> tuple[Any, Any, str]:
    """The data-plane and control-plane clients of a fleet client, and the data endpoint.

    The local service serves both planes on one port; AWS's data-plane endpoint (the account's
    ``iot:Jobs`` address, or its ``iot:Data-ATS`` one where the account refuses that type) does
    not serve the control plane, and is found with the control plane's DescribeEndpoint
    (:func:`find_data_endpoint`) when ``endpoint_url`` is None.

    Parameters
    ----------
    session
        The session both clients are made from.
    endpoint_url
        The data-plane endpoint; None to ask DescribeEndpoint.
    local
        Whether ``endpoint_url`` is the local service (which also serves the control plane).
    control_endpoint_url
        The control-plane endpoint, when it is not the default.
    region_name, max_pool_connections
        As for :func:`make_client`.

    Returns
    -------
    tuple
        ``(data client, control client, data endpoint URL)``.

    Examples
    --------
    >>> from jobsnb.service import LocalJobsService
    >>> with LocalJobsService() as service:
    ...     data, control, url = make_plane_clients(make_session(), service.url, local=True)
    ...     control.meta.endpoint_url == url == service.url
    True
    """
    control = make_client(
        CONTROL_PLANE,
        session,
        endpoint_url=control_endpoint_url or (endpoint_url if local else None),
        region_name=region_name,
        max_pool_connections=max_pool_connections,
    )
    if endpoint_url is None:
        endpoint_url = find_data_endpoint(control.describe_endpoint)
    data = make_client(
        DATA_PLANE,
        session,
        endpoint_url=endpoint_url,
        region_name=region_name,
        max_pool_connections=max_pool_connections,
    )
    return data, control, endpoint_url

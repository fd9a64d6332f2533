"""The one place jobsnb makes boto3 clients.

Every client gets the same botocore ``Config``: botocore's own retries off (the fan-out retries
with back-off and a shared request budget, and the two would multiply), a connection pool as
large as the worker pool, and jobsnb in the user agent.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore import UNSIGNED
from botocore.config import Config

from jobsnb._version import __version__
from jobsnb.exceptions import InvalidParameterError
from jobsnb.limits import DEFAULT_REGION

__all__ = ["CONTROL_PLANE", "DATA_PLANE", "is_local_endpoint", "make_client", "make_session"]

DATA_PLANE = "iot-jobs-data"
CONTROL_PLANE = "iot"
# Signed requests to the local service need some credentials; it accepts any.
_LOCAL_CREDENTIALS = {"aws_access_key_id": "jobsnb-local", "aws_secret_access_key": "jobsnb-local"}


def is_local_endpoint(endpoint_url: str | None) -> bool:
    """True when ``endpoint_url`` points at this machine (loopback or ``localhost``)."""
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
    """The caller's session, or a new one from a profile and region (default credentials)."""
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

    Against a loopback endpoint, a missing region defaults to us-east-1 and missing credentials
    to placeholder keys, so the local service works on a machine without AWS configuration.
    ``signed=False`` makes a client that sends no SigV4 signature, as a device authenticating
    with its X.509 certificate does (the simulated fleet's devices use one); it needs no
    credentials and is also cheaper per call.
    """
    if service not in (DATA_PLANE, CONTROL_PLANE):
        raise InvalidParameterError(
            "service", f"must be {DATA_PLANE!r} or {CONTROL_PLANE!r}", service
        )
    region = region_name or session.region_name
    extra: dict[str, Any] = {}
    if is_local_endpoint(endpoint_url):
        region = region or DEFAULT_REGION
        if signed and session.get_credentials() is None:
            extra.update(_LOCAL_CREDENTIALS)
    if region is None:
        raise InvalidParameterError(
            "region_name",
            "is required: pass region_name=, set AWS_REGION/AWS_DEFAULT_REGION or a profile region",
            None,
        )
    config = Config(
        retries={"total_max_attempts": 1, "mode": "standard"},
        max_pool_connections=max_pool_connections,
        user_agent_extra=f"jobsnb/{__version__}",
        connect_timeout=10,
        read_timeout=30,
        **({} if signed else {"signature_version": UNSIGNED}),
    )
    return session.client(
        service, endpoint_url=endpoint_url, region_name=region, config=config, **extra
    )

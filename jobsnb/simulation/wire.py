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

from jobsnb.client._boto import DATA_PLANE, make_client, make_session

__all__ = ["DeviceCallError", "DeviceDataPlane"]


class DeviceCallError(Exception):
    """A data-plane call a device made was refused.

    Parameters
    ----------
    code
        AWS's error code (``ThrottlingException``, ``VersionConflictException``, ...).
    message
        AWS's error message.

    Examples
    --------
    >>> error = DeviceCallError("ThrottlingException", "Rate exceeded")
    >>> error.code, str(error)
    ('ThrottlingException', 'ThrottlingException: Rate exceeded')
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


class DeviceDataPlane:
    """The data plane through an unmodified, unsigned boto3 ``iot-jobs-data`` client.

    One client serves every simulated device (boto3 clients are thread-safe); each call names
    its thing, as a device's own client would.

    Parameters
    ----------
    url
        The service's endpoint URL.

    Attributes
    ----------
    calls
        Calls made, per operation (refused ones too).
    refusals
        Calls the service refused, per AWS error code.

    Examples
    --------
    >>> from jobsnb.service import LocalJobsService
    >>> with LocalJobsService() as service:
    ...     iot = make_client("iot", make_session(), endpoint_url=service.url)
    ...     thing = iot.create_thing(thingName="sensor-1")
    ...     _ = iot.create_job(jobId="reboot-1", targets=[thing["thingArn"]], document="{}")
    ...     device = DeviceDataPlane(service.url)
    ...     execution = device.start_next("sensor-1", {"step": "rebooting"})
    ...     device.update("sensor-1", "reboot-1", "SUCCEEDED", {"step": "done"},
    ...                   execution["versionNumber"])
    ...     device.close()
    ...     device.calls, service.request_counts["UpdateJobExecution"]
    ({'StartNextPendingJobExecution': 1, 'UpdateJobExecution': 1}, 1)
    """

    def __init__(self, url: str) -> None:
        self._client = make_client(DATA_PLANE, make_session(), endpoint_url=url, signed=False)
        self.calls: dict[str, int] = {}
        self.refusals: dict[str, int] = {}

    def start_next(self, thing_name: str, status_details: dict[str, str]) -> dict[str, Any] | None:
        """StartNextPendingJobExecution: the thing's next execution, now IN_PROGRESS.

        Parameters
        ----------
        thing_name
            The device's thing.
        status_details
            The statusDetails the execution starts with.

        Returns
        -------
        dict or None
            The ``execution`` of the response (``jobId``, ``executionNumber``,
            ``versionNumber``, ``jobDocument``, ...), or None when nothing is pending.

        Raises
        ------
        DeviceCallError
            The service refused the call (throttled, a fault...): the device tries again later.
        """
        self._count("StartNextPendingJobExecution")
        try:
            response = self._client.start_next_pending_job_execution(
                thingName=thing_name, statusDetails=status_details
            )
        except ClientError as error:
            raise self._refused(error) from None
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
        """UpdateJobExecution with ``expectedVersion``, as a careful device sends it.

        Parameters
        ----------
        thing_name, job_id
            The execution: the device's thing and the job.
        status
            IN_PROGRESS (a progress report) or the outcome: SUCCEEDED, FAILED or REJECTED.
        status_details
            The statusDetails to store (they replace the previous ones key by key).
        expected_version
            The version the device last saw; a newer one on the service is a conflict.
        step_timeout_minutes
            A new step timer, or None to leave the timers as they are.

        Raises
        ------
        DeviceCallError
            The service refused the update (the execution timed out or was canceled, a
            version conflict, throttling...).
        """
        self._count("UpdateJobExecution")
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
            raise self._refused(error) from None

    def close(self) -> None:
        """Close the boto3 client's connections."""
        self._client.close()

    def _count(self, operation: str) -> None:
        self.calls[operation] = self.calls.get(operation, 0) + 1

    def _refused(self, error: ClientError) -> DeviceCallError:
        info = error.response.get("Error", {})
        code = str(info.get("Code"))
        self.refusals[code] = self.refusals.get(code, 0) + 1
        return DeviceCallError(code, str(info.get("Message")))

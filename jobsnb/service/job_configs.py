"""A job's request members, checked and parsed once for every operation that takes them.

CreateJob, UpdateJob and CreateJobTemplate share these rules: the description, the document,
and the timeout, retry, rollout and abort configs.
"""

from __future__ import annotations

from typing import Any

from jobsnb.limits import (
    CONTROL_CHARACTERS,
    IN_PROGRESS_TIMEOUT_RANGE,
    MAX_DESCRIPTION_LENGTH,
    MAX_DOCUMENT_BYTES,
    RETRYABLE_FAILURES,
)
from jobsnb.service import strict_json
from jobsnb.service.errors import InvalidRequestException
from jobsnb.service.jobs import AbortCriterion, Job, Rollout

__all__ = ["check_description", "check_document", "parse_job_configs"]


def _number(config: dict[str, Any], key: str, where: str, low: float, high: float) -> Any:
    value = config.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise InvalidRequestException(f"{where}.{key} must be a number from {low} to {high}")
    return value


def _struct(value: Any, where: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidRequestException(f"{where} must be a structure")
    return value


def check_description(description: str | None) -> str | None:
    """``description``, once it is short enough and free of control characters."""
    if description is not None and (
        len(description) > MAX_DESCRIPTION_LENGTH or CONTROL_CHARACTERS.search(description)
    ):
        raise InvalidRequestException(
            f"description must be at most {MAX_DESCRIPTION_LENGTH} characters, "
            "without control characters"
        )
    return description


def check_document(document: Any) -> str:
    """``document``, once it is a JSON object within :data:`~jobsnb.limits.MAX_DOCUMENT_BYTES`.

    Raises
    ------
    InvalidRequestException
        When it is not a string, is larger, or is not a JSON object.
    """
    if not isinstance(document, str):
        raise InvalidRequestException("document is required and must be a JSON string")
    if len(document.encode("utf-8", "surrogatepass")) > MAX_DOCUMENT_BYTES:
        raise InvalidRequestException(f"document must be at most {MAX_DOCUMENT_BYTES} bytes")
    try:
        parsed = strict_json.loads(document)
    except strict_json.JsonRefused as error:
        raise InvalidRequestException(f"document must be strict JSON: {error}") from None
    if not isinstance(parsed, dict):
        raise InvalidRequestException("document must be a JSON object")
    return document


def parse_job_configs(
    job: Job,
    timeout_config: Any,
    retry_config: Any,
    rollout_config: Any,
    abort_config: Any,
) -> None:
    """Check CreateJob's four configs (InvalidRequestException) and store them on ``job``."""
    timeout = _struct(timeout_config, "timeoutConfig")
    if timeout is not None and "inProgressTimeoutInMinutes" in timeout:
        low, high = IN_PROGRESS_TIMEOUT_RANGE
        job.in_progress_minutes = int(
            _number(timeout, "inProgressTimeoutInMinutes", "timeoutConfig", low, high)
        )
    job.timeout_config = timeout

    retry = _struct(retry_config, "jobExecutionsRetryConfig")
    if retry is not None:
        criteria = retry.get("criteriaList")
        if not isinstance(criteria, list) or not 1 <= len(criteria) <= 2:
            raise InvalidRequestException(
                "jobExecutionsRetryConfig.criteriaList must have 1 or 2 criteria"
            )
        for criterion in criteria:
            criterion = _struct(criterion, "jobExecutionsRetryConfig.criteriaList[]") or {}
            failure = criterion.get("failureType")
            if failure not in (*RETRYABLE_FAILURES, "ALL"):
                raise InvalidRequestException(
                    "jobExecutionsRetryConfig failureType must be FAILED, TIMED_OUT or ALL"
                )
            if failure in job.retries:
                raise InvalidRequestException(f"failureType {failure} is given twice")
            job.retries[failure] = int(
                _number(criterion, "numberOfRetries", "jobExecutionsRetryConfig", 0, 10)
            )
    job.retry_config = retry

    rollout = _struct(rollout_config, "jobExecutionsRolloutConfig")
    if rollout is not None:
        maximum = rollout.get("maximumPerMinute")
        if maximum is not None:
            maximum = int(
                _number(rollout, "maximumPerMinute", "jobExecutionsRolloutConfig", 1, 1000)
            )
        exponential = _struct(rollout.get("exponentialRate"), "exponentialRate")
        if exponential is not None:
            base = int(_number(exponential, "baseRatePerMinute", "exponentialRate", 1, 1000))
            factor = float(_number(exponential, "incrementFactor", "exponentialRate", 1.1, 5))
            increase = _struct(exponential.get("rateIncreaseCriteria"), "rateIncreaseCriteria")
            if not increase:
                raise InvalidRequestException("exponentialRate.rateIncreaseCriteria is required")
            notified = increase.get("numberOfNotifiedThings")
            succeeded = increase.get("numberOfSucceededThings")
            if notified is not None:
                _number(increase, "numberOfNotifiedThings", "rateIncreaseCriteria", 1, 1e9)
            if succeeded is not None:
                _number(increase, "numberOfSucceededThings", "rateIncreaseCriteria", 1, 1e9)
            if (notified is None) == (succeeded is None):
                raise InvalidRequestException(
                    "rateIncreaseCriteria needs exactly one of numberOfNotifiedThings and "
                    "numberOfSucceededThings"
                )
            job.rollout = Rollout(maximum, min(base, maximum or base), factor, notified, succeeded)
        elif maximum is not None:
            job.rollout = Rollout(maximum, maximum)
    job.rollout_config = rollout

    abort = _struct(abort_config, "abortConfig")
    if abort is not None:
        criteria = abort.get("criteriaList")
        if not isinstance(criteria, list) or not criteria:
            raise InvalidRequestException("abortConfig.criteriaList must have at least 1 criterion")
        for criterion in criteria:
            criterion = _struct(criterion, "abortConfig.criteriaList[]") or {}
            failure = criterion.get("failureType")
            if failure not in ("FAILED", "REJECTED", "TIMED_OUT", "ALL"):
                raise InvalidRequestException(
                    "abortConfig failureType must be FAILED, REJECTED, TIMED_OUT or ALL"
                )
            if criterion.get("action") != "CANCEL":
                raise InvalidRequestException("abortConfig action must be CANCEL")
            threshold = float(_number(criterion, "thresholdPercentage", "abortConfig", 0, 100))
            minimum = int(_number(criterion, "minNumberOfExecutedThings", "abortConfig", 1, 1e9))
            job.abort_criteria.append(AbortCriterion(failure, threshold, minimum))
    job.abort_config = abort

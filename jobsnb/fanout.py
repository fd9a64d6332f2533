"""Many things → many calls: a bounded pool, a request budget, retries, progress, errors as rows."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CallError"]


@dataclass(frozen=True, slots=True)
class CallError:
    """One item's call that failed for good: which thing and job, which operation, and why."""

    thing_name: str
    job_id: str | None
    operation: str
    error_code: str
    message: str
    attempts: int
    http_status: int | None = None

"""AWS's MQTT payloads for job executions: the HTTPS shapes, with the document as JSON.

Over MQTT, AWS embeds the job document as a JSON object where the HTTPS data plane sends it as a
string, and every message carries a ``timestamp``. Times are whole epoch seconds on both (the
device SDKs read them with ``datetime.fromtimestamp``).
"""

from __future__ import annotations

import json
from typing import Any

from jobsnb.service.executions import Execution

__all__ = ["encode", "execution_data"]


def encode(payload: dict[str, Any]) -> bytes:
    """A payload as the UTF-8 JSON AWS sends (compact, non-ASCII kept as is)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def execution_data(
    execution: Execution, now: float, include_document: bool = True
) -> dict[str, Any]:
    """The MQTT API's JobExecution: the data plane's shape, ``jobDocument`` as an object."""
    shape = execution.data_shape(now, include_document)
    document = shape.get("jobDocument")
    if isinstance(document, str):
        shape["jobDocument"] = json.loads(document)  # CreateJob took only JSON objects
    return shape

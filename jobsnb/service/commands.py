"""Commands (StartCommandExecution): execution ids, idempotent per clientToken.

decision: the local service has no command registry yet, so any well-formed command ARN of the
account is accepted (the backend checks the ARNs and that the target thing exists).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from jobsnb.service.errors import ConflictException

__all__ = ["CommandExecutions"]


class CommandExecutions:
    """The command executions started so far, by clientToken.

    Examples
    --------
    >>> commands = CommandExecutions()
    >>> first = commands.start("arn:target", "arn:command", None, None, "token-1")
    >>> commands.start("arn:target", "arn:command", None, None, "token-1") == first
    True
    """

    def __init__(self) -> None:
        self._by_token: dict[str, tuple[str, str]] = {}

    def start(
        self,
        target_arn: str,
        command_arn: str,
        parameters: dict[str, Any] | None,
        execution_timeout_seconds: int | None,
        client_token: str | None,
    ) -> str:
        """A new execution id; the same clientToken with the same request gives the same id."""
        request = json.dumps(
            [target_arn, command_arn, parameters, execution_timeout_seconds], sort_keys=True
        )
        fingerprint = hashlib.sha256(request.encode()).hexdigest()
        if client_token is not None:
            seen = self._by_token.get(client_token)
            if seen is not None:
                if seen[0] != fingerprint:
                    raise ConflictException(
                        f"clientToken {client_token} was used with a different request"
                    )
                return seen[1]
        execution_id = str(uuid.uuid4())
        if client_token is not None:
            self._by_token[client_token] = (fingerprint, execution_id)
        return execution_id

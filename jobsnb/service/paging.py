"""nextToken/maxResults paging over append-only sequences, at the cost of one page per call."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from jobsnb.service.errors import InvalidRequestException

__all__ = ["DEFAULT_PAGE_SIZE", "page", "page_body"]

T = TypeVar("T")
R = TypeVar("R")

#: decision: AWS does not document the default page size of these lists; we use 50.
DEFAULT_PAGE_SIZE = 50


def _encode(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _decode(token: str) -> int:
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
        prefix, _, number = text.partition(":")
        offset = int(number)
    except (ValueError, UnicodeError):
        raise InvalidRequestException(f"Invalid nextToken: {token!r}") from None
    if prefix != "offset" or offset < 0:
        raise InvalidRequestException(f"Invalid nextToken: {token!r}")
    return offset


def page(
    items: Sequence[T],
    convert: Callable[[T], R | None],
    next_token: str | None,
    max_results: int | None,
    *,
    limit: int = 250,
) -> tuple[list[R], str | None]:
    """One page of ``items``: those for which ``convert`` returns something, and the next token.

    ``items`` only grows at its end between calls (removed entries convert to ``None``), so an
    offset into it is a stable token.
    """
    size = DEFAULT_PAGE_SIZE if max_results is None else max_results
    if not 1 <= size <= limit:
        raise InvalidRequestException(f"maxResults must be between 1 and {limit}")
    offset = 0 if not next_token else _decode(next_token)
    found: list[R] = []
    index = offset
    while index < len(items) and len(found) < size:
        converted = convert(items[index])
        index += 1
        if converted is not None:
            found.append(converted)
    # Look ahead so that the last page carries no token.
    while index < len(items) and convert(items[index]) is None:
        index += 1
    return found, (_encode(index) if index < len(items) else None)


def page_body(key: str, items: list[Any], token: str | None) -> dict[str, Any]:
    """A list operation's output: ``items`` under ``key``, and ``nextToken`` when there is one.

    Examples
    --------
    >>> page_body("jobs", [], None), page_body("jobs", [], "b2Zmc2V0OjUw")
    ({'jobs': []}, {'jobs': [], 'nextToken': 'b2Zmc2V0OjUw'})
    """
    return {key: items} if token is None else {key: items, "nextToken": token}

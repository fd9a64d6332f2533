"""Presigned S3 URLs in job documents: ``presignedUrlConfig``, the placeholders, the local URLs.

A job document may hold ``${aws:iot:s3-presigned-url:https://bucket.s3.amazonaws.com/key}``
placeholders; AWS replaces each with a presigned S3 URL when a device receives the document, and
``presignedUrlConfig.expiresInSec`` says how long it stays valid. The local service has no S3, so
it hands out URLs of its own (spec §9 **decision**)::

    http://127.0.0.1:PORT/presigned-urls/BUCKET/KEY?X-Amz-Algorithm=AWS4-HMAC-SHA256
        &X-Amz-Date=20231114T221320Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host
        &X-Amz-Signature=...

(the key percent-encoded into one path segment), signed with a secret of the service, dated by
the service clock. The service answers them itself (``GET``, unsigned, like S3's presigned URLs):
200 with ``{"bucket": ..., "key": ...}`` until the URL expires, then 403 AccessDeniedException
"Request has expired", as S3 answers; a URL whose query was changed gets 403 too.

Decisions where AWS is silent: a document with a placeholder but no ``presignedUrlConfig`` is
refused (AWS's developer guide: a job that uses presigned URLs *must* provide the role); a
``presignedUrlConfig`` needs a ``roleArn`` shaped like an IAM role's ARN; ``expiresInSec``
defaults to 3600, as the model's documentation says.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

from jobsnb.service.errors import AccessDeniedException, InvalidRequestException

__all__ = [
    "EXPIRES_RANGE",
    "PLACEHOLDER",
    "PresignedDocument",
    "UrlSigner",
    "check_presigned_url_config",
    "s3_object",
]

#: ``presignedUrlConfig.expiresInSec``: its bounds and its default.
EXPIRES_RANGE = (60, 3600)
DEFAULT_EXPIRES = 3600
PLACEHOLDER = re.compile(r"\$\{aws:iot:s3-presigned-url:([^}]*)\}")
_MARK = "${aws:iot:s3-presigned-url:"
_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}")
_VIRTUAL_HOST = re.compile(
    r"(?P<bucket>[a-z0-9][a-z0-9.-]*)\.s3[.-](?:[a-z0-9-]+\.)*amazonaws\.com"
)
# S3's bucket naming rules: 3-63 lowercase letters, digits, dots and hyphens, a letter or
# digit at either end.
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_PATH_HOST = re.compile(r"s3(?:[.-][a-z0-9-]+)*\.amazonaws\.com")
_DATE_FORMAT = "%Y%m%dT%H%M%SZ"


def check_presigned_url_config(config: Any) -> dict[str, Any] | None:
    """``config`` as it will be stored (``expiresInSec`` filled in), once it is valid.

    Raises
    ------
    InvalidRequestException
        When ``roleArn`` is missing or not an IAM role's ARN of 20-2048 characters, or
        ``expiresInSec`` is not a whole number from 60 to 3600.

    Examples
    --------
    >>> check_presigned_url_config({"roleArn": "arn:aws:iam::123456789012:role/jobs-s3"})
    {'roleArn': 'arn:aws:iam::123456789012:role/jobs-s3', 'expiresInSec': 3600}
    """
    if config is None:
        return None
    if not isinstance(config, dict):
        raise InvalidRequestException("presignedUrlConfig must be a structure")
    role = config.get("roleArn")
    if not isinstance(role, str) or not 20 <= len(role) <= 2048 or not _ROLE_ARN.fullmatch(role):
        raise InvalidRequestException(
            "presignedUrlConfig.roleArn is required: the ARN of an IAM role "
            "(arn:aws:iam::ACCOUNT:role/NAME), 20-2048 characters"
        )
    expires = config.get("expiresInSec", DEFAULT_EXPIRES)
    low, high = EXPIRES_RANGE
    if isinstance(expires, bool) or not isinstance(expires, int) or not low <= expires <= high:
        raise InvalidRequestException(
            f"presignedUrlConfig.expiresInSec must be whole seconds from {low} to {high}"
        )
    return {"roleArn": role, "expiresInSec": expires}


def s3_object(url: str) -> tuple[str, str]:
    """The (bucket, key) a placeholder's S3 URL names.

    Virtual-hosted (``https://bucket.s3.amazonaws.com/key``, regional hosts too), path-style
    (``https://s3.amazonaws.com/bucket/key``) and the developer guide's bare ``bucket/key``.

    Examples
    --------
    >>> s3_object("https://firmware.s3.us-west-2.amazonaws.com/v2/fw.bin")
    ('firmware', 'v2/fw.bin')
    >>> s3_object("https://s3.amazonaws.com/firmware/fw.bin")
    ('firmware', 'fw.bin')
    """
    bucket = key = ""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:  # a malformed authority ("http://[::1/x") names no object
        pass
    else:
        if not parts.scheme:
            bucket, _, key = url.partition("/")
        elif _PATH_HOST.fullmatch(host):
            bucket, _, key = parts.path.lstrip("/").partition("/")
        elif virtual := _VIRTUAL_HOST.fullmatch(host):
            bucket, key = virtual.group("bucket"), parts.path.lstrip("/")
    if not _BUCKET.fullmatch(bucket) or not key:
        raise InvalidRequestException(
            f"The presigned URL placeholder's {url!r} is not an S3 object URL "
            "(https://BUCKET.s3.amazonaws.com/KEY)"
        )
    return bucket, key


class UrlSigner:
    """Makes and checks the service's presigned URLs, with a secret of its own.

    ``base`` gives the service's address when a URL is made (it is known once the server
    listens).

    Examples
    --------
    >>> signer = UrlSigner(lambda: "http://127.0.0.1:8765")
    >>> url = signer.sign("fw", "v2/fw.bin", issued=1_700_000_000, expires=60)
    >>> url.split("?")[0]
    'http://127.0.0.1:8765/presigned-urls/fw/v2%2Ffw.bin'
    >>> query = dict(pair.split("=") for pair in url.split("?")[1].split("&"))
    >>> signer.check("fw", "v2/fw.bin", query, now=1_700_000_059)
    >>> signer.check("fw", "v2/fw.bin", query, now=1_700_000_060)
    Traceback (most recent call last):
    ...
    jobsnb.service.errors.AccessDeniedException: Request has expired
    """

    def __init__(self, base: Callable[[], str]) -> None:
        self._base = base
        self._secret = secrets.token_bytes(32)

    def _signature(self, bucket: str, key: str, date: str, expires: str) -> str:
        message = f"{bucket}\n{key}\n{date}\n{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def sign(self, bucket: str, key: str, issued: float, expires: int) -> str:
        """A URL for the object, issued at ``issued`` (epoch seconds), valid ``expires`` s."""
        date = time.strftime(_DATE_FORMAT, time.gmtime(int(issued)))
        signature = self._signature(bucket, key, date, str(expires))
        return (
            f"{self._base()}/presigned-urls/{quote(bucket, safe='')}/{quote(key, safe='')}"
            f"?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date={date}&X-Amz-Expires={expires}"
            f"&X-Amz-SignedHeaders=host&X-Amz-Signature={signature}"
        )

    def check(self, bucket: str, key: str, query: dict[str, str], now: float) -> None:
        """Nothing when the URL is one this signer made and has not expired.

        Raises
        ------
        AccessDeniedException
            When the query is not one this signer made for the object, or it has expired.
        """
        date, expires = query.get("X-Amz-Date", ""), query.get("X-Amz-Expires", "")
        expected = self._signature(bucket, key, date, expires)
        given = query.get("X-Amz-Signature", "").encode()
        # As bytes: compare_digest refuses str with non-ASCII characters (a TypeError, a 5xx).
        if not hmac.compare_digest(expected.encode(), given):
            raise AccessDeniedException(
                "The request signature we calculated does not match the signature you provided."
            )
        issued = calendar.timegm(time.strptime(date, _DATE_FORMAT))
        if now >= issued + int(expires):
            raise AccessDeniedException("Request has expired")


class PresignedDocument:
    """A job document with presigned-URL placeholders, split once so each delivery is a join.

    Examples
    --------
    >>> document = '{"url": "${aws:iot:s3-presigned-url:https://fw-1.s3.amazonaws.com/a.bin}"}'
    >>> parsed = PresignedDocument.parse(document, UrlSigner(lambda: "http://local"))
    >>> parsed.objects
    [('fw-1', 'a.bin')]
    >>> PresignedDocument.parse("{}", UrlSigner(lambda: "http://local")) is None
    True
    """

    __slots__ = ("_pieces", "_signer", "objects")

    def __init__(self, pieces: list[str], objects: list[tuple[str, str]], signer: UrlSigner):
        self._pieces = pieces
        self.objects = objects
        self._signer = signer

    @classmethod
    def parse(cls, document: str, signer: UrlSigner) -> PresignedDocument | None:
        """The parsed document, or None when it has no placeholder (the common, free case).

        Raises
        ------
        InvalidRequestException
            When a placeholder's URL names no S3 object.
        """
        if _MARK not in document:
            return None
        split = PLACEHOLDER.split(document)
        return cls(split[0::2], [s3_object(url) for url in split[1::2]], signer)

    def render(self, now: float, expires: int) -> str:
        """The document with every placeholder replaced by a URL issued at ``now``."""
        out = [self._pieces[0]]
        for (bucket, key), piece in zip(self.objects, self._pieces[1:], strict=True):
            out.append(self._signer.sign(bucket, key, now, expires))
            out.append(piece)
        return "".join(out)

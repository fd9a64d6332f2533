"""A local S3 endpoint for the history tests: moto's server on 127.0.0.1, fake credentials."""

from __future__ import annotations

import contextlib
import urllib.request
from collections.abc import Iterator

import boto3
import pytest
from moto.server import ThreadedMotoServer

from tests.helpers import CREDENTIALS, REGION

BUCKET = "jobsnb-history"


@contextlib.contextmanager
def local_s3() -> Iterator[str]:
    """moto's S3 on a free loopback port with one empty bucket, reachable the way a user's
    endpoint is: through ``AWS_ENDPOINT_URL_S3`` and the usual credential variables (set only
    for the duration). Yields the endpoint URL."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    # moto keeps its state per process, not per server: start from nothing, whoever ran before.
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST")).close()
    try:
        with pytest.MonkeyPatch.context() as env:
            for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
                env.delenv(name, raising=False)
            env.setenv("AWS_ACCESS_KEY_ID", CREDENTIALS["aws_access_key_id"])
            env.setenv("AWS_SECRET_ACCESS_KEY", CREDENTIALS["aws_secret_access_key"])
            env.setenv("AWS_DEFAULT_REGION", REGION)
            env.setenv("AWS_REGION", REGION)
            env.setenv("AWS_ENDPOINT_URL_S3", url)
            # Never ask an instance metadata service (a network call) for credentials or region.
            env.setenv("AWS_EC2_METADATA_DISABLED", "true")
            boto3.client("s3", endpoint_url=url, region_name=REGION, **CREDENTIALS).create_bucket(
                Bucket=BUCKET
            )
            yield url
    finally:
        server.stop()


def object_keys(url: str) -> list[str]:
    """Every key in the bucket, sorted."""
    s3 = boto3.client("s3", endpoint_url=url, region_name=REGION, **CREDENTIALS)
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

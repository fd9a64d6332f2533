"""Constants for talking to the local service with real boto3 clients."""

from __future__ import annotations

from botocore.config import Config

REGION = "us-east-1"
ACCOUNT = "123456789012"
# Any credentials work against the local service; these never leave loopback.
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
# One attempt, no retries: a test that expects a 429 or 503 must see it. (botocore reads
# `max_attempts` as retries after the first call; `total_max_attempts` counts them all.)
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})

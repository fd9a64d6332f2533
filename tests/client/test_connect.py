"""A new user's first connection: the region from the environment, an endpoint without a
scheme, the data-plane endpoint found with DescribeEndpoint (and its fallback), and the message
of an error raised instead of returned. Every client is a real boto3 client against the local
service; the refusal of an endpoint type is a proxy in front of it, not a mock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

import jobsnb
from jobsnb import FanoutError, InvalidParameterError, RetryPolicy
from jobsnb.client._boto import CONTROL_PLANE, make_client, make_session
from jobsnb.service import LocalJobsService
from tests.helpers import RefusingProxy

NO_REGION = ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_CONFIG_FILE")


@pytest.fixture
def bare_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> pytest.MonkeyPatch:  # type: ignore[no-untyped-def]
    """No region anywhere: no region variables, an empty AWS config file."""
    for name in NO_REGION:
        monkeypatch.delenv(name, raising=False)
    config = tmp_path / "config"
    config.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    return monkeypatch


@pytest.fixture
def service() -> Iterator[LocalJobsService]:
    with LocalJobsService() as running:
        yield running


def control_client(**options: str) -> object:
    """A control-plane client for AWS's own endpoint (made, never called)."""
    return make_client(CONTROL_PLANE, make_session(**options))


# --- the region ---------------------------------------------------------------------------------


def test_aws_region_alone_is_honoured(bare_environment):
    bare_environment.setenv("AWS_REGION", "eu-west-1")
    assert control_client().meta.region_name == "eu-west-1"  # type: ignore[attr-defined]


def test_aws_default_region_wins_over_aws_region(bare_environment):
    bare_environment.setenv("AWS_REGION", "eu-west-1")
    bare_environment.setenv("AWS_DEFAULT_REGION", "ap-southeast-2")
    assert control_client().meta.region_name == "ap-southeast-2"  # type: ignore[attr-defined]


def test_the_profile_region_wins_over_aws_region(bare_environment, tmp_path):
    (tmp_path / "config").write_text("[profile fleet]\nregion = us-west-2\n")
    bare_environment.setenv("AWS_REGION", "eu-west-1")
    client = control_client(profile_name="fleet")
    assert client.meta.region_name == "us-west-2"  # type: ignore[attr-defined]


def test_an_explicit_region_name_wins_over_both(bare_environment):
    bare_environment.setenv("AWS_REGION", "eu-west-1")
    bare_environment.setenv("AWS_DEFAULT_REGION", "ap-southeast-2")
    client = control_client(region_name="sa-east-1")
    assert client.meta.region_name == "sa-east-1"  # type: ignore[attr-defined]


def test_no_region_names_the_variable_botocore_reads(bare_environment):
    with pytest.raises(InvalidParameterError) as raised:
        control_client()
    assert raised.value.field == "region_name"
    assert "AWS_DEFAULT_REGION" in raised.value.rule


@pytest.mark.parametrize("document", ["README.md", "notebooks/05-connecting-to-aws.ipynb"])
def test_the_docs_name_the_region_variable_boto3_reads(document):
    text = (Path(__file__).parents[2] / document).read_text()
    assert "AWS_DEFAULT_REGION" in text
    assert "iot:Data-ATS" in text


# --- an endpoint without a scheme ---------------------------------------------------------------


@pytest.mark.parametrize("url", ["localhost:8765", "127.0.0.1:8765", "ftp://localhost:8765"])
def test_an_endpoint_without_http_is_named_before_any_call(bare_environment, url):
    with pytest.raises(InvalidParameterError) as raised:
        jobsnb.connect(url)
    assert raised.value.field == "endpoint_url"
    assert "http://" in raised.value.rule
    assert "https://" in raised.value.rule
    assert "region" not in str(raised.value)


def test_a_control_endpoint_without_http_is_named():
    with pytest.raises(InvalidParameterError) as raised:
        jobsnb.connect(control_endpoint_url="localhost:8765", region_name="us-east-1")
    assert raised.value.field == "control_endpoint_url"


# --- the data-plane endpoint --------------------------------------------------------------------


def test_connect_finds_the_jobs_endpoint_with_describe_endpoint(service):
    with RefusingProxy(service.url, refuse=r"(?!)") as proxy:
        client = jobsnb.connect(control_endpoint_url=proxy.url)
        assert client.endpoint_url == service.url  # the service's answer, not the proxy's
        assert client.pending("sensor-1", progress=False).empty
        assert proxy.refused == 0


def test_where_iot_jobs_is_refused_connect_uses_the_ats_data_endpoint(service):
    with RefusingProxy(service.url, refuse=r"GET /endpoint\?endpointType=iot%3AJobs") as proxy:
        client = jobsnb.connect(control_endpoint_url=proxy.url)
        assert proxy.refused == 1
        assert client.endpoint_url == service.url
        assert client.pending("sensor-1", progress=False).empty


def test_where_every_type_is_refused_connect_raises_the_last_refusal(service):
    with RefusingProxy(service.url, refuse=r"GET /endpoint\?.*") as proxy:
        with pytest.raises(ClientError, match="InvalidRequestException") as raised:
            jobsnb.connect(control_endpoint_url=proxy.url)
        assert proxy.refused == 2  # iot:Jobs, then iot:Data-ATS
        assert isinstance(raised.value.__cause__, ClientError)  # the iot:Jobs refusal


# --- on_error="raise" ---------------------------------------------------------------------------


def test_a_raised_fanout_error_points_at_its_own_errors_and_partial(service):
    client = jobsnb.connect(service, retry=RetryPolicy(max_attempts=1))
    with pytest.raises(FanoutError) as raised:
        client.describe([("no-such-thing", "no-such-job")], progress=False, on_error="raise")
    message = str(raised.value)
    assert "frame.jobsnb.errors" not in message
    assert "exception's .errors" in message
    assert ".partial" in message
    assert len(raised.value.errors) == 1

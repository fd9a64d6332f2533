"""A second read of the fleet client's Commands: a pair that is no pair is refused naming the
argument."""

from __future__ import annotations

import pytest

import jobsnb
from jobsnb.exceptions import InvalidParameterError


@pytest.mark.parametrize("row", [5, None, 3.5])
def test_a_pair_that_is_no_pair_is_refused_naming_executions(service, row):
    with pytest.raises(InvalidParameterError) as raised:
        jobsnb.connect(service).command_executions([row], progress=False)
    assert raised.value.field == "executions"
    assert service.request_count == 0

"""The README documents what the code does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jobsnb.schema import schema_markdown

README = (Path(__file__).parents[1] / "README.md").read_text()


def test_readme_starts_with_the_two_commands() -> None:
    head = "\n".join(README.splitlines()[:10])
    assert "make lab" in head
    assert "make test" in head


def test_readme_schema_tables_are_the_schema() -> None:
    start = README.index("<!-- schema:start -->\n") + len("<!-- schema:start -->\n")
    end = README.index("<!-- schema:end -->")
    assert README[start:end] == schema_markdown()


def test_readme_ten_line_example_runs_against_the_sandbox(capsys) -> None:  # type: ignore[no-untyped-def]
    import plotly.io

    section = README[README.index("## Ten lines, no AWS account") :]
    block = section[section.index("```python\n") + len("```python\n") : section.index("\n```\n")]
    assert len(block.splitlines()) <= 12
    renderer = plotly.io.renderers.default
    plotly.io.renderers.default = "json"  # fig.show() prints the figure instead of opening a page
    try:
        exec(compile(block, "README.md", "exec"), {})
    finally:
        plotly.io.renderers.default = renderer
    out = capsys.readouterr().out
    assert "queue_age" in out  # the oldest wait per job, printed
    assert "Queue age and in-progress time" in out  # both charts shown
    assert "Status distribution" in out


def _block(heading: str) -> str:
    """The first python code block after ``heading``."""
    section = README[README.index(heading) :]
    start = section.index("```python\n") + len("```python\n")
    return section[start : section.index("\n```\n", start)]


def test_readme_fleet_client_and_charts_blocks_run_against_the_sandbox() -> None:
    import warnings

    import pandas as pd

    namespace: dict[str, object] = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exec(compile(_block("## The fleet client"), "README.md", "exec"), namespace)
    try:
        pending, fleet, done = namespace["pending"], namespace["fleet"], namespace["done"]
        assert isinstance(pending, pd.DataFrame)
        assert isinstance(fleet, pd.DataFrame)
        assert isinstance(done, pd.DataFrame)
        assert not pending.empty
        assert not done.empty
        assert {"region", "model"} <= set(fleet.columns)
        # The typo's warning names the unknown thing's error.
        messages = [str(w.message) for w in caught]
        assert any("ResourceNotFoundException" in m for m in messages), messages
        # The Commands lines: 20 started with no error, each answered or timed out.
        sent = namespace["sent"]
        assert isinstance(sent, pd.DataFrame)
        assert len(sent) == 20
        assert sent.jobsnb.errors.empty
        jobs = namespace["client"].jobs()  # type: ignore[attr-defined]
        assert set(pending["job_id"]) <= set(jobs)
        charts = _block("## Charts").splitlines()
        # The charts block's lines, without the one that needs a Parquet history on disk.
        runnable = [line for line in charts if "read_history" not in line]
        exec(compile("\n".join(runnable), "README.md", "exec"), namespace)
    finally:
        namespace["sb"].close()  # type: ignore[attr-defined]


def test_readme_device_code_over_mqtt_commands_run(tmp_path: Path) -> None:
    """`jobsnb serve --mqtt`, the AWS CLI provisioning and the paho device, as written."""
    import queue
    import re
    import subprocess
    import sys

    from tests.helpers import MQTT_WAIT, assert_clean_exit, serve

    section = README[
        README.index("#### Over MQTT") : README.index("## The local IoT Jobs service in detail")
    ]
    start, provision = re.findall(r"```bash\n(.*?)\n```", section, re.S)
    (device_code,) = re.findall(r"```python\n(.*?)\n```", section, re.S)
    certs = f"{tmp_path}/certs/"
    (tmp_path / "certs").mkdir()
    serve_line = next(line for line in start.splitlines() if " serve " in line)
    flags = serve_line.split(" serve ", 1)[1].replace("certs/", certs).split()
    assert flags[:2] == ["--port", "8765"]
    free_ports = ["--mqtt-port", "0", "--mqtt-tls-port", "0"]
    with serve(tmp_path, *flags[2:], *free_ports) as server:
        _, tls_line, ca_line = server.next_lines(3)
        assert ca_line.endswith(f"{certs}jobsnb-ca.pem")
        found = re.search(r"mqtts://127\.0\.0\.1:(\d+)", tls_line)
        assert found, tls_line
        script = provision.replace("http://127.0.0.1:8765", server.url).replace("certs/", certs)
        path = f"{Path(sys.executable).parent}:/usr/bin:/bin"
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            capture_output=True,
            text=True,
            env={"PATH": path, "HOME": str(tmp_path)},
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        code = device_code.replace("certs/", certs).replace("8883", found.group(1))
        code = code.replace("device.loop_forever()", "")
        namespace: dict[str, Any] = {}
        exec(compile(code, "README.md", "exec"), namespace)
        device, answers = namespace["device"], queue.Queue[tuple[str, bytes]]()
        device.on_message = lambda client, userdata, message: answers.put(
            (message.topic, message.payload)
        )
        device.loop_start()
        try:
            topic, payload = answers.get(timeout=MQTT_WAIT)
            while topic != "$aws/things/gw-1/jobs/start-next/accepted":
                topic, payload = answers.get(timeout=MQTT_WAIT)
        finally:
            device.disconnect()
            device.loop_stop()
        execution = json.loads(payload)["execution"]
        assert (execution["jobId"], execution["status"]) == ("fw-1", "IN_PROGRESS")
        assert execution["jobDocument"] == {"operation": "update", "version": "2.1"}
        assert_clean_exit(server, server.stop())

"""Where the code lives: the service depends on nothing of jobsnb but limits and exceptions (and
no AWS SDK; its libraries are its HTTP server, croniter, its MQTT broker and cryptography),
nothing outside it reaches into the backend's state, and modules stay readable."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
PACKAGE = ROOT / "jobsnb"
SERVICE = PACKAGE / "service"
#: What the emulator may import besides the standard library and itself.
SERVICE_MAY_IMPORT = {
    "jobsnb.limits",
    "jobsnb.exceptions",
    "uvicorn",
    "uvloop",
    "croniter",
    "amqtt",
    "paho",  # the client that attaches the service to a broker a team runs (Mosquitto)
    "cryptography",  # the CA behind CreateKeysAndCertificate and MQTT's TLS
}
#: The backend's state: only the service's own modules touch it.
INTERNALS = re.compile(r"backend\.lock|\bby_thing\b|\bmember_order\b|\.counts\[|backend\.jobs\b")
MAX_LINES = 400


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted(SERVICE.rglob("*.py")), ids=lambda p: p.name)
def test_the_service_imports_only_the_stdlib_its_server_and_jobsnb_limits(path: Path) -> None:
    for name in _imported(path):
        top = name.split(".")[0]
        if top in sys.stdlib_module_names or name.startswith("jobsnb.service"):
            continue
        assert any(name == allowed or name.startswith(allowed + ".") for allowed in
                   SERVICE_MAY_IMPORT), f"{path.name} imports {name}"  # fmt: skip


def test_nothing_outside_the_service_touches_the_backends_state() -> None:
    outside = [p for p in PACKAGE.rglob("*.py") if SERVICE not in p.parents]
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in outside
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if INTERNALS.search(line)
    ]
    assert not found, found


def test_every_module_is_small_enough_to_read_in_one_sitting() -> None:
    long = {
        str(path.relative_to(ROOT)): count
        for path in PACKAGE.rglob("*.py")
        if (count := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines: {long}"

"""The simulation is a client of the service: HTTP, plus the few public members it may use."""

from __future__ import annotations

import ast
from pathlib import Path

import jobsnb.simulation

SIMULATION = Path(jobsnb.simulation.__file__).parent
#: What the simulation may use of the backend besides HTTP and MQTT: the views, and the
#: control-plane operations that bulk-load the initial fleet. Not ``on_queued`` nor
#: ``on_command``: the devices learn of jobs from notify-next and of commands from their
#: request topics.
BACKEND_MEMBERS = {
    "create_thing_group",
    "create_thing",
    "add_thing_to_thing_group",
    "tick",
    "next_due",
    "command_status_counts",
    "status_counts",
    "group_members",
    "has_pending",
    "has_pending_work",
    "job_ids",
    "group_names",
    "region",
    "account_id",
}


def _modules() -> list[tuple[str, ast.Module]]:
    paths = sorted(SIMULATION.glob("*.py"))
    assert {path.stem for path in paths} >= {"plan", "devices", "operator", "scheduler", "sandbox"}
    return [(path.name, ast.parse(path.read_text(), str(path))) for path in paths]


def test_the_simulation_imports_only_the_service_package_itself() -> None:
    for name, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module.startswith("jobsnb.service"):
                    assert node.module == "jobsnb.service", (name, node.module)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith("jobsnb.service"), (name, alias.name)


def test_the_simulation_reads_only_the_backends_public_members() -> None:
    used: set[str] = set()
    for name, tree in _modules():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Attribute):
                continue
            owner = node.value
            if (isinstance(owner, ast.Name) and owner.id == "backend") or (
                isinstance(owner, ast.Attribute) and owner.attr == "backend"
            ):
                assert node.attr in BACKEND_MEMBERS, (name, node.attr, node.lineno)
                used.add(node.attr)
    assert {"tick", "next_due", "has_pending"} <= used  # the check sees something

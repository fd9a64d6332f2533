"""Picking things: a picker widget with a name filter over the fleet's thing names.

The names come from the client's control-plane lists (:meth:`FleetClient.things`,
:meth:`FleetClient.groups`), at most :data:`MAX_LISTED` of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import ipywidgets as w
import pandas as pd

from jobsnb.exceptions import InvalidParameterError
from jobsnb.limits import check_thing_name

__all__ = [
    "ANY_GROUP",
    "MAX_LISTED",
    "FleetLists",
    "Opening",
    "ThingPicker",
    "checked_things",
    "frame_things",
    "opening",
]

#: The lists stop after this many names: a picker of more is no help (use a group or a frame).
MAX_LISTED: Final = 10_000
#: The group dropdown's first choice: no group, the panel's own list of things.
ANY_GROUP: Final = "(any group)"


class ThingPicker:
    """A name filter, a thing-group choice and a multiple selection of things.

    The picker knows no client: the panel fills :attr:`candidates` (from a list, a group or a
    frame) and listens to :attr:`group` to fetch a group's things. The selection is among the
    things the filter shows; "Select all shown" and "Clear" act on those.
    """

    def __init__(self, candidates: Iterable[str] = (), groups: Iterable[str] = ()) -> None:
        self._candidates: list[str] = []
        self.filter = w.Text(
            placeholder="filter by name",
            description="Things",
            continuous_update=True,
            layout=w.Layout(width="260px"),
        )
        self.group = w.Dropdown(
            options=[ANY_GROUP, *groups], value=ANY_GROUP, layout=w.Layout(width="200px")
        )
        self.things = w.SelectMultiple(options=[], rows=6, layout=w.Layout(width="460px"))
        self.select_all = w.Button(description="Select all shown", layout=w.Layout(width="140px"))
        self.clear = w.Button(description="Clear", layout=w.Layout(width="80px"))
        self.count = w.HTML()
        self.filter.observe(self._on_filter, names="value")
        self.things.observe(self._on_selection, names="value")
        self.select_all.on_click(lambda _: self.select(self.things.options))
        self.clear.on_click(lambda _: self.select(()))
        self.widget = w.VBox(
            [
                w.HBox([self.filter, self.group, self.select_all, self.clear]),
                w.HBox([self.things, self.count]),
            ]
        )
        self.set_candidates(candidates)

    @property
    def candidates(self) -> list[str]:
        """Every thing the picker offers, before the name filter."""
        return list(self._candidates)

    @property
    def selected(self) -> list[str]:
        """The selected things, in the order shown."""
        return list(self.things.value)

    def set_candidates(self, names: Iterable[str], *, select: Iterable[str] | None = None) -> None:
        """Offer ``names`` (kept in order, duplicates dropped) and select ``select`` of them."""
        self._candidates = list(dict.fromkeys(names))
        keep = set(self.selected if select is None else select)
        self._show(keep)

    def select(self, names: Iterable[str]) -> None:
        """Select those of ``names`` that the filter shows."""
        wanted = set(names)
        self.things.value = tuple(n for n in self.things.options if n in wanted)

    def on_change(self, callback: Callable[[list[str]], None]) -> None:
        """Call ``callback(selected)`` whenever the selection changes."""
        self.things.observe(lambda _: callback(self.selected), names="value")

    def _shown(self) -> list[str]:
        text = self.filter.value.strip().lower()
        return [n for n in self._candidates if text in n.lower()] if text else self._candidates

    def _show(self, keep: set[str]) -> None:
        shown = self._shown()
        # Options first with no value, so the old selection never meets the new options.
        with self.things.hold_trait_notifications():
            self.things.value = ()
            self.things.options = shown
            self.things.value = tuple(n for n in shown if n in keep)
        self._on_selection(None)

    def _on_filter(self, _: Any) -> None:
        self._show(set(self.selected))

    def _on_selection(self, _: Any) -> None:
        shown = len(self.things.options)
        hidden = len(self._candidates) - shown
        note = f" ({hidden} hidden by the filter)" if hidden else ""
        self.count.value = f"{len(self.selected)} of {shown} selected{note}"


def checked_things(things: str | Iterable[str]) -> list[str]:
    """Thing names, each checked (``things[i]`` named in the error), duplicates dropped."""
    names = [things] if isinstance(things, str) else list(things)
    for index, name in enumerate(names):
        check_thing_name(name, f"things[{index}]")
    return list(dict.fromkeys(names))


def frame_things(frame: pd.DataFrame) -> list[str]:
    """The checked thing names of a frame's ``thing_name`` column."""
    if not isinstance(frame, pd.DataFrame) or "thing_name" not in frame.columns:
        raise InvalidParameterError("frame", "must be a DataFrame with a thing_name column", frame)
    return checked_things(frame["thing_name"].dropna().astype(str))


@dataclass(frozen=True)
class Opening:
    """What a panel opens on: its own things (empty: the account's), those selected, a job."""

    things: list[str]
    selected: list[str]
    job: str | None


def opening(things: Iterable[str] | None, group: str | None, frame: pd.DataFrame | None) -> Opening:
    """Check and resolve a panel's ``things`` / ``group`` / ``frame`` (at most one of them).

    A frame that names a single ``job_id`` makes that job the update's target.
    """
    given = [name for name, v in {"things": things, "group": group, "frame": frame}.items()
             if v is not None]  # fmt: skip
    if len(given) > 1:
        raise InvalidParameterError(
            ", ".join(given), "give at most one of things, group and frame", None
        )
    if frame is not None:
        own = frame_things(frame)
        jobs = list(frame["job_id"].dropna().unique()) if "job_id" in frame.columns else []
        return Opening(own, list(own), str(jobs[0]) if len(jobs) == 1 else None)
    if things is not None:
        own = checked_things(things)
        return Opening(own, list(own), None)
    if group is not None:
        check_thing_name(group, "group")
    return Opening([], [], None)


class FleetLists:
    """The thing and group names a picker offers, from the client (at most MAX_LISTED each)."""

    def __init__(self, client: Any, own: Sequence[str] = ()) -> None:
        self.client = client
        self.own = list(own)

    def groups(self) -> list[str]:
        """The account's thing groups, sorted."""
        return sorted(self.client.groups(limit=MAX_LISTED))

    def things(self, group: str = ANY_GROUP) -> list[str]:
        """A group's things (its subgroups' too), or without one the panel's own or all."""
        if group != ANY_GROUP:
            return sorted(self.client.things(group, recursive=True, limit=MAX_LISTED))
        if not self.own:
            self.own = sorted(self.client.things(limit=MAX_LISTED))
        return list(self.own)

"""Picking things: a thing-group choice and a grid of the fleet's thing names to select from.

The names come from the client's control-plane lists (:meth:`FleetClient.things`,
:meth:`FleetClient.groups`), at most :data:`MAX_LISTED` of them, or from the panel's own list
or frame.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import ipywidgets as w
import pandas as pd
from itables import JavascriptFunction
from itables.widget import ITable

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
#: The grid: rows selected the way a desktop list selects them, no paging, in a bounded height
#: that scrolls (10,000 rows draw in a few seconds; Scroller's virtual rows were faster but
#: measured 0 when drawn out of view), a filter box, and buttons that select the rows the
#: filter shows (DataTables' own "select all" takes hidden rows too).
_GRID: Final[dict[str, Any]] = {
    "select": {"style": "os"},
    "scrollY": "240px",
    "scrollCollapse": True,
    "paging": False,
    "autoWidth": False,
    "maxBytes": 0,
    "showIndex": False,
    "layout": {"topStart": "search", "topEnd": "buttons", "bottomStart": "info", "bottomEnd": None},
    "buttons": [
        {
            "text": "Select all shown",
            "action": JavascriptFunction(
                "function (e, dt) { dt.rows({search: 'applied'}).select(); }"
            ),
        },
        {"extend": "selectNone", "text": "Clear selection"},
    ],
    "classes": "display compact nowrap",
    # The table's own width, not one measured at start (a notebook may draw the output while
    # it is scrolled out of view, where everything measures 0).
    "style": "width:100%;margin:0;table-layout:fixed",
    "language": {
        "search": "Filter:",
        "info": "_TOTAL_ things shown",
        "infoFiltered": "(of _MAX_)",
        "infoEmpty": "no things shown",
        "zeroRecords": "no thing matches the filter",
        "select": {"rows": {"_": "%d selected", "0": ""}},
    },
}


class ThingPicker:
    """A thing-group choice and a grid of things to select rows from.

    The grid is itables' :class:`~itables.widget.ITable` (DataTables): type in its filter box,
    sort by clicking a header, click a row, shift-click a range, ctrl-click to add one, "Select
    all shown" selects the rows the filter shows, "Clear selection" none. 10,000 things draw in a
    few seconds and scroll inside a bounded height. The filter runs in the browser over
    data that stays put, so a row is the same thing before and after filtering (a click while
    the rows reload can never pick another thing), and the filter hides selected rows without
    unselecting them. The picker knows no client: the panel fills :attr:`candidates` (from a
    list, a group or a frame) and listens to :attr:`group` to fetch a group's things.

    Examples
    --------
    >>> picker = ThingPicker(["sensor-1", "sensor-2", "gateway-1"])
    >>> picker.select(["sensor-1", "gateway-1"])
    >>> picker.selected, picker.grid.selected_rows
    (['sensor-1', 'gateway-1'], [0, 2])
    >>> picker.grid.selected_rows = [1]  # a person clicks the second row
    >>> picker.selected, picker.count.value
    (['sensor-2'], '1 of 3 selected')
    """

    def __init__(self, candidates: Iterable[str] = (), groups: Iterable[str] = ()) -> None:
        self._candidates: list[str] = []
        self._selected: dict[str, None] = {}  # an ordered set
        self._callbacks: list[Callable[[list[str]], None]] = []
        self._echo = False  # True while the grid's rows are set from here
        self.group = w.Dropdown(
            options=[ANY_GROUP, *groups],
            value=ANY_GROUP,
            description="Group",
            layout=w.Layout(width="300px"),
        )
        self.grid = ITable(_things_frame([]), **_GRID)
        self.count = w.HTML(layout=w.Layout(margin="0 0 0 12px"))
        self.grid.observe(self._on_rows, names="selected_rows")
        self.widget = w.VBox(
            [
                w.HBox([self.group, self.count], layout=w.Layout(align_items="center")),
                w.Box([self.grid], layout=w.Layout(max_width="720px")),
            ]
        )
        self.widget.add_class("jobsnb-picker")
        self.set_candidates(candidates)

    @property
    def candidates(self) -> list[str]:
        """Every thing the picker offers (the grid's rows, before the browser's filter)."""
        return list(self._candidates)

    @property
    def selected(self) -> list[str]:
        """The selected things (shown or hidden by the filter), in the candidates' order."""
        return [name for name in self._candidates if name in self._selected]

    def set_candidates(self, names: Iterable[str], *, select: Iterable[str] | None = None) -> None:
        """Offer ``names`` (kept in order, duplicates dropped) and select ``select`` of them.

        Without ``select`` the selected things that are still offered stay selected.
        """
        self._candidates = list(dict.fromkeys(names))
        offered = set(self._candidates)
        keep = self._selected if select is None else dict.fromkeys(select)
        self._selected = {name: None for name in keep if name in offered}
        self._echo = True
        try:
            # All the options again: update() recomputes the others from itables' defaults.
            self.grid.update(_things_frame(self._candidates), selected_rows=self._rows(), **_GRID)
        finally:
            self._echo = False
        self._changed()

    def select(self, names: Iterable[str]) -> None:
        """Select exactly those of ``names`` that are offered (shown or not)."""
        offered = set(self._candidates)
        wanted = {name: None for name in names if name in offered}
        if list(wanted) == list(self._selected):
            return
        self._selected = wanted
        self._echo = True
        try:
            self.grid.selected_rows = self._rows()
        finally:
            self._echo = False
        self._changed()

    def on_change(self, callback: Callable[[list[str]], None]) -> None:
        """Call ``callback(selected)`` whenever the selection changes."""
        self._callbacks.append(callback)

    def _rows(self) -> list[int]:
        return [index for index, name in enumerate(self._candidates) if name in self._selected]

    def _on_rows(self, change: Any) -> None:
        """A person selected rows in the grid (its rows are :attr:`candidates`, in order)."""
        if self._echo:
            return
        rows = sorted(i for i in set(change["new"]) if 0 <= i < len(self._candidates))
        self._selected = dict.fromkeys(self._candidates[i] for i in rows)
        self._changed()

    def _changed(self) -> None:
        self.count.value = f"{len(self._selected):,} of {len(self._candidates):,} selected"
        selected = self.selected
        for callback in self._callbacks:
            callback(selected)


def _things_frame(names: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame({"thing": pd.Series(names, dtype=object)})


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

    def fill(self, picker: ThingPicker, group: str | None = None) -> None:
        """Offer the groups in ``picker`` and the things of ``group`` (else the panel's own).

        Raises
        ------
        InvalidParameterError
            When ``group`` is not one of the account's thing groups.
        """
        groups = self.groups()
        picker.group.options = [ANY_GROUP, *groups]
        if group is not None:
            if group not in groups:
                raise InvalidParameterError("group", "must be an existing thing group", group)
            picker.group.value = group
        picker.set_candidates(self.things(group or ANY_GROUP))

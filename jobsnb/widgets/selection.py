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
#: The grid: rows selected the way a desktop list selects them, no paging, rows drawn as they
#: scroll into view (10,000 things stay fast), in a bounded height; the filter is the picker's
#: own (DataTables' search box would hide from the kernel what is shown).
_GRID: Final[dict[str, Any]] = {
    "select": {"style": "os", "info": False},
    "scrollY": "240px",
    "scrollCollapse": True,
    "scroller": True,
    "deferRender": True,
    "maxBytes": 0,
    "showIndex": False,
    "layout": {"topStart": None, "topEnd": None, "bottomStart": "info", "bottomEnd": None},
    "classes": "display compact nowrap",
    "language": {"info": "_TOTAL_ things shown", "infoEmpty": "no things shown"},
}


class ThingPicker:
    """A thing-group choice, a name filter and a grid of things to select rows from.

    The grid is itables' :class:`~itables.widget.ITable` (DataTables): sort by clicking a
    header, click a row, shift-click a range, ctrl-click to add one; it draws only the rows in
    view, so 10,000 things scroll inside a bounded height. The picker knows no client: the
    panel fills :attr:`candidates` (from a list, a group or a frame) and listens to
    :attr:`group` to fetch a group's things.

    The selection belongs to the picker, not to the rows on screen: the filter hides rows
    without unselecting them (the count says how many selected things it hides), and clearing
    the filter shows them selected again. "Select all shown" adds the rows the filter shows;
    "Clear selection" empties the selection.

    Examples
    --------
    >>> picker = ThingPicker(["sensor-1", "sensor-2", "gateway-1"])
    >>> picker.select(["sensor-1", "gateway-1"])
    >>> picker.filter.value = "sensor"
    >>> picker.shown, picker.selected
    (['sensor-1', 'sensor-2'], ['sensor-1', 'gateway-1'])
    >>> picker.count.value
    '2 of 3 selected (1 hidden by the filter)'
    """

    def __init__(self, candidates: Iterable[str] = (), groups: Iterable[str] = ()) -> None:
        self._candidates: list[str] = []
        self._selected: dict[str, None] = {}  # an ordered set
        self._shown: list[str] = []
        self._callbacks: list[Callable[[list[str]], None]] = []
        self._echo = False  # True while the grid's rows are set from here
        self.filter = w.Text(
            placeholder="filter by name",
            description="Things",
            continuous_update=True,
            layout=w.Layout(width="260px"),
        )
        self.group = w.Dropdown(
            options=[ANY_GROUP, *groups], value=ANY_GROUP, layout=w.Layout(width="220px")
        )
        self.grid = ITable(pd.DataFrame({"thing": pd.Series([], dtype=object)}), **_GRID)
        self.select_all = w.Button(description="Select all shown", layout=w.Layout(width="140px"))
        self.clear = w.Button(description="Clear selection", layout=w.Layout(width="130px"))
        self.count = w.HTML()
        self.filter.observe(lambda _: self._render(), names="value")
        self.grid.observe(self._on_rows, names="selected_rows")
        self.select_all.on_click(lambda _: self.select([*self._selected, *self._shown]))
        self.clear.on_click(lambda _: self.select(()))
        self.widget = w.VBox(
            [
                w.HBox([self.filter, self.group, self.select_all, self.clear, self.count]),
                w.Box([self.grid], layout=w.Layout(max_width="720px")),
            ]
        )
        self.widget.add_class("jobsnb-picker")
        self.set_candidates(candidates)

    @property
    def candidates(self) -> list[str]:
        """Every thing the picker offers, before the name filter."""
        return list(self._candidates)

    @property
    def shown(self) -> list[str]:
        """The things the filter shows, in the grid's data order."""
        return list(self._shown)

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
        self._render()
        self._changed()

    def select(self, names: Iterable[str]) -> None:
        """Select exactly those of ``names`` that are offered (shown or not)."""
        offered = set(self._candidates)
        wanted = {name: None for name in names if name in offered}
        if list(wanted) == list(self._selected):
            return
        self._selected = wanted
        self._render()
        self._changed()

    def on_change(self, callback: Callable[[list[str]], None]) -> None:
        """Call ``callback(selected)`` whenever the selection changes."""
        self._callbacks.append(callback)

    def _render(self) -> None:
        text = self.filter.value.strip().lower()
        shown = [n for n in self._candidates if text in n.lower()] if text else self._candidates
        rows = [index for index, name in enumerate(shown) if name in self._selected]
        self._echo = True
        try:
            if shown != self._shown:
                self._shown = list(shown)
                data = pd.DataFrame({"thing": pd.Series(self._shown, dtype=object)})
                self.grid.update(data, selected_rows=rows)
            elif sorted(self.grid.selected_rows) != rows:
                self.grid.selected_rows = rows
        finally:
            self._echo = False
        self._count()

    def _on_rows(self, change: Any) -> None:
        """The person selected rows in the grid: the shown rows' selection is theirs."""
        if self._echo:
            return
        shown = set(self._shown)
        chosen = {self._shown[i] for i in change["new"] if 0 <= i < len(self._shown)}
        hidden = [name for name in self._selected if name not in shown]
        self._selected = dict.fromkeys([*hidden, *(n for n in self._shown if n in chosen)])
        self._count()
        self._changed()

    def _count(self) -> None:
        shown = set(self._shown)
        hidden = sum(1 for name in self._selected if name not in shown)
        note = f" ({hidden} hidden by the filter)" if hidden else ""
        total = len(self._candidates)
        self.count.value = f"{len(self._selected):,} of {total:,} selected{note}"

    def _changed(self) -> None:
        selected = self.selected
        for callback in self._callbacks:
            callback(selected)


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

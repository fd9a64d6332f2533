"""A statusDetails editor: key/value rows and a step timeout, checked against AWS's limits as typed.

The rules are :mod:`jobsnb.limits`' own (the client and the local service use the same
functions), so what the editor accepts is what the client will send.

Examples
--------
>>> from jobsnb.widgets.details_editor import DetailsEditor
>>> editor = DetailsEditor()
>>> editor.add_row("progress", "50%")
>>> editor.value, editor.error
({'progress': '50%'}, None)
>>> editor.rows[0].key.value = "not valid"
>>> print(editor.error)  # doctest: +ELLIPSIS
statusDetails key: must be 1-128 characters, each a letter, a digit, ':', '_' or '-' (got ...)
>>> "1 row to fix" in editor.message.value  # the row says why; the message only counts
True
>>> editor.clear()
>>> editor.value, editor.step_timeout
(None, None)
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping

import ipywidgets as w

from jobsnb.exceptions import InvalidParameterError
from jobsnb.limits import MAX_DETAILS_PAIRS, check_status_details, check_step_timeout
from jobsnb.widgets.table import plural

__all__ = ["DetailsEditor", "DetailsRow"]

_OK = "<span style='color:#2a7d2a'>✓</span>"


def _bad(text: str) -> str:
    return f"<span style='color:#b00020'>✗ {html.escape(text)}</span>"


class DetailsRow:
    """One key/value pair of the editor, with its own check mark or reason."""

    def __init__(self, key: str = "", value: str = "") -> None:
        self.key = w.Text(value=key, placeholder="key", layout=w.Layout(width="180px"))
        self.value = w.Text(value=value, placeholder="value", layout=w.Layout(width="260px"))
        self.remove = w.Button(description="✕", tooltip="remove", layout=w.Layout(width="36px"))
        self.check = w.HTML()
        self.widget = w.HBox([self.key, self.value, self.remove, self.check])

    @property
    def blank(self) -> bool:
        """True when both the key and the value are empty (the row is not sent)."""
        return not self.key.value and not self.value.value


class DetailsEditor:
    """Rows of statusDetails (key, value) and an optional step timeout, validated on every key.

    :attr:`value` is the statusDetails map (None when every row is blank: the action sends none),
    :attr:`step_timeout` the minutes (None when blank), :attr:`error` the first broken rule in the
    words of :class:`~jobsnb.exceptions.InvalidParameterError`, or None.
    """

    def __init__(self, details: Mapping[str, str] | None = None) -> None:
        self.rows: list[DetailsRow] = []
        self.add = w.Button(description="+ detail", layout=w.Layout(width="90px"))
        self.step_timeout_text = w.Text(
            placeholder="none",
            description="Step timeout (min)",
            style={"description_width": "initial"},
            layout=w.Layout(width="230px"),
        )
        self.message = w.HTML()
        self._rows_box = w.VBox()
        self._callbacks: list[Callable[[], None]] = []
        self.add.on_click(lambda _: self.add_row())
        self.step_timeout_text.observe(lambda _: self._changed(), names="value")
        self.widget = w.VBox(
            [
                w.HTML("<b>statusDetails</b>"),
                self._rows_box,
                w.HBox([self.add, self.step_timeout_text]),
                self.message,
            ]
        )
        self.set_details(details or {})

    # ------------------------------------------------------------------ editing
    def add_row(self, key: str = "", value: str = "") -> None:
        """Append a key/value row."""
        row = DetailsRow(key, value)
        row.key.observe(lambda _: self._changed(), names="value")
        row.value.observe(lambda _: self._changed(), names="value")
        row.remove.on_click(lambda _: self.remove_row(row))
        self.rows.append(row)
        self._layout()

    def remove_row(self, row: DetailsRow) -> None:
        """Drop one row."""
        self.rows.remove(row)
        self._layout()

    def set_details(self, details: Mapping[str, str]) -> None:
        """Replace every row with the pairs of ``details``."""
        self.rows = []
        for key, value in details.items():
            self.add_row(key, value)
        self._layout()

    def clear(self) -> None:
        """Remove every row and the step timeout: the next action sends neither."""
        with self.step_timeout_text.hold_trait_notifications():
            self.step_timeout_text.value = ""
        self.set_details({})

    def on_change(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` after every edit (once the rows are checked)."""
        self._callbacks.append(callback)

    # ------------------------------------------------------------------ reading
    @property
    def value(self) -> dict[str, str] | None:
        """The statusDetails map, or None when there is nothing to send. Raises if invalid."""
        pairs = self._pairs()
        if not pairs:
            return None
        return check_status_details(dict(pairs))

    @property
    def step_timeout(self) -> int | None:
        """The step timeout in minutes (-1 cancels the step timer), or None. Raises if invalid."""
        text = self.step_timeout_text.value.strip()
        if not text:
            return None
        try:
            minutes: object = int(text)
        except ValueError:
            minutes = text
        return check_step_timeout(minutes, "step timeout", allow_cancel=True)

    @property
    def error(self) -> str | None:
        """The first rule the rows or the timeout break, or None when both are valid."""
        try:
            self._check_keys_unique()
            _ = self.value
            _ = self.step_timeout
        except InvalidParameterError as broken:
            return str(broken)
        return None

    @property
    def valid(self) -> bool:
        """True when the rows and the step timeout break no rule (:attr:`error` is None)."""
        return self.error is None

    # ------------------------------------------------------------------ plumbing
    def _pairs(self) -> list[tuple[str, str]]:
        return [(row.key.value, row.value.value) for row in self.rows if not row.blank]

    def _check_keys_unique(self) -> None:
        keys = [key for key, _ in self._pairs()]
        for key in keys:
            if keys.count(key) > 1:
                raise InvalidParameterError("statusDetails", "each key once", key)

    def _layout(self) -> None:
        self._rows_box.children = [row.widget for row in self.rows]
        self._changed()

    def _changed(self) -> None:
        bad_rows = 0
        for row in self.rows:
            if row.blank:
                row.check.value = ""
                continue
            try:
                check_status_details({row.key.value: row.value.value})
            except InvalidParameterError as error:
                row.check.value = _bad(error.rule)
                bad_rows += 1
            else:
                row.check.value = _OK
        broken = self.error
        count = len(self._pairs())
        if bad_rows:
            # Each broken row says why beside it: the message does not repeat it.
            self.message.value = _bad(f"{plural(bad_rows, 'row')} to fix (see ✗ above)")
        elif broken is not None:
            self.message.value = _bad(broken)
        elif count:
            self.message.value = f"{count} of at most {MAX_DETAILS_PAIRS} pairs"
        else:
            self.message.value = "no statusDetails: none are sent"
        for callback in self._callbacks:
            callback()

"""Interactive controls: start and update job executions from the notebook, safely.

:func:`control_panel` builds a panel of ipywidgets around a grid of things (itables' ITable:
filter, sort, select rows, 10,000 things in a bounded box): pick things (in the grid, by thing
group, or from a frame), see their pending executions in a table that refreshes, start the next
pending execution or report a status with statusDetails checked as you type, review every call
an action will make and confirm it, follow its progress call by call and stop it, and read per
thing what succeeded and what failed with AWS's error code. Live charts passed in ``charts``
refresh after every action and with the table.

The parts are in their own modules: :mod:`~jobsnb.widgets.selection` (thing lists and the
picker), :mod:`~jobsnb.widgets.details_editor`, :mod:`~jobsnb.widgets.table` (what the tables
show), :mod:`~jobsnb.widgets.offers` (what the buttons may do), :mod:`~jobsnb.widgets.plans`
(the review), :mod:`~jobsnb.widgets.actions` (running a plan, its results),
:mod:`~jobsnb.widgets.background` (work off the notebook's thread) and
:mod:`~jobsnb.widgets.panel`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from jobsnb.client import FleetClient
from jobsnb.widgets.actions import run_plan
from jobsnb.widgets.details_editor import DetailsEditor
from jobsnb.widgets.offers import allowed_statuses
from jobsnb.widgets.panel import ControlPanel
from jobsnb.widgets.plans import Plan, plan_start_next, plan_update
from jobsnb.widgets.selection import ThingPicker

__all__ = [
    "ControlPanel",
    "DetailsEditor",
    "Plan",
    "ThingPicker",
    "allowed_statuses",
    "control_panel",
    "plan_start_next",
    "plan_update",
    "run_plan",
]


def control_panel(
    client: FleetClient,
    things: Iterable[str] | None = None,
    *,
    group: str | None = None,
    frame: pd.DataFrame | None = None,
    charts: Sequence[Any] = (),
    every: float | None = None,
) -> ControlPanel:
    """A panel to start and update job executions on the things of a fleet.

    Show it by leaving it last in a cell (or ``display(panel)``); ``panel.widget`` is the
    ipywidgets box.

    Parameters
    ----------
    client
        The fleet client (:func:`jobsnb.connect`); every call goes through it, within its
        budgets and with its retries.
    things
        The things to offer, all selected. At most one of ``things``, ``group`` and ``frame``;
        with none of them the panel offers the account's things (ListThings), none selected.
    group
        A thing group: its things (and its subgroups'), all selected.
    frame
        A DataFrame with a ``thing_name`` column, e.g. the rows of ``client.pending(...)``
        QUEUED for over two hours: its things, all selected; when it names a single ``job_id``,
        the update targets that job.
    charts
        Live charts (``jobsnb.charts.live(...)``) to show under the panel and refresh after every
        action and with the table; or chart functions, made live on the panel's things.
    every
        Refresh the table and the charts every so many seconds (default: on demand).

    Returns
    -------
    ControlPanel
        The panel; its ``wait()`` blocks until the background work is done.

    Examples
    --------
    >>> import jobsnb
    >>> import jobsnb.widgets
    >>> from jobsnb.service import LocalJobsService
    >>> with LocalJobsService() as service:
    ...     thing = service.backend.create_thing("sensor-1")
    ...     _ = service.backend.create_job("fw-2", targets=[thing.arn], document="{}")
    ...     panel = jobsnb.widgets.control_panel(jobsnb.connect(service), ["sensor-1"])
    ...     panel.wait()
    ...     plan = panel.review_start_next()
    ...     dict(plan.transitions)
    ...     panel.confirm().result()
    ...     panel.wait()
    ...     panel.results[["thing_name", "job_id", "outcome", "status"]].values.tolist()
    ...     panel.close()
    {'QUEUED → IN_PROGRESS': 1}
    [['sensor-1', 'fw-2', 'started', 'IN_PROGRESS']]
    """
    return ControlPanel(client, things=things, group=group, frame=frame, charts=charts, every=every)

"""Charts of a rollout: the fleet client's frames in, plotly figures out.

Every chart is one function that takes a frame first and the same keyword arguments as the
others (``by=``, ``facet=``, ``title=``, ``template=``, ``width=``, ``height=``) and returns a
:class:`plotly.graph_objects.Figure` without showing it:

========================  ======================================  ==============================
chart                     answers                                 frame
========================  ======================================  ==============================
``queue_age``             how long have things waited / run?      ``client.pending(things)``
``status_distribution``   how many are in each status, per job?   pending, executions, summary
``rollout_progress``      how did the statuses move over time?    ``history.read_history(path)``
``execution_timeline``    when did each thing queue/start/finish? ``client.executions(job_id)``
``status_details``        what do devices report (``progress``)?  ``client.describe(frame)``
``time_to_timeout``       which running executions time out soon? ``client.describe(frame)``
========================  ======================================  ==============================

Charts aggregate before they plot: what goes to the browser is bounded by what is drawn, not
by the rows. Up to 2,000 rows a chart draws every execution (a point, a bar); above, box
statistics computed in pandas and the few most extreme executions by name (``queue_age``,
``time_to_timeout``), or how many executions were waiting or running at each of 240 moments
(``execution_timeline``), with a subtitle that says so. A million rows make a figure of well
under 1 MB.

Status colours and order come from one place (:data:`STATUS_COLORS`, :data:`STATUS_ORDER`).
:func:`live` binds a chart to a client and refreshes it in place.

Examples
--------
>>> import pandas as pd
>>> import jobsnb.charts
>>> frame = pd.DataFrame({"job_id": ["fw-2", "fw-2"], "status": ["QUEUED", "SUCCEEDED"]})
>>> fig = jobsnb.charts.status_distribution(frame, title="fw-2")
>>> [trace.name for trace in fig.data], fig.layout.title.text
(['QUEUED', 'SUCCEEDED'], 'fw-2')
"""

from __future__ import annotations

from jobsnb.charts._style import STATUS_COLORS, STATUS_ORDER
from jobsnb.charts.details import status_details
from jobsnb.charts.live import LiveChart, live
from jobsnb.charts.queues import queue_age
from jobsnb.charts.statuses import rollout_progress, status_distribution
from jobsnb.charts.timeline import execution_timeline
from jobsnb.charts.timeouts import time_to_timeout

__all__ = [
    "STATUS_COLORS",
    "STATUS_ORDER",
    "LiveChart",
    "execution_timeline",
    "live",
    "queue_age",
    "rollout_progress",
    "status_details",
    "status_distribution",
    "time_to_timeout",
]

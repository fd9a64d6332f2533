"""Charts of big frames: what they draw is pandas' own statistics of the rows, and stays small.

The frames are the benchmark's (benchmarks/charts_scale.py): synthetic, typed to the schema.
A few thousand rows are enough to make a chart aggregate (above 2,000); the numbers drawn are
checked against pandas' quantile(), value counts and boolean sums of the same frame.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

import jobsnb.charts as charts
from benchmarks.charts_scale import (
    CHARTS,
    described_frame,
    executions_frame,
    history_frame,
    pending_frame,
)
from jobsnb.charts._aggregate import AGGREGATE_ABOVE, EXTREMES

UNITS = {"seconds": "1s", "minutes": "1min", "hours": "1h", "days": "1D"}


def unit_of(axis_title: str) -> pd.Timedelta:
    """The unit an axis title names: ``Queue age (hours)`` → one hour."""
    return pd.Timedelta(UNITS[axis_title.rsplit("(", 1)[1].rstrip(")")])


def tukey(values: pd.Series) -> dict[str, float]:
    """Quartiles and whisker ends of ``values``, the way a box plot defines them."""
    q1, median, q3 = values.quantile([0.25, 0.5, 0.75])
    reach = 1.5 * (q3 - q1)
    inside = values[(values >= q1 - reach) & (values <= q3 + reach)]
    return {
        "q1": q1,
        "median": median,
        "q3": q3,
        "lowerfence": inside.min(),
        "upperfence": inside.max(),
    }


def drawn_box(trace: Any) -> dict[str, dict[str, float]]:
    """A precomputed box trace's statistics per category."""
    keys = ("q1", "median", "q3", "lowerfence", "upperfence")
    return {
        category: {key: getattr(trace, key)[i] for key in keys}
        for i, category in enumerate(trace.y)
    }


def names_in(hovertext: Any) -> set[str]:
    """The thing names a hover text starts with (``<b>thing</b>...``)."""
    return {text.split("</b>")[0].removeprefix("<b>") for text in hovertext}


def assert_stats_equal(drawn: dict[str, float], expected: dict[str, float]) -> None:
    assert drawn == pytest.approx(expected, rel=1e-12)


# --- queue_age ---------------------------------------------------------------------------------


def test_queue_age_of_a_big_frame_draws_pandas_quartiles_and_the_oldest() -> None:
    frame = pending_frame(3_000)
    figure = charts.queue_age(frame)

    assert [(t.name, t.type) for t in figure.data] == [
        ("QUEUED", "box"), ("QUEUED", "scatter"), ("QUEUED", "scatter"),
        ("oldest waiting", "scatter"),
        ("IN_PROGRESS", "box"), ("IN_PROGRESS", "scatter"), ("IN_PROGRESS", "scatter"),
    ]  # fmt: skip
    box, tail, longest, oldest = figure.data[:4]
    assert box.x is None  # no row travels to the browser, only the statistics
    hour = unit_of(figure.layout.xaxis.title.text)
    queued = frame[frame["status"] == "QUEUED"]
    ages = (queued["queue_age"] / hour).groupby(queued["job_id"].astype(str))
    stats = drawn_box(box)
    assert set(stats) == set(ages.groups)
    for job, values in ages:
        assert_stats_equal(stats[job], tukey(values))

    # The 20 longest waits of each job, by name, are pandas' nlargest of each job.
    for job, values in ages:
        top = queued.loc[values.nlargest(EXTREMES).index, "thing_name"]
        shown = [text for text, y in zip(longest.hovertext, longest.y, strict=True) if y == job]
        assert names_in(shown) == set(top)
        assert list(oldest.y).count(job) == 3
    # Beyond the whiskers, every wait is counted in some bin of its job.
    for job, values in ages:
        beyond = (values < stats[job]["lowerfence"]) | (values > stats[job]["upperfence"])
        counts = [int(c[0]) for c, y in zip(tail.customdata, tail.y, strict=True) if y == job]
        assert sum(counts) == beyond.sum() > 0

    running = frame[frame["status"] == "IN_PROGRESS"]
    run_unit = unit_of(figure.layout.xaxis2.title.text)
    for job, values in (running["in_progress_for"] / run_unit).groupby(running["job_id"]):
        assert_stats_equal(drawn_box(figure.data[4])[job], tukey(values))
    assert figure.layout.title.subtitle.text.startswith("3,000 pending executions: boxes")


def test_queue_age_counts_each_bin_beyond_the_whiskers_as_pandas_does() -> None:
    frame = pending_frame(3_000)
    figure = charts.queue_age(frame, by="status")
    tail = figure.data[1]
    hour = unit_of(figure.layout.xaxis.title.text)
    queued = frame[frame["status"] == "QUEUED"]
    ages = queued["queue_age"] / hour
    whiskers = tukey(ages)
    beyond = ages[(ages < whiskers["lowerfence"]) | (ages > whiskers["upperfence"])]
    for (count, low, high), y in zip(tail.customdata, tail.y, strict=True):
        assert y == "QUEUED"
        last = high == pytest.approx(ages.max())
        inside = (beyond >= low) & ((beyond <= high) if last else (beyond < high))
        assert count == inside.sum() > 0


def test_queue_age_of_a_small_frame_keeps_every_point() -> None:
    frame = pending_frame(300)
    figure = charts.queue_age(frame)
    assert [t.name for t in figure.data] == ["QUEUED", "oldest waiting", "IN_PROGRESS"]
    queued, _, running = figure.data
    assert len(queued.x) + len(running.x) == 300
    assert queued.q1 is None
    assert figure.layout.title.subtitle.text is None


def test_queue_age_of_a_big_frame_keeps_every_row_only_when_asked() -> None:
    frame = pending_frame(AGGREGATE_ABOVE + 1)
    figure = charts.queue_age(frame, points="outliers")
    assert len(figure.data[0].x) + len(figure.data[2].x) == AGGREGATE_ABOVE + 1
    boxes_only = charts.queue_age(frame, points=False)
    assert [t.name for t in boxes_only.data] == ["QUEUED", "oldest waiting", "IN_PROGRESS"]
    assert boxes_only.data[0].x is None
    assert boxes_only.layout.title.subtitle.text == (
        f"{AGGREGATE_ABOVE + 1:,} pending executions: boxes from quartiles"
    )


def test_queue_age_of_a_big_frame_with_nothing_running_says_so() -> None:
    frame = pending_frame(3_000)
    figure = charts.queue_age(frame[frame["status"] == "QUEUED"], facet="job_id")
    running = [t for t in figure.data if t.name == "IN_PROGRESS" and t.type == "box"]
    assert len(running) == 4
    assert all(len(t.y) == 0 for t in running)
    assert [a.text for a in figure.layout.annotations].count("nothing running") == 4


# --- time_to_timeout ---------------------------------------------------------------------------


def test_time_to_timeout_of_a_big_frame_draws_pandas_quartiles_and_the_nearest() -> None:
    frame = described_frame(12_000)
    running = frame[frame["status"] == "IN_PROGRESS"]
    assert len(running) > AGGREGATE_ABOVE
    figure = charts.time_to_timeout(frame)

    box, _, nearest, soon = figure.data
    assert [box.type, nearest.name, soon.name] == [
        "box", "IN_PROGRESS", "times out within 10 minutes",
    ]  # fmt: skip
    unit = unit_of(figure.layout.xaxis.title.text)
    left = pd.to_timedelta(running["approximate_seconds_before_timed_out"].astype(float), "s")
    per_job = (left / unit).groupby(running["job_id"].astype(str))
    for job, values in per_job:
        assert_stats_equal(drawn_box(box)[job], tukey(values))
        shown = [text for text, y in zip(nearest.hovertext, nearest.y, strict=True) if y == job]
        expected = running.loc[values.nsmallest(EXTREMES).index, "thing_name"]
        assert names_in(shown) == set(expected)
    within = int((left < pd.Timedelta(minutes=10)).sum())
    assert len(soon.x) <= EXTREMES * per_job.ngroups < within
    assert figure.layout.title.subtitle.text.startswith(
        f"{within:,} of {len(running):,} running executions time out within 10 minutes<br>"
    )


# --- execution_timeline ------------------------------------------------------------------------


def test_execution_timeline_of_a_big_frame_counts_the_bars_at_each_moment() -> None:
    frame = executions_frame(3_000)
    figure = charts.execution_timeline(frame)

    names = ["queued → started", "IN_PROGRESS", "SUCCEEDED", "FAILED", "TIMED_OUT", "REJECTED"]
    assert [t.name for t in figure.data] == names
    assert {t.stackgroup for t in figure.data} == {"bars"}
    moments = pd.to_datetime(pd.Series(figure.data[0].x)).dt.tz_localize("UTC")
    assert len(moments) == 240
    now = frame[["queued_at", "started_at", "last_updated_at"]].max().max()
    status = frame["status"].astype(str)
    waited = frame["started_at"].fillna(frame["last_updated_at"]).where(status != "QUEUED", now)
    ran = frame["last_updated_at"].where(status != "IN_PROGRESS", now)

    def covering(start: pd.Series, end: pd.Series, at: pd.Timestamp) -> int:
        return int(((start <= at) & (end > at)).sum())

    for i in (0, 60, 120, 239):
        at = moments[i]
        assert figure.data[0].y[i] == covering(frame["queued_at"], waited, at)
        for trace in figure.data[1:]:
            mine = status == trace.name
            assert trace.y[i] == covering(frame["started_at"][mine], ran[mine], at)
    assert "3,000 executions, too many to draw one by one" in figure.layout.title.subtitle.text
    assert figure.layout.yaxis.title.text == "Executions"


def test_execution_timeline_of_a_small_frame_keeps_a_bar_per_thing() -> None:
    figure = charts.execution_timeline(executions_frame(AGGREGATE_ABOVE))
    assert figure.data[0].type == "bar"
    assert len(figure.data[0].x) == AGGREGATE_ABOVE


# --- the charts that always counted ------------------------------------------------------------


def test_status_details_and_distribution_of_a_big_frame_are_pandas_counts() -> None:
    frame = described_frame(5_000)
    progress = frame["status_details"].map(lambda details: details.get("progress"))
    expected = pd.crosstab(progress.fillna("(not reported)"), frame["status"].astype(str))
    details = charts.status_details(frame, "progress")
    for trace in details.data:
        assert dict(zip(trace.x, trace.y, strict=True)) == expected[trace.name].to_dict()

    distribution = charts.status_distribution(frame)
    counts = frame.groupby(["job_id", "status"], observed=True).size()
    for trace in distribution.data:
        for job, count in zip(trace.y, trace.x, strict=True):
            assert count == counts.get((job, trace.name), 0)

    history = history_frame(4_800)
    progress_figure = charts.rollout_progress(history)
    per_snapshot = history.groupby(["snapshot_at", "status"], observed=True).size()
    for trace in progress_figure.data:
        assert sum(trace.y) == per_snapshot.xs(trace.name, level="status").sum()


# --- what goes to the browser ------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CHARTS))
def test_a_chart_of_200_000_rows_serialises_to_at_most_2_mb(name: str) -> None:
    make, draw = CHARTS[name]
    assert len(draw(make(200_000)).to_json()) <= 2_000_000

"""Write the notebooks in notebooks/ from the cells below, without outputs.

    .venv/bin/python scripts/build_notebooks.py           # (re)write notebooks/*.ipynb
    .venv/bin/python scripts/build_notebooks.py --check   # exit 1 if any differs from here

The notebooks are reviewed as this file: prose in ``md(...)``, code in ``code(...)``; the
``parameters`` cell of each (papermill's convention) comes first after the title. Cell ids are
fixed so that regenerating an unchanged notebook changes nothing.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from textwrap import dedent

import nbformat
from nbformat.notebooknode import NotebookNode

NOTEBOOKS_DIR = Path(__file__).resolve().parents[1] / "notebooks"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


@dataclass
class Cell:
    kind: str
    source: str
    tags: list[str] = field(default_factory=list)


def md(text: str) -> Cell:
    return Cell("markdown", dedent(text).strip("\n"))


def code(text: str, *tags: str) -> Cell:
    return Cell("code", dedent(text).strip("\n"), list(tags))


def parameters(text: str) -> Cell:
    return code(text, "parameters")


# --------------------------------------------------------------------------- 01 quick start
QUICKSTART = [
    md("""
    # jobsnb quick start

    **Who this is for:** anyone who runs firmware updates, certificate rotations or reboots on a
    fleet of devices with [AWS IoT Jobs](https://docs.aws.amazon.com/iot/latest/developerguide/iot-jobs.html)
    and wants to see, from a notebook, what every device is waiting for.

    This notebook needs no AWS account. It starts a **sandbox**: jobsnb's local IoT Jobs service
    (it speaks AWS's real wire protocol) with a few hundred simulated devices in the middle of a
    rollout of several jobs. Then it makes **one call**, `client.pending(things)`, which asks
    every device's data plane `GetPendingJobExecutions` and returns one typed DataFrame, and
    draws two charts from it.

    Run it top to bottom (*Run → Run All Cells*); it takes a few seconds.
    """),
    parameters("""
    # Parameters (papermill convention): change them here or with `papermill -p fleet_size 1000`.
    fleet_size = 300  # simulated devices in the sandbox
    seed = 0  # same seed, same fleet, same history
    endpoint = None  # None: start a sandbox; or the URL of a running `jobsnb serve --fleet N`
    """),
    md("""
    ## A fleet to look at

    `jobsnb.sandbox()` starts the local service on a simulated clock, enrols the devices
    (hardware models, regions, a thing group for each) and runs 45 simulated minutes of rollout,
    so some devices have finished, some are busy and some are still waiting. It has exactly
    `fleet_size` things; a few more enrol after the first simulated hour, to show a CONTINUOUS
    job picking up new devices (the sandbox's summary below says how many).
    `jobsnb.connect()` then gives the **fleet client**: the same object you would get for a real
    AWS account (see [05 · Connecting to AWS](05-connecting-to-aws.ipynb)).
    """),
    code("""
    import jobsnb
    import jobsnb.charts as charts
    """),
    code("""
    sb = jobsnb.sandbox(things=fleet_size, seed=seed) if endpoint is None else None
    client = jobsnb.connect(endpoint or sb)
    things = client.things()  # ListThings: every device of the account
    sb if sb is not None else client
    """),
    md("""
    ## One call: what is every device waiting for?

    One row per (device, pending execution). `queue_position` 0 is what the device would start
    next; `queue_age` is how long it has waited, `in_progress_for` how long a started one has
    been running, both measured at one `snapshot_at` (the service's clock).
    """),
    code("""
    pending = client.pending(things)
    pending.head(8)
    """),
    code("""
    pending.groupby(["job_id", "status"], observed=True).size().unstack(fill_value=0)
    """),
    md("""
    ## How long have they waited?

    Per job: on the left the queue age of every QUEUED execution, on the right how long the
    IN_PROGRESS ones have been running. The longest-waiting devices are marked; hover to see
    their names.
    """),
    code("""
    charts.queue_age(pending).show()
    """),
    md("""
    ## Where does each job stand?

    `client.executions(job_ids)` lists the whole fleet's executions of each job through the
    control plane, finished ones included, one row per device. The chart counts devices per
    status, in rollout order; the share on the right of each bar is the part already finished.
    """),
    code("""
    job_ids = sorted(pending["job_id"].unique())
    executions = client.executions(job_ids)
    charts.status_distribution(executions, title="Devices per status, per job").show()
    """),
    md("""
    ## Watch it move

    `charts.live()` binds a chart to the client: `live.refresh()` asks the fleet again and
    redraws the chart in place. Here the sandbox's clock moves on half an hour and the chart
    follows.
    (`live.start(every=30)` refreshes in the background; the sandbox's `sb.run(speed=60)` lets
    simulated time pass by itself, a minute per second.)
    """),
    code("""
    live = charts.live(
        charts.status_distribution, client, jobs=job_ids, title="Live: devices per status"
    )
    live
    """),
    code("""
    if sb is not None:
        sb.advance("30min")  # thirty simulated minutes of the devices' work, in well under a second
    live.refresh()
    live.frame.groupby("status", observed=True).size()
    """),
    md("""
    ## Next

    - [02 · Fleet queue health](02-fleet-queue-health.ipynb): where the oldest queues are, by
      group and hardware model, and which running executions are close to timing out.
    - [03 · Operating executions](03-operating-executions.ipynb): the control panel, to start
      and update executions.
    - [04 · Rollout history](04-rollout-history.ipynb): snapshots over time in Parquet, analysed
      with pandas.
    - [05 · Connecting to AWS](05-connecting-to-aws.ipynb): the same notebooks against your AWS
      account.

    The sandbox runs until the kernel stops, or until you close it:
    """),
    code("""
    if sb is not None:
        sb.close()
    """),
]


# --------------------------------------------------------------------------- 02 queue health
QUEUE_HEALTH = [
    md("""
    # Fleet queue health

    **The question:** a rollout is under way across the fleet. Which jobs have devices waiting,
    and for how long? Are the oldest queues in one region, or on one hardware model? Which
    executions have been running so long that they are about to time out? Which jobs are
    scheduled for later, and what do the slowest devices say when asked directly?

    A fleet operator asks this every morning; the answers here come from the data plane itself
    (what each device would be told if it asked now), joined with the fleet's thing groups
    using plain pandas.
    """),
    parameters("""
    fleet_size = 400
    seed = 3
    endpoint = None  # None: a sandbox; or the URL of `jobsnb serve --fleet N`
    warm_up = "50min"  # how far into the rollout the sandbox starts
    """),
    code("""
    import pandas as pd

    import jobsnb
    import jobsnb.charts as charts

    sb = jobsnb.sandbox(things=fleet_size, seed=seed, warm_up=warm_up) if endpoint is None else None
    client = jobsnb.connect(endpoint or sb)
    things = client.things()
    print(f"{len(things)} devices")
    """),
    md("""
    One call asks every device's pending executions (GetPendingJobExecutions, at most 200
    requests a second, AWS's default quota):
    """),
    code("""
    pending = client.pending(things)
    at = pending.attrs["snapshot_at"]
    print(f"{len(pending)} pending executions at {at:%H:%M} UTC")
    """),
    md("""
    ## Which jobs have devices waiting, and how long?

    Only QUEUED executions are *waiting*; IN_PROGRESS ones are being worked on. Quantiles tell
    more than the mean: a job whose median device waits two minutes can still have a tail that
    waits an hour. `frame.jobsnb.styled()` shows any frame for reading: durations as `12m 54s`,
    times to the second in UTC, counts as whole numbers.
    """),
    code("""
    queued = pending[pending["status"] == "QUEUED"]
    waits = queued.groupby("job_id")["queue_age"].describe(percentiles=[0.5, 0.9])
    waits[["count", "50%", "90%", "max"]].sort_values("max", ascending=False).jobsnb.styled()
    """),
    md("""
    ## Where are the oldest queues?

    Thing groups say where a device is and what it is. The sandbox names its groups
    `region-…` and `model-…` (your fleet will have its own); `client.groups()` and
    `client.things(group)` read them through the control plane (ListThingGroups,
    ListThingsInThingGroup), and a merge puts a `region` and a `model` column on every pending
    execution.
    """),
    code("""
    membership = pd.DataFrame(
        [(group, thing) for group in client.groups() for thing in client.things(group)],
        columns=["group", "thing_name"],
    )
    kind = membership["group"].str.extract(r"^(region|model)-(.+)$")
    membership = membership.assign(kind=kind[0], value=kind[1]).dropna(subset=["kind"])
    where = membership.pivot_table(
        index="thing_name", columns="kind", values="value", aggfunc="first"
    )
    pending = pending.merge(where.reset_index(), on="thing_name", how="left")
    where.value_counts().unstack(fill_value=0).jobsnb.styled()
    """),
    md("""
    The longest wait per hardware model and region:
    """),
    code("""
    queued = pending[pending["status"] == "QUEUED"]
    oldest = queued.pivot_table(index="model", columns="region", values="queue_age", aggfunc="max")
    oldest.jobsnb.styled()
    """),
    md("""
    The same ages as a chart, one row of boxes per hardware model: the slow models stand out
    by how far right their boxes sit.
    """),
    code("""
    charts.queue_age(pending, by="model", title="Queue age per hardware model").show()
    """),
    md("""
    ## Running executions close to timing out

    An execution that runs too long ends as TIMED_OUT: after its job's
    `inProgressTimeoutInMinutes`, or sooner, after the **step timeout** its device set when it
    last reported (`stepTimeoutInMinutes`). So a job's timeout alone overstates how long an
    execution has left. `DescribeJobExecution` says it per execution: the seconds before the
    nearer of the two (`approximate_seconds_before_timed_out`; missing when no timer runs).
    `client.describe()` asks for every IN_PROGRESS row at once.
    """),
    code("""
    running = client.describe(pending[pending["status"] == "IN_PROGRESS"])
    seconds_left = running["approximate_seconds_before_timed_out"].astype("float")
    left = pd.to_timedelta(seconds_left, unit="s")
    near = running.assign(time_left=left)[left < pd.Timedelta(minutes=10)]
    near = near.merge(pending[["thing_name", "job_id", "model", "region", "in_progress_for"]],
                      on=["thing_name", "job_id"])
    untimed = f"; {left.isna().sum()} have no timer" if left.isna().any() else ""
    print(f"{len(near)} of {len(running)} running executions time out within 10 minutes{untimed}")
    columns = ["thing_name", "job_id", "model", "region", "in_progress_for", "time_left"]
    near.sort_values("time_left")[[*columns, "status_details"]].head(10).jobsnb.styled()
    """),
    md("""
    The same seconds as a chart: every running execution by the time it has left, one row per
    job. Those in the shaded band time out within 10 minutes (the table's rows), and the
    nearest of each job is named; the subtitle counts them as the line above does.
    """),
    code("""
    title = "Time left before timeout, per job"
    charts.time_to_timeout(running, within=pd.Timedelta(minutes=10), title=title).show()
    """),
    md("""
    **What to do with it:** `near` is a frame of (thing, job) pairs; pass it to
    `jobsnb.widgets.control_panel(client, frame=near)` to act on exactly those executions (see
    `03-operating-executions.ipynb`), or to `client.update(near, "FAILED")` to let the jobs'
    retry configs start them again.

    ## Jobs that have not started yet

    A job created with a `schedulingConfig` is **SCHEDULED** until its start time. Devices see
    nothing of it until then (nothing pending, nothing to start), so the queues above leave it
    out; with maintenance windows it then rolls out only inside them. `client.jobs("SCHEDULED")`
    lists such jobs (ListJobs); the job summaries of all of them (`client.jobs()`) say, for each
    job created with a schedule, when it starts, when its next window opens, and what happens at
    its end:
    """),
    code("""
    jobs = client.job_summary(client.jobs())
    later = jobs[jobs["scheduled_start_at"].notna()]
    when = ["job_id", "job_status", "things", "scheduled_start_at", "next_window_at",
            "scheduled_end_at", "end_behavior"]
    later[when].jobsnb.styled()
    """),
    md("""
    Every job in one chart, things per status: a job that is not IN_PROGRESS has its status
    beside its bar, and the scheduled one, with no executions yet, when it starts.
    """),
    code("""
    charts.status_distribution(jobs, title="Things per status, per job").show()
    """),
    md("""
    The sandbox's clock is simulated: move it 20 minutes on, past the start and into the first
    window, and the job's devices are queued inside that window, and only there.
    """),
    code("""
    if sb is not None:
        sb.advance("20min")
    rolled = client.job_summary(later["job_id"])
    columns = ["job_id", "job_status", "things", "things_queued", "things_succeeded",
               "next_window_at"]
    display(rolled[columns].jobsnb.styled())
    queued = client.executions(later["job_id"])["queued_at"]
    print(f"{len(queued)} queued between {queued.min():%H:%M} and {queued.max():%H:%M} UTC")
    """),
    md("""
    ## Asking devices directly: a command fan-out

    A job is for work that takes a while and must reach every device eventually. To ask devices
    something *now* (reboot, send your logs), AWS IoT **Commands** send one request to each
    device, which answers within the execution's timeout or is marked TIMED_OUT by the cloud.
    The sandbox's command registry:
    """),
    code("""
    client.commands()[["command_id", "display_name", "deprecated", "created_at"]].jobsnb.styled()
    """),
    md("""
    `client.start_command` sends one to each thing (StartCommandExecution, within the write
    quota, with a `clientToken` per thing so that a retried call never starts a second
    execution); a thing it could not reach is a row of `frame.jobsnb.errors`, as with every
    other call. Ask the devices with the oldest queues for their logs:
    """),
    code("""
    oldest = pending.sort_values("queue_age", ascending=False)["thing_name"].drop_duplicates()
    sent = client.start_command(oldest.head(40).tolist(), "collect-logs",
                                parameters={"lines": 200}, execution_timeout_seconds=120)
    print(f"{len(sent)} executions started, {len(sent.jobsnb.errors)} errors")
    """),
    md("""
    Three simulated minutes later every device has answered, or the cloud has timed it out
    (a device may still answer after that). `client.command_executions(sent)` reads each
    execution back (GetCommandExecution): its status (an ordered categorical, CREATED first),
    and the device's reason and result. The status chart draws command executions too:
    """),
    code("""
    if sb is not None:
        sb.advance("3min")
    answers = client.command_executions(sent)
    charts.status_distribution(answers, title="What the devices answered").show()
    """),
    md("""
    Those that did not succeed, and why:
    """),
    code("""
    failed = answers[answers["status"] != "SUCCEEDED"]
    columns = ["thing_name", "status", "status_reason_code", "status_reason_description"]
    failed.sort_values("status")[columns].jobsnb.styled()
    """),
    md("""
    The devices that succeeded name their log archive in their `result`:
    """),
    code("""
    answers[answers["status"] == "SUCCEEDED"][["thing_name", "result"]].head(5).jobsnb.styled()
    """),
    code("""
    if sb is not None:
        sb.close()
    """),
]


# --------------------------------------------------------------------------- 03 operating
OPERATING = [
    md("""
    # Operating executions

    **Who this is for:** an operator (or a developer testing device code) who must act on job
    executions: start the next pending one on a device, report a status, or clean up many
    stuck ones at once, without overwriting what the devices did meanwhile.

    The **control panel** does it with widgets: pick the things, review what an action will
    do, confirm, and read per thing what came of it. Every click is an ordinary method, so
    this notebook drives the panel from code, exactly as the buttons do; run it in JupyterLab
    and use the buttons too.
    """),
    parameters("""
    fleet_size = 300
    seed = 5
    endpoint = None  # None: a sandbox; or the URL of `jobsnb serve --fleet N`
    """),
    code("""
    import boto3

    import jobsnb
    import jobsnb.charts as charts
    import jobsnb.widgets

    sb = jobsnb.sandbox(things=fleet_size, seed=seed, warm_up="40min") if endpoint is None else None
    client = jobsnb.connect(endpoint or sb)
    pending = client.pending(client.things())
    pending.groupby(["job_id", "status"], observed=True).size().unstack(fill_value=0)
    """),
    md("""
    ## The panel

    The panel opens on the devices of one job that have something pending, with a live chart
    of that job's statuses underneath. The table shows each selected device's pending
    executions; the chart refreshes after every action.
    """),
    code("""
    job_id = pending["job_id"].value_counts().index[0]  # the job with the most pending executions
    on_job = pending[pending["job_id"] == job_id]
    chart = charts.live(
        charts.status_distribution, client, jobs=[job_id], title=f"{job_id}: devices per status"
    )
    panel = jobsnb.widgets.control_panel(
        client, frame=on_job[["thing_name", "job_id"]], charts=[chart]
    )
    panel.wait()
    panel
    """),
    md("""
    ## Start and update one device

    Select one device whose execution is QUEUED, press **Start next…**, then **Confirm**:
    the panel calls `StartNextPendingJobExecution` for it, as the device would. Then
    **Set status** SUCCEEDED and **Update…**, **Confirm**. In code:
    """),
    code("""
    # A device whose *next* execution (queue position 0) is this job's, still QUEUED.
    ready = on_job[(on_job["status"] == "QUEUED") & (on_job["queue_position"] == 0)]
    one = ready["thing_name"].iloc[0]
    panel.picker.select([one])
    panel.wait()
    panel.details.add_row("progress", "0%")  # statusDetails, checked against AWS's limits as typed
    print(panel.review_start_next().summary)  # the review names the job and what is sent
    panel.confirm()
    panel.wait()
    columns = ["thing_name", "job_id", "outcome", "status_before", "status", "version_number"]
    panel.results[columns].jobsnb.styled()
    """),
    code("""
    panel.status.value = "SUCCEEDED"
    panel.details.add_row("progress", "100%")  # statusDetails are sent once, then cleared
    print(panel.review_update().summary)
    panel.confirm()
    panel.wait()
    panel.results[columns].jobsnb.styled()
    """),
    md("""
    ## A bulk action, and a conflict

    The ten executions of the job that have run longest are marked FAILED at once: devices
    that went quiet mid-update would otherwise hold them until the timeout, and FAILED hands
    them to the job's retry config, which queues a fresh attempt.

    The panel reads what it shows before the review; every update then sends the version it
    saw as `expectedVersion`. While the operator reviews, **the devices keep working**: one of
    them reports progress itself (the `boto3` call below is what its device code would send)
    and the sandbox's clock moves on five minutes. Executions that changed since they were
    read are not overwritten: the service refuses the update, and the panel lists them as
    `conflict`, with their current state.
    """),
    code("""
    longest = on_job[on_job["status"] == "IN_PROGRESS"].nlargest(10, "in_progress_for")
    panel.picker.select(list(longest["thing_name"]))
    panel.wait()
    panel.status.value = "FAILED"
    panel.details.add_row("reason", "stalled: failed by the operator")
    plan = panel.review_update()
    print(plan.summary)
    """),
    code("""
    # Meanwhile, one device reports progress (its own data-plane call) and time passes.
    device = boto3.client(
        "iot-jobs-data", endpoint_url=client.endpoint_url, region_name="us-east-1",
        aws_access_key_id="device", aws_secret_access_key="device",
    )
    busy = longest["thing_name"].iloc[0]
    device.update_job_execution(thingName=busy, jobId=job_id, status="IN_PROGRESS",
                                statusDetails={"progress": "90%"})
    if sb is not None:
        sb.advance("5min")

    panel.confirm()
    panel.wait()
    results = panel.results
    results["outcome"].value_counts()
    """),
    code("""
    conflicts = results[results["outcome"] == "conflict"]
    columns = ["thing_name", "status_before", "status", "version_number", "error_code", "message"]
    conflicts[columns].jobsnb.styled()
    """),
    md("""
    The same protection without the panel: `client.update(frame, status)` sends each row's
    `version_number` as `expectedVersion`. Sending the stale frame again answers each changed
    execution with AWS's own error (`InvalidStateTransitionException`, *VersionMismatch*), a row
    of `frame.jobsnb.errors`, instead of overwriting it:
    """),
    code("""
    stale = longest[longest["thing_name"].isin(conflicts["thing_name"])]
    again = client.update(stale, "FAILED", on_error="ignore")
    errors = again.jobsnb.errors
    errors[["thing_name", "job_id", "operation", "error_code", "message"]].jobsnb.styled()
    """),
    md("""
    ## The charts follow

    The live chart under the panel was refreshed after each action. Let another half hour of
    the rollout pass and refresh the panel: the table and the chart move on together.
    """),
    code("""
    if sb is not None:
        sb.advance("30min")
    panel.refresh()
    panel.wait()
    chart.frame.groupby("status", observed=True).size()
    """),
    md("""
    The panel and the sandbox keep running while the kernel does: scroll up and use the panel's
    buttons. When you are done, `panel.close()` stops its background work and `sb.close()` the
    sandbox (restarting the kernel does both).
    """),
]


# --------------------------------------------------------------------------- 04 history
HISTORY = [
    md("""
    # Rollout history

    **The question a data team asks after a rollout:** how did it progress, how many devices
    needed a retry, and how did each device end up?

    The data plane only tells the present. To see a rollout over time, take a **snapshot** at
    regular intervals and keep them: `jobsnb.history.to_history(frame, path)` appends a frame,
    stamped with its `snapshot_at`, to a Parquet dataset partitioned by date (a local folder or
    an `s3://bucket/prefix`; `jobsnb snapshot` does it from cron). Here a sandbox rollout runs for
    hours of simulated time, with a snapshot every few minutes; then the dataset is read back
    and analysed with plain pandas, as any data pipeline would.
    """),
    parameters("""
    fleet_size = 300
    seed = 11
    endpoint = None  # None: a sandbox; or the URL of `jobsnb serve --fleet N`
    snapshots = 20  # how many snapshots to take
    every = "6min"  # between snapshots (simulated in the sandbox; real time otherwise)
    history_path = "history/rollout"  # the Parquet dataset (a directory)
    """),
    code("""
    import shutil
    import time
    from pathlib import Path

    import pandas as pd

    import jobsnb
    import jobsnb.charts as charts
    from jobsnb.history import read_history, to_history

    sb = jobsnb.sandbox(things=fleet_size, seed=seed, warm_up="5min") if endpoint is None else None
    # The sandbox has no quotas to respect: lift the control-plane budget (AWS's is 10 requests/s).
    client = jobsnb.connect(endpoint or sb, control_per_second=200)
    shutil.rmtree(history_path, ignore_errors=True)  # start this notebook's history afresh
    """),
    md("""
    ## Snapshots over time

    Each snapshot is `client.executions(job_ids)`: every device's latest execution of every
    job, terminal ones included, with `retry_attempt`. Jobs launched meanwhile join the list.
    """),
    code("""
    def jobs_so_far():
        pages = client.control.get_paginator("list_jobs").paginate()
        return sorted(job["jobId"] for page in pages for job in page["jobs"])


    for _ in range(snapshots):
        frame = client.executions(jobs_so_far(), progress=False)
        to_history(frame, history_path, snapshot_at=pd.Timestamp(sb.now) if sb else None)
        if sb is not None:
            sb.advance(every)
        else:
            time.sleep(pd.Timedelta(every).total_seconds())

    files = sorted(Path(history_path).rglob("*.parquet"))  # one file a snapshot, in date folders
    size = sum(f.stat().st_size for f in files)
    dates = ", ".join(sorted({f.parent.name for f in files}))
    print(f"{len(files)} Parquet files in {history_path}/ ({dates}), {size / 1e3:.0f} kB")
    """),
    md("""
    ## Read it back

    `read_history` reads the snapshots into one frame and restores what Parquet cannot hold
    as such (the ordered `status` categorical, `status_details` dicts). Any Parquet reader
    works too: pyarrow, DuckDB, Polars, Spark, Athena (the README says how).
    """),
    code("""
    history = read_history(history_path)
    print(history.dtypes.to_string())
    history.tail().jobsnb.styled()  # durations, times and statusDetails written for reading
    """),
    md("""
    On a big fleet, ask only for what you need: `jobs=`, `things=`, `since=`, `until=` and
    `columns=` are pushed down to the files, so one job's last snapshot reads a small part of
    the dataset.
    """),
    code("""
    last_of_one_job = read_history(
        history_path, jobs=history["job_id"].iloc[0], since=history["snapshot_at"].max()
    )
    last_of_one_job.head().jobsnb.styled()
    """),
    md("""
    ## How the rollout moved

    Devices per status at each snapshot, per job: a pivot table, and the same as a chart.
    """),
    code("""
    counts = history.pivot_table(
        index=["job_id", "snapshot_at"], columns="status", values="thing_name",
        aggfunc="count", observed=True, fill_value=0,
    )
    one_job = counts.loc[counts.index.get_level_values("job_id")[0]]
    one_job.iloc[::4].jobsnb.styled()  # one job, every 4th snapshot
    """),
    code("""
    charts.rollout_progress(history, facet="job_id", title="Rollout progress, per job").show()
    """),
    md("""
    ## Retries and final outcomes per device

    The last snapshot holds each device's final word on each job. `retry_attempt` counts the
    attempts before the latest: devices that needed a retry, and whether the retry helped.
    """),
    code("""
    final = history[history["snapshot_at"] == history["snapshot_at"].max()]
    outcomes = pd.crosstab(
        final["job_id"], final["status"].astype("string"), margins=True, margins_name="all"
    )
    outcomes.jobsnb.styled()
    """),
    code("""
    retried = final.assign(retried=final["retry_attempt"] > 0)
    by_retry = pd.crosstab(
        [retried["job_id"], retried["retried"]], retried["status"].astype("string")
    )
    by_retry.jobsnb.styled()
    """),
    md("""
    How long did it take each device, from being queued to its final status? And when did a
    device first reach its final status: the earliest snapshot that already shows it.
    """),
    code("""
    done = final[final["status"].isin(["SUCCEEDED", "FAILED", "TIMED_OUT", "REJECTED"])]
    took = (done["last_updated_at"] - done["queued_at"]).rename("queued_to_final")
    took.groupby([done["job_id"], done["status"]], observed=True).describe()[
        ["count", "50%", "max"]
    ].jobsnb.styled()
    """),
    code("""
    keys = ["job_id", "thing_name", "status", "execution_number"]
    reached = history.merge(done[keys], on=keys)
    first_seen = reached.groupby(["job_id", "thing_name"])["snapshot_at"].min().rename("first_seen")
    per_thing = done.set_index(["job_id", "thing_name"])[["status", "retry_attempt"]]
    per_thing = per_thing.join(first_seen)
    per_thing.sort_values("first_seen").tail(10).jobsnb.styled()  # the last devices to finish
    """),
    code("""
    if sb is not None:
        sb.close()
    """),
]


# --------------------------------------------------------------------------- 05 AWS
AWS = [
    md("""
    # Connecting to AWS

    Everything in these notebooks runs against a real AWS account by changing one line:
    `jobsnb.connect()` with no endpoint instead of `jobsnb.connect(sb)`. This notebook says
    what that takes, and then runs either against your account (when you set `use_aws = True`
    and credentials are found) or, by default, against the sandbox, so it always runs.

    Against AWS it only **reads** (DescribeEndpoint, ListThings, GetPendingJobExecutions,
    DescribeJobExecution, DescribeJob, ListJobExecutionsForJob): nothing on your fleet changes.
    """),
    parameters("""
    use_aws = False  # True: use your AWS account when credentials are found
    profile_name = None  # an AWS profile from ~/.aws/config, or None for the default chain
    region_name = None  # e.g. "eu-west-1"; None: AWS_DEFAULT_REGION, the profile's, or AWS_REGION
    endpoint = None  # the data-plane endpoint; None: found with DescribeEndpoint
    fleet_size = 300  # the sandbox's fleet, when not on AWS
    seed = 0
    max_things = 200  # at most this many things are asked about
    """),
    md("""
    ## What to configure

    1. **Credentials**: anything boto3 finds: `aws configure` / `aws sso login` (a profile in
       `~/.aws/config`), the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
       `AWS_SESSION_TOKEN`), or the role of the machine (EC2, SageMaker, ECS). Pass
       `profile_name=` or a ready `boto3_session=` to `jobsnb.connect`.
    2. **Region**: the region your things live in. The first of: `region_name=`,
       `AWS_DEFAULT_REGION` (the variable boto3 reads), the profile's `region`, and
       `AWS_REGION` (which the newer AWS SDKs read; jobsnb takes it when boto3 found none).
       IoT things, jobs and endpoints are per region.
    3. **The data-plane endpoint**: each account has its own IoT Jobs endpoint,
       `https://<prefix>.jobs.iot.<region>.amazonaws.com`. `jobsnb.connect()` finds it itself
       with the control plane's `DescribeEndpoint(endpointType="iot:Jobs")`, or
       `iot:Data-ATS` where the account refuses that type; or pass it as `endpoint_url=`, with
       its `https://` (`aws iot describe-endpoint --endpoint-type iot:Jobs` prints it).
    4. **Permissions**: the reads below. The policy allows exactly the calls that notebooks 01,
       02, 04 and this one make; all of them only read.

    A policy for the identity that runs the notebooks (narrow `Resource` to your account's
    things and jobs, e.g. `arn:aws:iot:eu-west-1:123456789012:thing/*` and `…:job/*`):

    ```json
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Sid": "JobsDataPlaneReads",
          "Effect": "Allow",
          "Action": [
            "iotjobsdata:GetPendingJobExecutions",
            "iotjobsdata:DescribeJobExecution"
          ],
          "Resource": "*"
        },
        {
          "Sid": "ControlPlaneReads",
          "Effect": "Allow",
          "Action": [
            "iot:DescribeEndpoint",
            "iot:ListThings",
            "iot:ListThingGroups",
            "iot:ListThingsInThingGroup",
            "iot:ListJobs",
            "iot:DescribeJob",
            "iot:ListJobExecutionsForJob"
          ],
          "Resource": "*"
        }
      ]
    }
    ```

    **Writes, for [03 · Operating executions](03-operating-executions.ipynb).** Its control
    panel starts and updates executions *as the device* would
    (`iotjobsdata:StartNextPendingJobExecution`, `iotjobsdata:UpdateJobExecution`). Grant
    them only to the identity of an operator meant to change executions, as a third statement
    of the policy above, on the things they may act for:

    ```json
    {
      "Sid": "JobsDataPlaneWrites",
      "Effect": "Allow",
      "Action": [
        "iotjobsdata:StartNextPendingJobExecution",
        "iotjobsdata:UpdateJobExecution"
      ],
      "Resource": "arn:aws:iot:eu-west-1:123456789012:thing/*"
    }
    ```

    **Quotas.** AWS allows about 200 data-plane reads and 200 writes per second per account and
    about 10 requests per second for the control-plane job APIs. The client's budgets default
    to these (`reads_per_second=`, `writes_per_second=`, `control_per_second=`); lower them
    when other tools share the account. Throttled calls are slowed down and retried.
    """),
    md("""
    ## Connect: your account if asked for and possible, else the sandbox

    Credentials are looked for only when `use_aws` is set, so that the default run never
    contacts AWS (not even the instance-metadata service).
    """),
    code("""
    import boto3

    import jobsnb
    import jobsnb.charts as charts
    """),
    code("""
    sb = None
    credentials = None
    if use_aws:
        session = boto3.Session(profile_name=profile_name, region_name=region_name)
        credentials = session.get_credentials()
        if credentials is None:
            print("use_aws is set but boto3 found no credentials: using the sandbox instead.")

    if use_aws and credentials is not None:
        client = jobsnb.connect(endpoint, boto3_session=session, region_name=session.region_name)
        region = client.control.meta.region_name
        print(f"AWS account, region {region}, data plane {client.endpoint_url}")
    else:
        sb = jobsnb.sandbox(things=fleet_size, seed=seed)
        client = jobsnb.connect(sb)
        print(f"sandbox at {client.endpoint_url} (no AWS account used)")
    """),
    md("""
    ## The same calls, whichever it is

    The endpoint the client uses is what DescribeEndpoint answered for `iot:Jobs` (or for
    `iot:Data-ATS` where the account refuses `iot:Jobs`; the sandbox answers its own URL):
    """),
    code("""
    client.endpoint_url
    """),
    code("""
    things = client.things()[:max_things]
    pending = client.pending(things)
    print(f"{len(things)} things asked, {len(pending)} pending executions")
    pending.head()
    """),
    code("""
    charts.queue_age(pending).show()
    """),
    code("""
    job_ids = sorted(pending["job_id"].unique())
    summary = client.job_summary(job_ids) if job_ids else None
    summary
    """),
    code("""
    if summary is not None:
        charts.status_distribution(summary, title="Things vs attempts, per job").show()
    """),
    md("""
    ## Errors are data

    Against a real account some calls fail: a thing the role may not read, a throttled burst
    that ran out of retries, an execution that is gone. They never stop the other calls; each
    becomes a row of `frame.jobsnb.errors` with the AWS error code (and a warning says how
    many, unless `on_error="ignore"`). Here one of the executions asked about does not exist:
    """),
    code("""
    asked = list(pending[["thing_name", "job_id"]].head(3).itertuples(index=False, name=None))
    described = client.describe([*asked, (things[0], "no-such-job")], on_error="ignore")
    print(f"{len(described)} described")
    described.jobsnb.errors
    """),
    md("""
    ## Device code and other tools against the local service

    The sandbox, or `jobsnb serve` from a terminal, is an IoT Jobs endpoint like AWS's. Device
    code under test points its SDK at it, with any credentials: `endpoint_url=` in boto3,
    `--endpoint-url` in the AWS CLI, or the environment variables
    `AWS_ENDPOINT_URL_IOT_JOBS_DATA_PLANE` (the data plane) and `AWS_ENDPOINT_URL_IOT` (the
    control plane), which boto3 and the AWS CLI read.

    Here another Python process, as device code would be, finds this notebook's sandbox through
    those variables alone (the sandbox runs until the last cell closes it):
    """),
    code("""
    import os
    import subprocess
    import sys

    device_code = \"\"\"
    import sys, boto3
    jobs = boto3.client("iot-jobs-data")  # no endpoint_url: the environment says where
    answer = jobs.get_pending_job_executions(thingName=sys.argv[1])
    running, queued = len(answer["inProgressJobs"]), len(answer["queuedJobs"])
    print(f"{sys.argv[1]} asked {jobs.meta.endpoint_url}: {running} in progress, {queued} queued")
    \"\"\"
    if sb is not None:
        env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
        env.update(
            AWS_ENDPOINT_URL_IOT_JOBS_DATA_PLANE=sb.url,
            AWS_ENDPOINT_URL_IOT=sb.url,
            AWS_DEFAULT_REGION="us-east-1",
            AWS_ACCESS_KEY_ID="any",
            AWS_SECRET_ACCESS_KEY="any",
        )
        device = [sys.executable, "-c", device_code, pending["thing_name"].iloc[0]]
        ran = subprocess.run(device, env=env, capture_output=True, text=True, check=True)
        print(ran.stdout, end="")
    """),
    md("""
    Outside the notebook, from a terminal, `jobsnb serve` gives an endpoint that outlives it
    (for example on port 8700, with a simulated fleet of 300 devices):

    ```bash
    jobsnb serve --port 8700 --fleet 300     # leave it running; in a second terminal:
    export AWS_ENDPOINT_URL_IOT_JOBS_DATA_PLANE=http://127.0.0.1:8700
    export AWS_ENDPOINT_URL_IOT=http://127.0.0.1:8700
    export AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=any AWS_SECRET_ACCESS_KEY=any
    aws iot list-things --max-results 3
    aws iot-jobs-data get-pending-job-executions --thing-name gw200-00001
    ```

    The sandbox runs until the kernel stops, or until you close it:
    """),
    code("""
    if sb is not None:
        sb.close()
    """),
]


NOTEBOOKS = {
    "01-quickstart": QUICKSTART,
    "02-fleet-queue-health": QUEUE_HEALTH,
    "03-operating-executions": OPERATING,
    "04-rollout-history": HISTORY,
    "05-connecting-to-aws": AWS,
}


def build(stem: str, cells: list[Cell]) -> NotebookNode:
    """The notebook ``stem`` without outputs, with fixed cell ids."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = dict(KERNELSPEC)
    notebook.metadata["language_info"] = {"name": "python"}
    for index, cell in enumerate(cells):
        cell_id = f"{stem[:2]}-{index:02d}"
        if cell.kind == "markdown":
            made = nbformat.v4.new_markdown_cell(cell.source, id=cell_id)
        else:
            made = nbformat.v4.new_code_cell(cell.source, id=cell_id)
            if cell.tags:
                made.metadata["tags"] = list(cell.tags)
        notebook.cells.append(made)
    nbformat.validate(notebook)
    return notebook


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check; exit 1 on a difference")
    parser.add_argument("--out", type=Path, default=NOTEBOOKS_DIR)
    args = parser.parse_args()
    stale = []
    for stem, cells in NOTEBOOKS.items():
        path = args.out / f"{stem}.ipynb"
        text = nbformat.writes(build(stem, cells)) + "\n"
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(path.name)
            continue
        args.out.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(path)
    if stale:
        print(f"out of date, run scripts/build_notebooks.py: {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

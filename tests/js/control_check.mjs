// The AWS SDK for JavaScript v3's IoT control-plane client against the local IoT Jobs service:
// a job created, changed while it rolls out (UpdateJob), given a target (AssociateTargetsWithJob),
// listed and described; a scheduled job with a maintenance window (its startTime and endTime
// from JOBSNB_START_TIME / JOBSNB_END_TIME); and two refusals. Prints one JSON object on stdout.
//
//   JOBSNB_SERVICE_URL=http://127.0.0.1:PORT node tests/js/control_check.mjs
import {
  AssociateTargetsWithJobCommand,
  CreateJobCommand,
  CreateThingCommand,
  DescribeJobCommand,
  ListJobsCommand,
  UpdateJobCommand,
} from "@aws-sdk/client-iot";

import { iot as client, refusal as refused } from "./sdk.mjs";

const refusal = (command) => refused(client, command);

const arns = [];
for (const thingName of ["js-1", "js-2", "js-3"]) {
  arns.push((await client.send(new CreateThingCommand({ thingName }))).thingArn);
}
const created = await client.send(
  new CreateJobCommand({
    jobId: "js-rollout",
    targets: arns.slice(0, 2),
    document: JSON.stringify({ operation: "reboot" }),
    targetSelection: "CONTINUOUS",
    jobExecutionsRolloutConfig: { maximumPerMinute: 1 },
  }),
);
const before = (await client.send(new DescribeJobCommand({ jobId: "js-rollout" }))).job;
await client.send(
  new UpdateJobCommand({
    jobId: "js-rollout",
    description: "changed from JavaScript",
    timeoutConfig: { inProgressTimeoutInMinutes: 9 },
  }),
);
const associated = await client.send(
  new AssociateTargetsWithJobCommand({ jobId: "js-rollout", targets: [arns[2]], comment: "one more" }),
);
const after = (await client.send(new DescribeJobCommand({ jobId: "js-rollout" }))).job;
const listed = await client.send(new ListJobsCommand({ status: "IN_PROGRESS" }));
await client.send(
  new CreateJobCommand({
    jobId: "js-scheduled",
    targets: [arns[0]],
    document: "{}",
    schedulingConfig: {
      startTime: process.env.JOBSNB_START_TIME,
      endTime: process.env.JOBSNB_END_TIME,
      endBehavior: "CANCEL",
      maintenanceWindows: [{ startTime: "cron(0 2 ? * * *)", durationInMinutes: 60 }],
    },
  }),
);
const scheduled = (await client.send(new DescribeJobCommand({ jobId: "js-scheduled" }))).job;
const waiting = await client.send(new ListJobsCommand({ status: "SCHEDULED" }));

console.log(
  JSON.stringify({
    created: { jobId: created.jobId, jobArn: created.jobArn },
    before: {
      status: before.status,
      isConcurrent: before.isConcurrent,
      createdAt: before.createdAt.toISOString(),
      rollout: before.jobExecutionsRolloutConfig,
    },
    after: {
      description: after.description,
      timeoutConfig: after.timeoutConfig,
      comment: after.comment,
      targets: after.targets,
      lastUpdatedAtIsDate: after.lastUpdatedAt instanceof Date,
    },
    associated: { jobId: associated.jobId, jobArn: associated.jobArn },
    listed: listed.jobs.map((job) => ({ jobId: job.jobId, status: job.status, isConcurrent: job.isConcurrent })),
    scheduled: {
      status: scheduled.status,
      schedulingConfig: scheduled.schedulingConfig,
      scheduledJobRollouts: scheduled.scheduledJobRollouts,
      listed: waiting.jobs.map((job) => job.jobId),
    },
    missing: await refusal(new UpdateJobCommand({ jobId: "nope", description: "x" })),
    unsupported: await refusal(
      new UpdateJobCommand({ jobId: "js-rollout", namespaceId: "factory" }),
    ),
  }),
);

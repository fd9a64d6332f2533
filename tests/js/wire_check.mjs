// The AWS SDK for JavaScript v3 against the local IoT Jobs service: a device's calls, then a
// stale update whose refusal must carry executionState. Prints one JSON object on stdout.
//
//   JOBSNB_SERVICE_URL=http://127.0.0.1:PORT JOBSNB_THING=t1 node tests/js/wire_check.mjs
//
// Only dummy credentials are used; the service does not check signatures.
import {
  DescribeJobExecutionCommand,
  GetPendingJobExecutionsCommand,
  IoTJobsDataPlaneClient,
  StartNextPendingJobExecutionCommand,
  UpdateJobExecutionCommand,
} from "@aws-sdk/client-iot-jobs-data-plane";

const endpoint = process.env.JOBSNB_SERVICE_URL;
const thingName = process.env.JOBSNB_THING ?? "t1";
if (!endpoint) {
  console.error("JOBSNB_SERVICE_URL is not set (the local service's URL)");
  process.exit(2);
}

const client = new IoTJobsDataPlaneClient({
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
  maxAttempts: 1,
});

const pending = await client.send(new GetPendingJobExecutionsCommand({ thingName }));
const started = await client.send(new StartNextPendingJobExecutionCommand({ thingName }));
const jobId = started.execution.jobId;
const described = await client.send(new DescribeJobExecutionCommand({ thingName, jobId }));
const version = described.execution.versionNumber;
const updated = await client.send(
  new UpdateJobExecutionCommand({
    thingName,
    jobId,
    status: "IN_PROGRESS",
    statusDetails: { step: "js" },
    expectedVersion: version,
    includeJobExecutionState: true,
  }),
);

let stale;
try {
  await client.send(
    new UpdateJobExecutionCommand({ thingName, jobId, status: "SUCCEEDED", expectedVersion: version }),
  );
  stale = { thrown: false };
} catch (err) {
  stale = {
    thrown: true,
    name: err.name,
    httpStatusCode: err.$metadata?.httpStatusCode,
    message: err.message,
    executionState: err.executionState ?? null,
  };
}

const summary = (execution) => ({
  jobId: execution.jobId,
  status: execution.status,
  versionNumber: execution.versionNumber,
  executionNumber: execution.executionNumber,
});

console.log(
  JSON.stringify({
    pending: {
      queued: pending.queuedJobs.map((job) => job.jobId),
      inProgress: pending.inProgressJobs.map((job) => job.jobId),
    },
    started: summary(started.execution),
    described: { ...summary(described.execution), jobDocument: described.execution.jobDocument },
    updated: updated.executionState,
    stale,
  }),
);

// The AWS SDK for JavaScript v3 against the local service's AWS IoT Commands, in two phases
// (JOBSNB_PHASE). "start": a static command whose payload is raw bytes and a dynamic one with a
// payloadTemplate and mandatoryParameters, created, got and listed with the control-plane
// client; an execution of each started with the data-plane client (the static one twice, with
// one clientToken); GetCommandExecution, ListCommandExecutions, and refusals of an unknown
// command. "read" (after the device answered, JOBSNB_EXECUTIONS naming the executions):
// GetCommandExecution with and without its result, and ListCommandExecutions by command.
// Prints one JSON object on stdout: answers without $metadata, Dates as ISO strings,
// Uint8Arrays as {"$bytes": base64}.
//
//   JOBSNB_SERVICE_URL=http://127.0.0.1:PORT JOBSNB_PHASE=start node tests/js/commands_check.mjs
import {
  CreateCommandCommand,
  CreateThingCommand,
  GetCommandCommand,
  GetCommandExecutionCommand,
  ListCommandExecutionsCommand,
  ListCommandsCommand,
} from "@aws-sdk/client-iot";
import { StartCommandExecutionCommand } from "@aws-sdk/client-iot-jobs-data-plane";

import { data, iot, plain, refusal } from "./sdk.mjs";

const phase = process.env.JOBSNB_PHASE;
if (!["start", "read"].includes(phase)) {
  console.error("set JOBSNB_PHASE: start or read");
  process.exit(2);
}

const COMMAND_ARN = "arn:aws:iot:us-east-1:123456789012:command/";
const thingName = "js-device";
const targetArn = `arn:aws:iot:us-east-1:123456789012:thing/${thingName}`;

async function start() {
  await iot.send(new CreateThingCommand({ thingName }));
  // Not UTF-8, not JSON: the bytes must come back as they went.
  const content = new Uint8Array([0x00, 0x01, 0x7b, 0x80, 0xfe, 0xff, 0x0a]);
  const staticCreated = await iot.send(
    new CreateCommandCommand({
      commandId: "js-reboot",
      displayName: "Reboot",
      description: "raw bytes from JavaScript",
      payload: { content, contentType: "application/octet-stream" },
    }),
  );
  const dynamicCreated = await iot.send(
    new CreateCommandCommand({
      commandId: "js-logs",
      payloadTemplate: JSON.stringify({
        lines: "${aws:iot:commandexecution::parameter:lines}",
        since: "${aws:iot:commandexecution::parameter:since}",
      }),
      preprocessor: { awsJsonSubstitution: { outputFormat: "JSON" } },
      mandatoryParameters: [
        {
          name: "lines",
          type: "INTEGER",
          defaultValue: { I: 10 },
          valueConditions: [
            { comparisonOperator: "IN_RANGE", operand: { numberRange: { min: "1", max: "1000" } } },
          ],
        },
        { name: "since", type: "STRING", description: "how far back" },
      ],
    }),
  );
  const staticGot = await iot.send(new GetCommandCommand({ commandId: "js-reboot" }));
  const dynamicGot = await iot.send(new GetCommandCommand({ commandId: "js-logs" }));
  const returned = staticGot.payload?.content;
  const commands = await iot.send(new ListCommandsCommand({ sortOrder: "ASCENDING" }));

  const logs = await data.send(
    new StartCommandExecutionCommand({
      targetArn,
      commandArn: dynamicCreated.commandArn,
      parameters: { lines: { I: 50 }, since: { S: "1h" } },
      executionTimeoutSeconds: 600,
    }),
  );
  // A retry with the same clientToken is the same execution.
  const once = { targetArn, commandArn: staticCreated.commandArn, clientToken: "js-retry-1" };
  const reboot = await data.send(new StartCommandExecutionCommand(once));
  const retried = await data.send(new StartCommandExecutionCommand(once));
  const execution = await iot.send(
    new GetCommandExecutionCommand({ executionId: logs.executionId, targetArn }),
  );
  const listed = await iot.send(new ListCommandExecutionsCommand({ targetArn, sortOrder: "ASCENDING" }));
  return {
    staticCreated: plain(staticCreated),
    dynamicCreated: plain(dynamicCreated),
    staticGot: plain(staticGot),
    dynamicGot: plain(dynamicGot),
    bytes: {
      isUint8Array: returned instanceof Uint8Array,
      same: returned instanceof Uint8Array && Buffer.compare(Buffer.from(returned), Buffer.from(content)) === 0,
    },
    commands: plain(commands),
    started: { logs: logs.executionId, reboot: reboot.executionId, retried: retried.executionId },
    execution: plain(execution),
    createdAtIsDate: execution.createdAt instanceof Date,
    listed: plain(listed),
    unknownGet: await refusal(iot, new GetCommandCommand({ commandId: "js-ghost" })),
    unknownStart: await refusal(
      data,
      new StartCommandExecutionCommand({ targetArn, commandArn: `${COMMAND_ARN}js-ghost` }),
    ),
  };
}

// The JavaScript type the SDK gave each member of a typed result ({"log": {"BIN": "Uint8Array"}}).
function typesOf(result) {
  const typeOf = (item) => (item instanceof Uint8Array ? "Uint8Array" : typeof item);
  return Object.fromEntries(
    Object.entries(result ?? {}).map(([name, value]) => [
      name,
      Object.fromEntries(Object.entries(value).map(([member, item]) => [member, typeOf(item)])),
    ]),
  );
}

async function read() {
  const [logs, reboot] = (process.env.JOBSNB_EXECUTIONS ?? "").split(",");
  const get = (executionId, includeResult) =>
    iot.send(new GetCommandExecutionCommand({ executionId, targetArn, includeResult }));
  const answered = await get(logs, true);
  return {
    logs: plain(answered),
    logsQuiet: plain(await get(logs, undefined)),
    reboot: plain(await get(reboot, true)),
    resultTypes: typesOf(answered.result),
    completedAtIsDate: answered.completedAt instanceof Date,
    listed: plain(
      await iot.send(new ListCommandExecutionsCommand({ commandArn: `${COMMAND_ARN}js-logs` })),
    ),
  };
}

console.log(JSON.stringify(phase === "start" ? await start() : await read()));

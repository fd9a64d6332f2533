// The AWS SDK for JavaScript v3 against the local service's job templates: AWS's managed
// templates described and listed, a custom template whose document holds a presigned-URL
// placeholder, a job from the managed AWS-Download-File template with documentParameters (its
// downloadUrl a presigned-URL placeholder) and one from the custom template, a refused
// documentParameters value, and the device receiving both documents through the data-plane
// client. Prints one JSON object on stdout: answers without $metadata, Dates as ISO strings,
// Uint8Arrays as {"$bytes": base64}.
//
//   JOBSNB_SERVICE_URL=http://127.0.0.1:PORT node tests/js/templates_check.mjs
import {
  CreateJobCommand,
  CreateJobTemplateCommand,
  CreateThingCommand,
  DescribeJobCommand,
  DescribeJobTemplateCommand,
  DescribeManagedJobTemplateCommand,
  GetJobDocumentCommand,
  ListJobTemplatesCommand,
  ListManagedJobTemplatesCommand,
} from "@aws-sdk/client-iot";
import {
  StartNextPendingJobExecutionCommand,
  UpdateJobExecutionCommand,
} from "@aws-sdk/client-iot-jobs-data-plane";

import { data, iot, plain, refusal } from "./sdk.mjs";

const ROLE = "arn:aws:iam::123456789012:role/jobs-s3";
const FIRMWARE = "${aws:iot:s3-presigned-url:https://firmware.s3.amazonaws.com/v2/fw.bin}";
const DOWNLOAD = "arn:aws:iot:us-east-1::jobtemplate/AWS-Download-File:1.0";
const thingName = "js-device";

const thingArn = (await iot.send(new CreateThingCommand({ thingName }))).thingArn;

const reboot = await iot.send(new DescribeManagedJobTemplateCommand({ templateName: "AWS-Reboot" }));
const download = await iot.send(
  new DescribeManagedJobTemplateCommand({ templateName: "AWS-Download-File", templateVersion: "1.0" }),
);
const managed = await iot.send(new ListManagedJobTemplatesCommand({}));
const firstPage = await iot.send(new ListManagedJobTemplatesCommand({ maxResults: 3 }));

const template = await iot.send(
  new CreateJobTemplateCommand({
    jobTemplateId: "js-fw",
    description: "Firmware from JavaScript",
    document: JSON.stringify({ operation: "update", url: FIRMWARE }),
    presignedUrlConfig: { roleArn: ROLE, expiresInSec: 600 },
    timeoutConfig: { inProgressTimeoutInMinutes: 30 },
  }),
);
const describedTemplate = await iot.send(new DescribeJobTemplateCommand({ jobTemplateId: "js-fw" }));
const templates = await iot.send(new ListJobTemplatesCommand({}));

const documentParameters = { downloadUrl: FIRMWARE, filePath: "/tmp/fw.bin" };
const fromManaged = await iot.send(
  new CreateJobCommand({
    jobId: "js-dl",
    targets: [thingArn],
    jobTemplateArn: DOWNLOAD,
    documentParameters,
    presignedUrlConfig: { roleArn: ROLE, expiresInSec: 300 },
  }),
);
const describedJob = (await iot.send(new DescribeJobCommand({ jobId: "js-dl" }))).job;
const controlDocument = (await iot.send(new GetJobDocumentCommand({ jobId: "js-dl" }))).document;
const fromCustom = await iot.send(
  new CreateJobCommand({ jobId: "js-custom", targets: [thingArn], jobTemplateArn: template.jobTemplateArn }),
);
const badParameter = await refusal(
  iot,
  new CreateJobCommand({
    jobId: "js-bad",
    targets: [thingArn],
    jobTemplateArn: DOWNLOAD,
    documentParameters: { downloadUrl: "https://example.com/f", filePath: "f\nrm -rf /" },
  }),
);

const first = (await data.send(new StartNextPendingJobExecutionCommand({ thingName }))).execution;
await data.send(
  new UpdateJobExecutionCommand({ thingName, jobId: first.jobId, status: "SUCCEEDED" }),
);
const second = (await data.send(new StartNextPendingJobExecutionCommand({ thingName }))).execution;

console.log(
  JSON.stringify({
    reboot: plain(reboot),
    download: plain(download),
    managed: plain(managed),
    firstPage: plain(firstPage),
    created: plain(template),
    describedTemplate: plain(describedTemplate),
    templates: plain(templates),
    fromManaged: plain(fromManaged),
    describedJob: plain(describedJob),
    controlDocument,
    fromCustom: plain(fromCustom),
    badParameter,
    first: plain(first),
    second: plain(second),
  }),
);

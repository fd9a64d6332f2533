// What the wire-check scripts share: the clients' configuration (the local service's URL from
// JOBSNB_SERVICE_URL, dummy credentials, no retries), what the SDK parsed as JSON can carry it,
// and a refused call as data.
import { IoTClient } from "@aws-sdk/client-iot";
import { IoTJobsDataPlaneClient } from "@aws-sdk/client-iot-jobs-data-plane";

const endpoint = process.env.JOBSNB_SERVICE_URL;
if (!endpoint) {
  console.error("JOBSNB_SERVICE_URL is not set (the local service's URL)");
  process.exit(2);
}

// Only dummy credentials are used; the service does not check signatures.
const config = {
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
  maxAttempts: 1,
};

export const iot = new IoTClient(config);
export const data = new IoTJobsDataPlaneClient(config);

// What the SDK parsed, as JSON can carry it: the types it chose stay visible.
export function plain(value) {
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString("base64") };
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key, item]) => key !== "$metadata" && item !== undefined)
        .map(([key, item]) => [key, plain(item)]),
    );
  }
  return value;
}

// A call that should be refused: its error's name, HTTP status and message, or thrown: false.
export async function refusal(client, command) {
  try {
    await client.send(command);
    return { thrown: false };
  } catch (err) {
    return {
      thrown: true,
      name: err.name,
      httpStatusCode: err.$metadata?.httpStatusCode,
      message: err.message,
    };
  }
}

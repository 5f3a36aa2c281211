import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { captureEvent } from "../../bots/index.ts";
import type { Db } from "../../lib/db/index.ts";

/** What the receiver got: headers, raw body, when. */
export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** A loopback receiver that answers each request with the next status of `script` (then 200). */
export async function receiver(
  script: number[],
): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString("utf8");
    });
    request.on("end", () => {
      received.push({ headers: request.headers, body, at: Date.now() });
      const status = script.shift() ?? 200;
      response
        .writeHead(status, { "content-type": "text/plain" })
        .end(status === 200 ? "thanks" : "down for a bit");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * Verifies a request as the Standard Webhooks specification says, written here from the specification and
 * not from Rapport's code: the key is the base64 after `whsec_`; the signed content is `id.timestamp.body`;
 * the header holds space-separated `v1,<base64>` signatures; the timestamp is within 5 minutes.
 */
export function verifyStandardWebhook(
  secret: string,
  headers: IncomingHttpHeaders,
  body: string,
  nowSeconds: number,
) {
  const id = headers["webhook-id"] as string;
  const timestamp = Number(headers["webhook-timestamp"]);
  if (!id || !Number.isInteger(timestamp) || Math.abs(nowSeconds - timestamp) > 300) return false;
  const key = Buffer.from(secret.slice("whsec_".length), "base64");
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest();
  return String(headers["webhook-signature"])
    .split(" ")
    .some((part) => {
      const [version, signature] = part.split(",");
      const given = Buffer.from(signature ?? "", "base64");
      return version === "v1" && given.length === expected.length && timingSafeEqual(given, expected);
    });
}

/** Ewa's order of a 59.90 PLN bag of beans, stored as the events API would: the event a webhook is about. */
export async function purchaseOf(db: Db, email: string, orderId: string, consent?: object) {
  const { customerId, eventId } = await captureEvent(
    db,
    {
      type: "purchase",
      orderId,
      occurredAt: "2026-12-01T10:00:00Z",
      customer: { email, name: "Ewa" },
      total: "59.90",
      currency: "PLN",
      items: [{ sku: "BEANS", name: "Beans 1 kg", quantity: 1, price: "59.90" }],
      properties: {},
    },
    new Date("2026-12-01T10:00:00Z"),
  );
  if (consent) await db.customer.update({ where: { id: customerId }, data: { consent } });
  return { customerId, eventId };
}

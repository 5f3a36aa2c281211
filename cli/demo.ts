import { readFileSync } from "node:fs";
import path from "node:path";
import type { Config } from "../lib/config.ts";
import type { Logger } from "../lib/logger.ts";
import { signBody } from "../lib/signature.ts";
import { createApp } from "./app.ts";

/** The demo's customers: one per locale, each buying in their own currency. */
export const DEMO_PURCHASES = [
  {
    customer: {
      email: "emma.walker@example.com",
      name: "Emma Walker",
      locale: "en",
      timezone: "Europe/London",
      country: "GB",
    },
    currency: "USD",
    items: [
      { sku: "MUG-01", name: "Stoneware mug", quantity: 2, price: 14.5 },
      { sku: "TEA-07", name: "Earl Grey, 100 g", quantity: 1, price: 9.99 },
    ],
  },
  {
    customer: {
      email: "siti.rahayu@example.com",
      name: "Siti Rahayu",
      locale: "id",
      timezone: "Asia/Jakarta",
      country: "ID",
    },
    currency: "IDR",
    items: [
      { sku: "BTK-12", name: "Kemeja batik", quantity: 1, price: 275000 },
      { sku: "KPI-03", name: "Kopi Gayo 250 g", quantity: 3, price: 85000 },
    ],
  },
  {
    customer: {
      email: "jan.kowalski@example.com",
      name: "Jan Kowalski",
      locale: "pl",
      timezone: "Europe/Warsaw",
      country: "PL",
    },
    currency: "PLN",
    items: [{ sku: "KUB-02", name: "Kubek ceramiczny", quantity: 5, price: 39.99 }],
  },
] as const;

/**
 * `rapport demo`: runs Rapport in this process with every channel on the outbox, posts three signed
 * purchases to its real HTTP API, waits for the thank-you emails, and prints where they are.
 */
/** The signed `POST /api/events` of one demo purchase, as a shop would post it. Returns its total and the answer. */
export async function postDemoPurchase(
  baseUrl: string,
  secret: string,
  orderId: string,
  purchase: (typeof DEMO_PURCHASES)[number],
): Promise<{ total: number; response: Response }> {
  const total = purchase.items.reduce((sum, item) => sum + item.price * item.quantity, 0);
  const body = JSON.stringify({
    type: "purchase",
    orderId,
    customer: purchase.customer,
    total: total.toFixed(2),
    currency: purchase.currency,
    items: purchase.items,
  });
  const response = await fetch(`${baseUrl}/api/events`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-rapport-signature": signBody(secret, body) },
    body,
  });
  return { total, response };
}

export async function runDemo(config: Config, log: Logger, timeoutMs = 60_000): Promise<string[]> {
  const quiet = log.child({}, { level: config.LOG_LEVEL === "info" ? "warn" : config.LOG_LEVEL });
  const app = await createApp({ config: { ...config, PORT: 0 }, log: quiet, outboxOnly: true, bots: false });
  try {
    const run = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
    process.stdout.write(
      `Rapport demo: posting ${DEMO_PURCHASES.length} purchases to ${app.url}/api/events\n`,
    );
    const orderIds: string[] = [];
    for (const [i, purchase] of DEMO_PURCHASES.entries()) {
      const orderId = `DEMO-${run}-${i + 1}`;
      const { total, response } = await postDemoPurchase(app.url!, app.webhookSecret, orderId, purchase);
      if (!response.ok)
        throw new Error(`POST /api/events answered ${response.status}: ${await response.text()}`);
      orderIds.push(orderId);
      process.stdout.write(
        `  ${orderId}  ${purchase.customer.name} (${purchase.customer.locale})  ${total.toFixed(2)} ${purchase.currency}\n`,
      );
    }
    process.stdout.write("Waiting for the thank-you emails");
    const deadline = Date.now() + timeoutMs;
    const events = await app.db.event.findMany({
      where: { type: "purchase", externalId: { in: orderIds } },
      select: { id: true },
    });
    for (;;) {
      const deliveries = await app.db.delivery.findMany({
        where: { campaignId: "thank-you", eventId: { in: events.map((e) => e.id) } },
        select: { status: true, providerId: true, recipient: true, locale: true, error: true },
      });
      const done = deliveries.filter((d) => d.status !== "planned" && d.status !== "queued");
      if (done.length >= orderIds.length) {
        process.stdout.write(" done.\n\n");
        const files: string[] = [];
        for (const d of done) {
          if (d.status === "sent" && d.providerId) {
            files.push(d.providerId);
            const subject = /^Subject: (.*)$/m.exec(readFileSync(d.providerId, "utf8"))?.[1] ?? "";
            process.stdout.write(
              `  [${d.locale}] ${d.recipient}\n        ${path.relative(process.cwd(), d.providerId)}\n        ${decodeSubject(subject)}\n`,
            );
          } else {
            process.stdout.write(`  [${d.locale}] ${d.recipient}: ${d.status} ${d.error ?? ""}\n`);
          }
        }
        process.stdout.write(
          `\nOpen the .eml files with any mail client, or read them as text in ${path.join(config.dataDir, "outbox", "email")}.\n`,
        );
        return files;
      }
      if (Date.now() > deadline)
        throw new Error(
          `the thank-you emails did not arrive within ${timeoutMs / 1000} s (is a worker failing? run with LOG_LEVEL=debug)`,
        );
      process.stdout.write(".");
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await app.close();
  }
}

function decodeSubject(header: string): string {
  return header.replace(/=\?UTF-8\?B\?([^?]+)\?=/g, (_, b64: string) =>
    Buffer.from(b64, "base64").toString("utf8"),
  );
}

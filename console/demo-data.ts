import { captureEvent, parseInboundEvent } from "../bots/index.ts";
import type { Clock } from "../lib/clock.ts";
import type { Db } from "../lib/db/index.ts";
import { enqueueEvent, type QueueContext } from "../workers/index.ts";

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

/** One demo purchase as `POST /api/events` takes it, with its total. */
export function demoPurchaseEvent(
  orderId: string,
  purchase: (typeof DEMO_PURCHASES)[number],
): { total: number; event: Record<string, unknown> } {
  const total = purchase.items.reduce((sum, item) => sum + item.price * item.quantity, 0);
  return {
    total,
    event: {
      type: "purchase",
      orderId,
      customer: purchase.customer,
      total: total.toFixed(2),
      currency: purchase.currency,
      items: purchase.items,
    },
  };
}

/**
 * The console's "load demo data": the demo purchases stored and queued as the events API does it (the
 * campaigns send their thank-you emails), each under a new order id. Returns how many were stored.
 */
export async function loadDemoData(deps: { db: Db; clock: Clock; queues?: QueueContext }): Promise<number> {
  const now = new Date(deps.clock.now());
  const run = now.toISOString().replace(/\D/g, "").slice(0, 14);
  let stored = 0;
  for (const [i, purchase] of DEMO_PURCHASES.entries()) {
    const parsed = parseInboundEvent(demoPurchaseEvent(`DEMO-${run}-${i + 1}`, purchase).event);
    if (!parsed.success) throw new Error(`a demo purchase does not parse: ${parsed.error.message}`);
    const result = await captureEvent(deps.db, parsed.data, now, "demo");
    if (result.kind === "stored") stored++;
    if (deps.queues) await enqueueEvent(deps.queues, result.eventId);
  }
  return stored;
}

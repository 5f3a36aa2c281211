import { fileURLToPath } from "node:url";
import { captureEvent } from "../../../bots/index.ts";
import { loadCampaigns } from "../../../campaigns/index.ts";
import type { Db } from "../../../lib/db/index.ts";
import { variantOf } from "../../../workers/index.ts";

/**
 * Customer ids that put promo-vip's VIPs in each of its branches, every run: the first of a fixed sequence of
 * ids that variantOf sends to `want` (random ids left the hold-out to a tenth of the runs).
 */
export async function idsForVariants(want: readonly string[]): Promise<string[]> {
  const { campaigns } = await loadCampaigns(fileURLToPath(new URL("../../../campaigns", import.meta.url)));
  const promo = campaigns.find((c) => c.id === "promo-vip")!;
  const found: string[] = [];
  for (let i = 1; found.length < want.length; i++) {
    const id = `00000000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`;
    if (variantOf(promo, id) === want[found.length]) found.push(id);
  }
  return found;
}

/** Five orders of 120 EUR this autumn: a VIP of segments.yaml (`orders >= 5`). */
export const VIP_ORDERS = Array.from({ length: 5 }, (_, i) => ({
  at: `2026-11-${10 + i}T10:00:00Z`,
  total: "120.00",
}));

/**
 * A customer with purchases in EUR, as the shop would have reported them, who gave marketing consent on email
 * and Telegram (the shipped marketing campaigns need it under the default opt-in policy). Returns its id.
 */
export async function shopper(
  db: Db,
  input: {
    id?: string;
    email: string;
    name: string;
    locale: string;
    timezone: string;
    orders: Array<{ at: string; total: string }>;
    telegram?: string;
  },
): Promise<string> {
  let customerId = "";
  if (input.id) {
    await db.customer.create({
      data: {
        id: input.id,
        email: input.email,
        name: input.name,
        locale: input.locale,
        timezone: input.timezone,
      },
    });
  }
  for (const [i, order] of input.orders.entries()) {
    const captured = await captureEvent(
      db,
      {
        type: "purchase",
        orderId: `${input.email}-${i}`,
        occurredAt: order.at,
        customer: { email: input.email, name: input.name, locale: input.locale, timezone: input.timezone },
        total: order.total,
        currency: "EUR",
        items: [{ sku: "BEANS", quantity: 1, price: order.total }],
        properties: {},
      },
      new Date(order.at),
    );
    customerId = captured.customerId;
  }
  if (input.telegram) {
    await db.identity.create({ data: { channel: "telegram", externalId: input.telegram, customerId } });
  }
  await db.customer.update({
    where: { id: customerId },
    data: { consent: { email: { status: "granted" }, telegram: { status: "granted" } } },
  });
  return customerId;
}

import { randomUUID } from "node:crypto";
import type pg from "pg";
import { progressLine } from "./progress.ts";

/** Customers per INSERT statement: 1 000 rows × 10 parameters, well under PostgreSQL's 65 535. */
const ROWS_PER_INSERT = 1_000;

/** What {@link seedCustomers} wrote. */
export interface Seeded {
  customers: number;
  telegram: number;
  emailDenied: number;
  suppressed: number;
  ms: number;
}

/** A small deterministic PRNG (mulberry32): the same population on every run, the same history in tests. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const ZONES: Record<string, readonly string[]> = {
  en: ["Europe/London", "America/New_York", "Pacific/Auckland", "Australia/Sydney"],
  id: ["Asia/Jakarta", "Asia/Makassar"],
  pl: ["Europe/Warsaw"],
};
const COUNTRY: Record<string, readonly string[]> = { en: ["GB", "US", "NZ", "AU"], id: ["ID"], pl: ["PL"] };

/**
 * The timezone ~1 % of customers have: not an IANA name, as a careless import leaves it. Planning falls back
 * to the default zone for them; rendering refuses it (see the README's findings).
 */
export const INVALID_ZONE = "Mars/Olympus_Mons";

/** The countries every seeded customer is in: the bench campaigns' audience matches them all. */
export const SEEDED_COUNTRIES = ["GB", "US", "NZ", "AU", "ID", "PL"] as const;

/**
 * Seeds `count` customers with multi-row INSERTs: locales en/id/pl (some as "id-ID", "pl-PL"), their
 * timezones (a few missing or invalid), ~35 % with a Telegram chat, ~8 % without email, ~4 % opted out of
 * marketing email, ~0.5 % of addresses on the suppression list. `loyaltyPoints` is `i % 100`, so
 * `loyaltyPoints < 10` is exactly a tenth of them.
 */
export async function seedCustomers(sql: pg.Client, count: number): Promise<Seeded> {
  const next = random(20_261_204);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  const progress = progressLine("seeding customers");
  const started = performance.now();
  const seeded: Seeded = { customers: 0, telegram: 0, emailDenied: 0, suppressed: 0, ms: 0 };
  for (let from = 0; from < count; from += ROWS_PER_INSERT) {
    const rows = Math.min(ROWS_PER_INSERT, count - from);
    const customers: unknown[] = [];
    const identities: unknown[] = [];
    const suppressions: unknown[] = [];
    for (let k = 0; k < rows; k++) {
      const i = from + k;
      const id = randomUUID();
      const roll = next();
      const base = roll < 0.4 ? "en" : roll < 0.75 ? "id" : "pl";
      const locale = base !== "en" && next() < 0.3 ? `${base}-${base.toUpperCase()}` : base;
      const zoneRoll = next();
      const timezone = zoneRoll < 0.05 ? null : zoneRoll < 0.06 ? INVALID_ZONE : pick(ZONES[base]!);
      const email = next() < 0.92 ? `customer${i}@bench.example` : null;
      const telegram = next() < 0.35 ? String(700_000_000 + i) : null;
      const denied = email !== null && next() < 0.04;
      // everyone else said yes where they can be reached: marketing needs it under the default opt-in policy
      const granted = { status: "granted", at: "2026-09-01T00:00:00.000Z", via: "bench" };
      const consent = denied
        ? { email: { status: "denied", via: "unsubscribe" } }
        : { ...(email && { email: granted }), ...(telegram && { telegram: granted }) };
      const preferred = telegram && next() < 0.5 ? "telegram" : email ? "email" : null;
      customers.push(
        id,
        `Customer ${i}`,
        email,
        locale,
        timezone,
        pick(COUNTRY[base]!),
        JSON.stringify(consent),
        preferred,
        i % 100,
        new Date(Date.UTC(2026, 8, 1) + Math.floor(next() * 60) * 86_400_000),
      );
      if (telegram) identities.push(id, telegram);
      if (email && !denied && next() < 0.005) suppressions.push(email, id);
      seeded.telegram += telegram ? 1 : 0;
      seeded.emailDenied += denied ? 1 : 0;
    }
    await sql.query(
      `INSERT INTO "Customer" (id, name, email, locale, timezone, country, consent, "preferredChannel",
         "loyaltyPoints", "lastPurchaseAt")
       VALUES ${placeholders(rows, 10, (p) => `(${p[0]}::uuid, ${p.slice(1, 6).join(", ")}, ${p[6]}::jsonb, ${p[7]}::"Channel", ${p[8]}, ${p[9]})`)}`,
      customers,
    );
    if (identities.length > 0) {
      await sql.query(
        `INSERT INTO "Identity" (channel, "customerId", "externalId")
         VALUES ${placeholders(identities.length / 2, 2, (p) => `('telegram', ${p[0]}::uuid, ${p[1]})`)}`,
        identities,
      );
    }
    if (suppressions.length > 0) {
      await sql.query(
        `INSERT INTO "Suppression" (channel, address, "customerId", reason, source)
         VALUES ${placeholders(suppressions.length / 2, 2, (p) => `('email', ${p[0]}, ${p[1]}::uuid, 'unsubscribed', 'bench')`)}`,
        suppressions,
      );
      seeded.suppressed += suppressions.length / 2;
    }
    seeded.customers += rows;
    progress.update(seeded.customers, count);
  }
  progress.end();
  await sql.query("ANALYZE");
  seeded.ms = Math.round(performance.now() - started);
  return seeded;
}

/** `rows` tuples of `width` numbered parameters ($1, $2, …), each shaped by `tuple`. */
function placeholders(rows: number, width: number, tuple: (params: string[]) => string): string {
  const out: string[] = [];
  for (let r = 0; r < rows; r++) {
    out.push(tuple(Array.from({ length: width }, (_, c) => `$${r * width + c + 1}`)));
  }
  return out.join(", ");
}

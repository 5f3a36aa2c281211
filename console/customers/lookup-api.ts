import type { FastifyInstance } from "fastify";
import { parsePhoneNumberWithError } from "libphonenumber-js";
import { requireScope } from "../../lib/api-tokens.ts";
import type { Clock } from "../../lib/clock.ts";
import { type Db, Prisma } from "../../lib/db/index.ts";
import { describeRoute } from "../../lib/openapi.ts";
import { customerPanel } from "../inbox/panel.ts";
import { isUuid } from "./ids.ts";

export interface LookupApiOptions {
  db: Db;
  clock: Clock;
  segmentsOf?: (customerId: string) => Promise<string[]>;
}

/** The one key a lookup names, normalised; or why the query cannot be used. */
type LookupKey =
  | { ok: true; by: (typeof KEYS)[number]; value: string; channel?: string }
  | { ok: false; field: string; message: string };

const KEYS = ["id", "email", "phone", "handle", "externalId"] as const;
const HANDLE_CHANNELS = ["telegram", "discord", "x", "webchat"];
/** The longest shop customer id, as `/api/events` and the import take it. */
const MAX_EXTERNAL_ID = 200;

/**
 * Reads the query: exactly one of id, email, phone (E.164, or with `country` for a national number), handle,
 * externalId (the shop's own customer id, matched exactly once trimmed).
 */
export function lookupKey(query: Record<string, unknown>): LookupKey {
  const given = KEYS.filter((k) => typeof query[k] === "string" && (query[k] as string).trim() !== "");
  if (given.length !== 1) {
    return {
      ok: false,
      field: "(query)",
      message: `give exactly one of ${KEYS.join(", ")} (got ${given.length})`,
    };
  }
  const by = given[0]!;
  const raw = (query[by] as string).trim();
  if (raw.length > 320) return { ok: false, field: by, message: "too long" };
  if (by === "id") {
    return isUuid(raw)
      ? { ok: true, by, value: raw.toLowerCase() }
      : { ok: false, field: "id", message: "expected a customer id (a UUID)" };
  }
  if (by === "externalId") {
    if (raw.length > MAX_EXTERNAL_ID)
      return { ok: false, field: by, message: `at most ${MAX_EXTERNAL_ID} characters` };
    // biome-ignore lint/suspicious/noControlCharactersInRegex: a control character is what it refuses
    return /[\u0000-\u001f\u007f]/.test(raw)
      ? { ok: false, field: by, message: "expected the shop's customer id, without control characters" }
      : { ok: true, by, value: raw };
  }
  if (by === "email") {
    return /^[^\s@]+@[^\s@]+$/.test(raw)
      ? { ok: true, by, value: raw.toLowerCase() }
      : { ok: false, field: "email", message: "expected an email address" };
  }
  if (by === "phone") {
    const country = typeof query.country === "string" ? query.country.toUpperCase() : undefined;
    try {
      // libphonenumber-js: "+62 812-3456-7890", "0812 3456 7890" with country=ID → +6281234567890
      const parsed = parsePhoneNumberWithError(
        raw,
        country as Parameters<typeof parsePhoneNumberWithError>[1],
      );
      if (!parsed.isPossible()) return { ok: false, field: "phone", message: "not a possible phone number" };
      return { ok: true, by, value: parsed.number };
    } catch {
      return {
        ok: false,
        field: "phone",
        message: "expected a phone number in E.164 (+48601234567), or a national number with country=PL",
      };
    }
  }
  const channel = typeof query.channel === "string" ? query.channel : undefined;
  if (channel !== undefined && !HANDLE_CHANNELS.includes(channel)) {
    return { ok: false, field: "channel", message: `expected one of ${HANDLE_CHANNELS.join(", ")}` };
  }
  return { ok: true, by, value: raw.replace(/^@/, ""), ...(channel !== undefined && { channel }) };
}

/**
 * The key a person typed in one search box means (a console filter): a customer id, an email, a phone number
 * in E.164 (spaces and dashes allowed), else the shop's customer id. Undefined for what none of these can be.
 */
export function typedKey(text: string): Extract<LookupKey, { ok: true }> | undefined {
  const value = text.trim();
  const by = isUuid(value)
    ? "id"
    : text.includes("@")
      ? "email"
      : /^\+[\d\s().-]{6,}$/.test(value)
        ? "phone"
        : "externalId";
  const key = lookupKey({ [by]: value });
  return key.ok ? key : undefined;
}

/** A customer and every customer merged into it, however many merges deep: whose records are now theirs. */
export async function withMerged(db: Db, id: string): Promise<string[]> {
  const rows = await db.$queryRaw<Array<{ id: string }>>(Prisma.sql`
    WITH RECURSIVE merged AS (
      SELECT ${id}::uuid AS id, 0 AS hops
      UNION ALL
      SELECT c.id, merged.hops + 1 FROM merged JOIN "Customer" c ON c."mergedIntoId" = merged.id
      WHERE merged.hops < ${MAX_MERGE_HOPS}
    )
    SELECT DISTINCT id::text FROM merged`);
  return rows.map((r) => r.id);
}

/** What the OpenAPI document says of the lookup; the query is read by {@link lookupKey}. */
const LOOKUP_DOC = describeRoute({
  summary: "Find a customer and answer their panel",
  description:
    "Exactly one of id, email, phone, handle or externalId. Only proven contacts are searched (the customer's own email " +
    "and phone, platform identities), never a contact someone typed; a merged customer answers as the " +
    "survivor. The answer is the console's customer panel as JSON (identities, orders with items, lifetime " +
    "value per currency, loyalty, consent, segments, likely next purchases) with `openConversations`.",
  tags: ["Customers"],
  auth: { token: "customers:read" },
  query: {
    id: { description: "Rapport's customer id (a UUID)" },
    email: { description: "The customer's own email address", example: "siti@example.com" },
    phone: {
      description: "E.164 (+48601234567), or a national number with `country`",
      example: "+6281234567890",
    },
    country: { description: "Two-letter country of a national `phone` number, e.g. PL" },
    handle: { description: "A platform handle (with or without @)" },
    channel: { description: `The handle's platform: ${HANDLE_CHANNELS.join(", ")}` },
    externalId: {
      description: `The shop's own customer id (as \`/api/events\` and the import take it), exact, at most ${MAX_EXTERNAL_ID} characters`,
      example: "gid://shopify/Customer/7001",
    },
  },
  responses: {
    200: "The customer's panel and open conversations",
    400: "The query names no usable key: `issues[0].path` says which parameter",
    404: "Nobody matches",
    409: "The handle belongs to several customers: name the channel",
  },
});

/** How many merges deep a survivor is looked for, as `survivorOf` (bots/merge.ts) does. */
const MAX_MERGE_HOPS = 20;

/**
 * The survivor of each customer `candidates` (a query of one `id` column) names, in one statement: a merged
 * customer answers as the one it was merged into (a recursive walk of `mergedIntoId`, as `survivorOf` does).
 * In the candidates' order; a candidate that is no customer gives nothing.
 */
function survivorsOf(db: Db, candidates: Prisma.Sql): Promise<Array<{ id: string }>> {
  return db.$queryRaw<Array<{ id: string }>>(Prisma.sql`
    WITH RECURSIVE found AS (
      SELECT id, row_number() OVER () AS n FROM (${candidates}) c
    ), chain AS (
      SELECT f.n, c.id, c."mergedIntoId", 0 AS hops FROM found f JOIN "Customer" c ON c.id = f.id
      UNION ALL
      SELECT chain.n, c.id, c."mergedIntoId", chain.hops + 1 FROM chain JOIN "Customer" c ON c.id = chain."mergedIntoId"
      WHERE chain.hops < ${MAX_MERGE_HOPS}
    )
    SELECT id::text FROM (SELECT DISTINCT ON (n) n, id FROM chain ORDER BY n, hops DESC) s ORDER BY n`);
}

export type Found =
  | { kind: "one"; id: string }
  | { kind: "none" }
  | { kind: "ambiguous"; count: number; channels: string[] };

/**
 * The customer a key names, as its survivor: one statement for an id, email, phone or shop id (two for a
 * phone known only from calls, or a handle not written as stored).
 */
export async function findCustomer(db: Db, key: Extract<LookupKey, { ok: true }>): Promise<Found> {
  const first = (rows: Array<{ id: string }>): Found =>
    rows[0] ? { kind: "one", id: rows[0].id } : { kind: "none" };
  switch (key.by) {
    case "id":
      return first(await survivorsOf(db, Prisma.sql`SELECT ${key.value}::uuid AS id`));
    case "email":
      return first(await survivorsOf(db, Prisma.sql`SELECT id FROM "Customer" WHERE email = ${key.value}`));
    case "externalId":
      return first(
        await survivorsOf(db, Prisma.sql`SELECT id FROM "Customer" WHERE "externalId" = ${key.value}`),
      );
    case "phone": {
      const own = await survivorsOf(db, Prisma.sql`SELECT id FROM "Customer" WHERE phone = ${key.value}`);
      if (own.length > 0) return first(own);
      // else a caller known only from their calls (a `phone` identity: the number the carrier presented)
      return first(
        await survivorsOf(
          db,
          Prisma.sql`SELECT "customerId" AS id FROM "Identity" WHERE channel = 'phone' AND "externalId" = ${key.value}`,
        ),
      );
    }
    case "handle": {
      // the handle as written first (the index on handle), then in any case (a scan of the identities)
      const channel =
        key.channel === undefined ? Prisma.empty : Prisma.sql`AND channel = ${key.channel}::"Channel"`;
      const byHandle = (match: Prisma.Sql) =>
        db.$queryRaw<Array<{ customerId: string; channel: string }>>(Prisma.sql`
          SELECT "customerId"::text AS "customerId", channel::text AS channel FROM "Identity"
          WHERE ${match} ${channel}`);
      let identities = await byHandle(Prisma.sql`handle = ${key.value}`);
      if (identities.length === 0)
        identities = await byHandle(Prisma.sql`lower(handle) = lower(${key.value})`);
      const ids = [...new Set(identities.map((i) => i.customerId))];
      if (ids.length > 1) {
        return {
          kind: "ambiguous",
          count: ids.length,
          channels: [...new Set(identities.map((i) => i.channel))],
        };
      }
      return ids[0] === undefined
        ? { kind: "none" }
        : first(await survivorsOf(db, Prisma.sql`SELECT ${ids[0]}::uuid AS id`));
    }
  }
}

/**
 * `GET /api/customers/lookup?email=|phone=|handle=[&channel=]|externalId=|id=` with a token holding `customers:read`:
 * the customer panel as JSON (identities, orders with items, lifetime value per currency, loyalty, consent,
 * segments, likely next purchases) and their open conversations. Only proven contacts are searched (the
 * customer's own email and phone, platform identities): a claim someone typed never finds anyone. A customer
 * merged into another answers as the survivor.
 */
export function registerLookupApi(http: FastifyInstance, options: LookupApiOptions): void {
  const { db } = options;
  http.get(
    "/api/customers/lookup",
    {
      preHandler: requireScope(db, "customers:read", () => new Date(options.clock.now())),
      config: LOOKUP_DOC,
    },
    async (request, reply) => {
      const key = lookupKey((request.query ?? {}) as Record<string, unknown>);
      if (!key.ok) {
        return reply.status(400).send({
          error: "bad_request",
          message: `${key.field}: ${key.message}`,
          issues: [{ path: key.field, message: key.message }],
        });
      }
      const found = await findCustomer(db, key);
      if (found.kind === "ambiguous") {
        return reply.status(409).send({
          error: "ambiguous",
          message: `the handle ${key.value} belongs to ${found.count} customers: name the channel (channel=${found.channels.join("|")})`,
        });
      }
      if (found.kind === "none")
        return reply.status(404).send({ error: "not_found", message: "no customer with that " + key.by });
      const id = found.id;
      // one statement builds the panel with the open conversations (and one more the segments)
      const panel = await customerPanel(db, id, { segmentsOf: options.segmentsOf });
      if (!panel)
        return reply.status(404).send({ error: "not_found", message: "no customer with that " + key.by });
      return reply.send(panel);
    },
  );
}

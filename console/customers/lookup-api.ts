import type { FastifyInstance } from "fastify";
import { parsePhoneNumberWithError } from "libphonenumber-js";
import { survivorOf } from "../../bots/index.ts";
import { requireScope } from "../../lib/api-tokens.ts";
import type { Clock } from "../../lib/clock.ts";
import type { Db } from "../../lib/db/index.ts";
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
  | { ok: true; by: "id" | "email" | "phone" | "handle"; value: string; channel?: string }
  | { ok: false; field: string; message: string };

const KEYS = ["id", "email", "phone", "handle"] as const;
const HANDLE_CHANNELS = ["telegram", "discord", "x", "webchat"];

/** Reads the query: exactly one of id, email, phone (E.164, or with `country` for a national number), handle. */
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

/** What the OpenAPI document says of the lookup; the query is read by {@link lookupKey}. */
const LOOKUP_DOC = describeRoute({
  summary: "Find a customer and answer their panel",
  description:
    "Exactly one of id, email, phone or handle. Only proven contacts are searched (the customer's own email " +
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
  },
  responses: {
    200: "The customer's panel and open conversations",
    400: "The query names no usable key: `issues[0].path` says which parameter",
    404: "Nobody matches",
    409: "The handle belongs to several customers: name the channel",
  },
});

/**
 * `GET /api/customers/lookup?email=|phone=|handle=[&channel=]|id=` with a token holding `customers:read`:
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
      let ids: string[];
      if (key.by === "id") ids = [key.value];
      else if (key.by === "email") {
        ids = (await db.customer.findMany({ where: { email: key.value }, select: { id: true } })).map(
          (c) => c.id,
        );
      } else if (key.by === "phone") {
        ids = (await db.customer.findMany({ where: { phone: key.value }, select: { id: true } })).map(
          (c) => c.id,
        );
        // else a caller known only from their calls (a `phone` identity: the number the carrier presented)
        if (ids.length === 0) {
          const caller = await db.identity.findUnique({
            where: { channel_externalId: { channel: "phone", externalId: key.value } },
            select: { customerId: true },
          });
          if (caller) ids = [caller.customerId];
        }
      } else {
        // the handle as written first (the index on handle), then in any case (a scan of the identities)
        const byHandle = (mode: "default" | "insensitive") =>
          db.identity.findMany({
            where: {
              handle: { equals: key.value, mode },
              ...(key.channel !== undefined && { channel: key.channel as "telegram" }),
            },
            select: { customerId: true, channel: true },
          });
        let identities = await byHandle("default");
        if (identities.length === 0) identities = await byHandle("insensitive");
        ids = [...new Set(identities.map((i) => i.customerId))];
        if (ids.length > 1) {
          return reply.status(409).send({
            error: "ambiguous",
            message: `the handle ${key.value} belongs to ${ids.length} customers: name the channel (channel=${[...new Set(identities.map((i) => i.channel))].join("|")})`,
          });
        }
      }
      // a merged customer answers as the survivor
      const id = ids[0] === undefined ? undefined : await survivorOf(db, ids[0]);
      if (id === undefined)
        return reply.status(404).send({ error: "not_found", message: "no customer with that " + key.by });
      // the panel and the open conversations at once: a screen pop waits for the slower of the two only
      const [panel, openConversations] = await Promise.all([
        customerPanel(db, id, { segmentsOf: options.segmentsOf }),
        db.conversation.findMany({
          where: { customerId: id, status: { not: "closed" } },
          orderBy: { lastMessageAt: "desc" },
          select: {
            id: true,
            channel: true,
            status: true,
            lastMessageAt: true,
            unreadCount: true,
            handedOver: true,
          },
        }),
      ]);
      if (!panel)
        return reply.status(404).send({ error: "not_found", message: "no customer with that " + key.by });
      return reply.send({ ...panel, openConversations });
    },
  );
}

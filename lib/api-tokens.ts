import { createHash, randomBytes } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Db } from "./db/index.ts";

/** What a token may do. Each API route names the one it needs. */
export const API_SCOPES = ["customers:read", "events:write", "calls:write", "loyalty:write"] as const;
export type ApiScope = (typeof API_SCOPES)[number];

/** Every token starts so: secret scanners (and people) can tell one when they see it. */
const TOKEN_PREFIX = "rpt_";
/** How often a token's `lastUsedAt` is written at most, in ms: a busy integration does not write every call. */
const LAST_USED_EVERY_MS = 60_000;

export interface CreatedToken {
  id: string;
  /** The whole token: shown once, never stored. */
  token: string;
  prefix: string;
}

const hashOf = (token: string) => createHash("sha256").update(token).digest("hex");

/** A scope list checked against {@link API_SCOPES}: the unknown ones, or none. */
export function unknownScopes(scopes: readonly string[]): string[] {
  return scopes.filter((s) => !(API_SCOPES as readonly string[]).includes(s));
}

/**
 * Creates a token: 32 random bytes, base64url, after `rpt_`. Only its SHA-256 is stored (a token is random
 * enough that a slow hash adds nothing), with the first 10 characters to tell tokens apart.
 */
export async function createApiToken(
  db: Db,
  input: {
    name: string;
    scopes: readonly ApiScope[];
    createdBy: string;
    /** The staff member creating it in the console (the audit row's actor). */
    staffUserId?: string;
    at?: Date;
  },
): Promise<CreatedToken> {
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
  const prefix = token.slice(0, 10);
  const row = await db.apiToken.create({
    data: {
      name: input.name,
      tokenHash: hashOf(token),
      prefix,
      scopes: [...input.scopes],
      createdBy: input.createdBy,
      ...(input.at && { createdAt: input.at }),
    },
  });
  await db.auditLog.create({
    data: {
      actorType: input.createdBy.startsWith("cli:") ? "system" : "staff",
      staffUserId: input.staffUserId ?? null,
      action: "api_token.create",
      targetType: "ApiToken",
      targetId: row.id,
      data: { name: input.name, scopes: [...input.scopes], prefix, by: input.createdBy },
      ...(input.at && { createdAt: input.at }),
    },
  });
  return { id: row.id, token, prefix };
}

/**
 * Revokes a token by id or by its prefix; false when there is no such live token. `staffUserId`: the staff
 * member revoking it in the console (the audit row's actor).
 */
export async function revokeApiToken(
  db: Db,
  idOrPrefix: string,
  by: string,
  at: Date,
  staffUserId?: string,
): Promise<boolean> {
  const isId = /^[0-9a-f-]{36}$/i.test(idOrPrefix);
  const token = await db.apiToken.findFirst({
    where: { revokedAt: null, ...(isId ? { id: idOrPrefix.toLowerCase() } : { prefix: idOrPrefix }) },
  });
  if (!token) return false;
  await db.apiToken.update({ where: { id: token.id }, data: { revokedAt: at } });
  await db.auditLog.create({
    data: {
      actorType: by.startsWith("cli:") ? "system" : "staff",
      staffUserId: staffUserId ?? null,
      action: "api_token.revoke",
      targetType: "ApiToken",
      targetId: token.id,
      data: { name: token.name, prefix: token.prefix, by },
      createdAt: at,
    },
  });
  return true;
}

/** Every token, newest first, without its hash: for the console's list and `rapport tokens list`. */
export function listApiTokens(db: Db, order: "asc" | "desc" = "desc") {
  return db.apiToken.findMany({
    orderBy: [{ createdAt: order }, { id: order }],
    omit: { tokenHash: true },
  });
}

/** Why a request's token was refused: 401 (none, unknown, revoked) or 403 (lacks the scope). */
export type TokenCheck =
  /** `lastUsedDue`: `lastUsedAt` is older than a minute, for the caller to write (after its answer). */
  | { ok: true; tokenId: string; name: string; lastUsedDue?: true }
  | { ok: false; status: 401 | 403; error: string; message: string };

/** Checks an `Authorization` header against the stored tokens for `scope`. */
export async function checkApiToken(
  db: Db,
  authorization: string | undefined,
  scope: ApiScope,
  now: Date,
): Promise<TokenCheck> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  if (!match) {
    return {
      ok: false,
      status: 401,
      error: "unauthorized",
      message: "send Authorization: Bearer <API token>",
    };
  }
  const token = await db.apiToken.findUnique({ where: { tokenHash: hashOf(match[1]!) } });
  if (!token || token.revokedAt) {
    return {
      ok: false,
      status: 401,
      error: "unauthorized",
      message: token ? "this API token was revoked" : "unknown API token",
    };
  }
  if (!token.scopes.includes(scope)) {
    return {
      ok: false,
      status: 403,
      error: "insufficient_scope",
      message: `this API token lacks the scope ${scope} (it has: ${token.scopes.join(", ") || "none"})`,
    };
  }
  const due = !token.lastUsedAt || now.getTime() - token.lastUsedAt.getTime() >= LAST_USED_EVERY_MS;
  return { ok: true, tokenId: token.id, name: token.name, ...(due && { lastUsedDue: true }) };
}

/** Token bookkeeping started after an answer was sent and not yet written (see {@link tokenWritesDone}). */
const pendingWrites = new Set<Promise<unknown>>();

/**
 * Resolves once every audit row and `lastUsedAt` that {@link requireScope} writes after its answers is written:
 * the HTTP server waits for it when it closes (lib/http.ts), before the database goes.
 */
export async function tokenWritesDone(): Promise<void> {
  while (pendingWrites.size > 0) await Promise.allSettled([...pendingWrites]);
}

/**
 * A Fastify preHandler for a route that needs `scope`: answers 401/403 with why (and `WWW-Authenticate`),
 * or lets the request through with `request.apiToken` set. Every use, allowed or refused, is written to the
 * audit log: the token, the route, the answer. That row (and the token's `lastUsedAt`, once a minute) is
 * written as soon as the answer is sent, not before it: a screen pop does not wait for two writes. However
 * busy the process, each is written (never sampled or dropped), and the server waits for them when it closes
 * ({@link tokenWritesDone}); a write that fails is logged.
 */
export function requireScope(db: Db, scope: ApiScope, now: () => Date = () => new Date()) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const at = now();
    const checked = await checkApiToken(db, request.headers.authorization, scope, at);
    const audit = {
      actorType: "token",
      action: `api.${request.routeOptions.url ?? request.url}`,
      targetType: "ApiToken",
      targetId: checked.ok ? checked.tokenId : null,
      data: {
        method: request.method,
        scope,
        allowed: checked.ok,
        ...(!checked.ok && { status: checked.status }),
      },
      createdAt: at,
    };
    afterAnswer(reply, async () => {
      await db.auditLog.create({ data: audit });
      if (checked.ok && checked.lastUsedDue) {
        await db.apiToken.update({ where: { id: checked.tokenId }, data: { lastUsedAt: at } });
      }
    });
    if (checked.ok) {
      (request as FastifyRequest & { apiToken?: { id: string; name: string } }).apiToken = {
        id: checked.tokenId,
        name: checked.name,
      };
      return;
    }
    await reply
      .status(checked.status)
      .header(
        "www-authenticate",
        checked.status === 401
          ? 'Bearer realm="rapport"'
          : `Bearer realm="rapport", error="insufficient_scope", scope="${scope}"`,
      )
      .send({ error: checked.error, message: checked.message });
  };
}

/**
 * Runs `write` once the answer is sent, or its connection closed without one (an aborted request is a use
 * too), held in {@link pendingWrites} until done.
 */
function afterAnswer(reply: FastifyReply, write: () => Promise<void>): void {
  let started = false;
  const start = () => {
    if (started) return;
    started = true;
    const done = write()
      .catch((err: unknown) => reply.log.error({ err }, "could not write an API token's audit row"))
      .finally(() => pendingWrites.delete(done));
    pendingWrites.add(done);
  };
  reply.raw.once("finish", start);
  reply.raw.once("close", start);
}

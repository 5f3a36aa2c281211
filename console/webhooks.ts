import type { Db } from "../lib/db/index.ts";
import { newWebhookSecret, WEBHOOK_EVENTS } from "../lib/standard-webhooks.ts";
import { recordAudit } from "./auth/audit.ts";
import { isUuid } from "./customers/ids.ts";

/**
 * Webhook subscriptions as admins manage them, from the console (console/routes/webhooks.ts) and the CLI
 * (`rapport webhooks`): the same checks, the same audit rows.
 */

/** Who changes a subscription: a staff member (console) or the CLI's user ("cli:<user>"). */
export interface WebhookActor {
  /** The signed-in staff member; unset for the CLI (audited as the system). */
  staffUserId?: string;
  /** A staff member's email or "cli:<user>", kept in the audit row and as `createdBy`. */
  by: string;
}

/** Why a receiver URL was refused. */
export type WebhookUrlProblem = "invalid" | "scheme" | "credentials" | "https";

/** The longest URL, name and field list a subscription keeps. */
export const WEBHOOK_LIMITS = { url: 2_000, name: 200, fields: 50, field: 64 } as const;

/** localhost, *.localhost, 127.0.0.0/8 and ::1: a receiver on this machine, for development. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  return (
    host === "localhost" ||
    host.endsWith(".localhost") ||
    host === "::1" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
  );
}

/**
 * A receiver URL, normalised, or why not: https with a host and no credentials in it (receivers verify the
 * signature instead); plain http only to a loopback host, for a receiver under development.
 */
export function checkWebhookUrl(
  raw: string,
): { ok: true; url: string } | { ok: false; problem: WebhookUrlProblem } {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return { ok: false, problem: "invalid" };
  }
  if (raw.length > WEBHOOK_LIMITS.url || !url.hostname) return { ok: false, problem: "invalid" };
  if (url.protocol !== "https:" && url.protocol !== "http:") return { ok: false, problem: "scheme" };
  if (url.username || url.password) return { ok: false, problem: "credentials" };
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname)) return { ok: false, problem: "https" };
  return { ok: true, url: url.toString() };
}

/** Values given as repeated options, checkboxes or comma-separated text: trimmed, without blanks or repeats. */
export function splitList(values: string | readonly string[] | undefined): string[] {
  const all = [values ?? []]
    .flat()
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter(Boolean);
  return [...new Set(all)];
}

/** The event types of a list that are neither known nor "*". */
export function unknownWebhookEvents(events: readonly string[]): string[] {
  return events.filter((e) => e !== "*" && !(WEBHOOK_EVENTS as readonly string[]).includes(e));
}

/** The field names of an allow-list that cannot be a top-level field (`orderId`, `total`, `customer`). */
export function badWebhookFields(fields: readonly string[]): string[] {
  return fields.filter((f) => f.length > WEBHOOK_LIMITS.field || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(f));
}

/**
 * Adds a subscription (already checked: {@link checkWebhookUrl}, {@link unknownWebhookEvents},
 * {@link badWebhookFields}) with a new signing secret, audited as `webhook.subscribe`. The secret is
 * returned to be shown once; the audit row does not hold it.
 */
export async function addWebhookSubscription(
  db: Db,
  input: { name?: string; url: string; events: readonly string[]; fields: readonly string[] },
  actor: WebhookActor,
  at: Date,
): Promise<{ id: string; name: string; secret: string }> {
  const secret = newWebhookSecret();
  const name = input.name?.trim() || new URL(input.url).host;
  const row = await db.webhookSubscription.create({
    data: {
      name,
      url: input.url,
      events: [...input.events],
      fields: [...input.fields],
      secret,
      createdBy: actor.by,
      createdAt: at,
    },
  });
  await recordAudit(db, {
    ...auditActor(actor),
    action: "webhook.subscribe",
    targetType: "WebhookSubscription",
    targetId: row.id,
    data: { name, url: input.url, events: [...input.events], fields: [...input.fields], by: actor.by },
    at,
  });
  return { id: row.id, name, secret };
}

/** What an admin can do to a subscription. */
export type WebhookChange = "remove" | "pause" | "resume";

/**
 * Removes (stops for good; its messages and tries stay), pauses or resumes a subscription, audited as
 * `webhook.<change>`. Resuming clears `failingSince`, so a subscription paused after 3 days of failures gets
 * 3 more days. Returns the subscription, or null when there is none with this id.
 */
export async function changeWebhookSubscription(
  db: Db,
  id: string,
  change: WebhookChange,
  actor: WebhookActor,
  at: Date,
): Promise<{ id: string; name: string } | null> {
  const found = isUuid(id)
    ? await db.webhookSubscription.findUnique({ where: { id: id.toLowerCase() } })
    : null;
  if (!found) return null;
  const data =
    change === "remove"
      ? { active: false }
      : change === "pause"
        ? { pausedAt: at }
        : { pausedAt: null, failingSince: null, active: true };
  await db.webhookSubscription.update({ where: { id: found.id }, data });
  await recordAudit(db, {
    ...auditActor(actor),
    action: `webhook.${change}`,
    targetType: "WebhookSubscription",
    targetId: found.id,
    data: { by: actor.by },
    at,
  });
  return { id: found.id, name: found.name };
}

/** The audit row's actor: the staff member, or the system for the CLI. */
export const auditActor = (actor: WebhookActor) =>
  actor.staffUserId
    ? { actorType: "staff" as const, staffUserId: actor.staffUserId }
    : { actorType: "system" as const };

/** How many of a subscription's messages are delivered, pending and failed. */
export type MessageCounts = Record<"delivered" | "pending" | "failed", number>;

/** Every subscription, oldest first, with its message counts. */
export async function listWebhookSubscriptions(db: Db) {
  const subscriptions = await db.webhookSubscription.findMany({
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
  });
  const counts = await db.webhookMessage.groupBy({ by: ["subscriptionId", "status"], _count: true });
  const count = (id: string, status: string) =>
    counts.find((r) => r.subscriptionId === id && r.status === status)?._count ?? 0;
  return subscriptions.map((s) => ({
    ...s,
    counts: {
      delivered: count(s.id, "delivered"),
      pending: count(s.id, "pending"),
      failed: count(s.id, "failed"),
    } satisfies MessageCounts,
  }));
}

/** Live subscriptions paused because their messages failed for days (not one an admin paused by hand). */
export function pausedWebhookSubscriptions(db: Db) {
  return db.webhookSubscription.findMany({
    where: { active: true, pausedAt: { not: null }, failingSince: { not: null } },
    orderBy: { pausedAt: "asc" },
    select: { id: true, name: true, url: true, pausedAt: true, failingSince: true },
  });
}

/** How many live subscriptions are paused after failing (the navigation's badge). */
export function countPausedWebhookSubscriptions(db: Db): Promise<number> {
  return db.webhookSubscription.count({
    where: { active: true, pausedAt: { not: null }, failingSince: { not: null } },
  });
}

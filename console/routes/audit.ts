import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { type Db, Prisma } from "../../lib/db/index.ts";
import { zonedInstant } from "../../lib/zoned-time.ts";
import { requireRole } from "../auth/guard.ts";
import { findCustomer, typedKey, withMerged } from "../customers/lookup-api.ts";
import type { ConsoleDeps } from "../deps.ts";
import { t } from "../i18n.ts";
import { render } from "../views/render.ts";

const ADMINS = { preHandler: requireRole("admin") };
/** Rows a page shows. */
const PAGE = 50;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The filters as the form sends them; anything malformed is ignored and shown as an error, never a 5xx. */
const Query = z.object({
  staff: z.string().max(100).optional(),
  action: z.string().max(100).optional(),
  customer: z.string().max(320).optional(),
  from: z.string().max(20).optional(),
  to: z.string().max(20).optional(),
  /** Keyset cursor: `<ISO time>_<id>` of the last row of the page before. */
  before: z.string().max(100).optional(),
});

interface AuditRow {
  id: string;
  createdAt: Date;
  actorType: string;
  action: string;
  targetType: string | null;
  targetId: string | null;
  data: unknown;
  staffEmail: string | null;
  staffName: string | null;
  customerName: string | null;
  customerEmail: string | null;
}

/**
 * `GET /console/audit`: the audit log, newest first, filtered by staff member (or the system), action,
 * customer (id or email) and a date range in the viewer's time zone, 50 rows a page (keyset: older pages
 * stay fast however long the log). Who did what to which record, with its details. Admins only.
 */
export function registerAudit(scope: FastifyInstance, deps: ConsoleDeps): void {
  scope.get("/audit", ADMINS, async (request, reply) => {
    const parsed = Query.safeParse(request.query ?? {});
    const query = parsed.success ? parsed.data : {};
    const { locale, timezone } = request.consoleView;
    const errors: Record<string, string> = {};
    const where: Prisma.Sql[] = [];

    const staff = query.staff?.trim() ?? "";
    if (staff === "system") where.push(Prisma.sql`a."actorType" <> 'staff'`);
    else if (staff) {
      if (z.uuid().safeParse(staff).success) where.push(Prisma.sql`a."staffUserId" = ${staff}::uuid`);
      else errors.staff = t(locale, "audit.errorStaff");
    }
    const action = query.action?.trim() ?? "";
    if (action) where.push(Prisma.sql`a.action = ${action}`);

    const customerText = query.customer?.trim() ?? "";
    if (customerText) {
      const ids = await customerIds(deps.db, customerText);
      if (ids.length === 0) errors.customer = t(locale, "audit.errorCustomer");
      // an unknown customer matches nothing rather than everything
      where.push(
        Prisma.sql`a."targetType" = 'Customer' AND a."targetId" IN (${Prisma.join(ids.length ? ids : [""])})`,
      );
    }
    const from = dayStart(query.from, timezone);
    const to = dayStart(query.to, timezone, 1);
    if (query.from?.trim() && !from) errors.from = t(locale, "audit.errorDate");
    if (query.to?.trim() && !to) errors.to = t(locale, "audit.errorDate");
    if (from) where.push(Prisma.sql`a."createdAt" >= ${from}`);
    if (to) where.push(Prisma.sql`a."createdAt" < ${to}`);

    const cursor = /^(.+)_([0-9a-f-]{36})$/i.exec(query.before ?? "");
    const cursorAt = cursor ? new Date(cursor[1]!) : undefined;
    if (cursor && cursorAt && !Number.isNaN(cursorAt.getTime()))
      where.push(Prisma.sql`(a."createdAt", a.id) < (${cursorAt}, ${cursor[2]}::uuid)`);

    const [rows, staffList, actions] = await Promise.all([
      deps.db.$queryRaw<AuditRow[]>`
        SELECT a.id, a."createdAt", a."actorType", a.action, a."targetType", a."targetId", a.data,
          s.email AS "staffEmail", s.name AS "staffName", c.name AS "customerName", c.email AS "customerEmail"
        FROM "AuditLog" a
        LEFT JOIN "StaffUser" s ON s.id = a."staffUserId"
        LEFT JOIN "Customer" c ON a."targetType" = 'Customer' AND c.id::text = a."targetId"
        WHERE ${where.length ? Prisma.join(where, " AND ") : Prisma.sql`true`}
        ORDER BY a."createdAt" DESC, a.id DESC
        LIMIT ${PAGE + 1}`,
      deps.db.staffUser.findMany({
        select: { id: true, email: true, name: true },
        orderBy: { email: "asc" },
      }),
      distinctActions(deps.db),
    ]);
    const more = rows.length > PAGE;
    const page = rows.slice(0, PAGE);
    const last = page.at(-1);
    const next = new URLSearchParams(
      Object.entries({
        staff,
        action,
        customer: customerText,
        from: query.from ?? "",
        to: query.to ?? "",
      }).filter(([, v]) => v),
    );
    if (more && last) next.set("before", `${last.createdAt.toISOString()}_${last.id}`);
    return render(
      reply,
      "audit",
      {
        rows: page.map((row) => ({
          ...row,
          actor:
            row.staffName ??
            row.staffEmail ??
            t(locale, row.actorType === "staff" ? "audit.unknownStaff" : "audit.system"),
          customer:
            row.targetType === "Customer" && row.targetId
              ? { id: row.targetId, label: row.customerName ?? row.customerEmail ?? row.targetId.slice(0, 8) }
              : undefined,
          target:
            row.targetType && row.targetType !== "Customer"
              ? `${row.targetType} ${row.targetId?.slice(0, 12) ?? ""}`
              : "",
          details: details(row.data),
        })),
        filters: { staff, action, customer: customerText, from: query.from ?? "", to: query.to ?? "" },
        filtered: Boolean(staff || action || customerText || query.from || query.to),
        errors,
        staffOptions: staffList.map((s) => ({
          value: s.id,
          label: s.name ? `${s.name} (${s.email})` : s.email,
          selected: s.id === staff,
        })),
        actionOptions: actions.map((a) => ({ value: a, selected: a === action })),
        systemSelected: staff === "system",
        older: more ? `/console/audit?${next}` : undefined,
        timezone,
      },
      { title: "audit.title" },
    );
  });
}

/** The instant a `YYYY-MM-DD` day starts in the zone (`plusDays` later), or undefined when it is not a date. */
function dayStart(value: string | undefined, zone: string, plusDays = 0): Date | undefined {
  const m = DAY.exec(value?.trim() ?? "");
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const probe = new Date(Date.UTC(year, month - 1, day));
  if (probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) return undefined;
  const next = new Date(Date.UTC(year, month - 1, day + plusDays));
  return zonedInstant(
    { year: next.getUTCFullYear(), month: next.getUTCMonth() + 1, day: next.getUTCDate(), minutes: 0 },
    zone,
  );
}

/**
 * The customers a filter names: the one an id, email, phone or shop id finds (as the lookup API finds it, a
 * merged customer as its survivor), with every customer merged into it, whose rows are theirs now.
 */
async function customerIds(db: Db, text: string): Promise<string[]> {
  const key = typedKey(text);
  const found = key ? await findCustomer(db, key) : undefined;
  return found?.kind === "one" ? withMerged(db, found.id) : [];
}

/** Every action in the log, by a skip scan over the (action, createdAt) index: fast however many rows. */
async function distinctActions(db: Db): Promise<string[]> {
  const rows = await db.$queryRaw<{ action: string }[]>`
    WITH RECURSIVE skip AS (
      (SELECT action FROM "AuditLog" ORDER BY action LIMIT 1)
      UNION ALL
      SELECT (SELECT a.action FROM "AuditLog" a WHERE a.action > skip.action ORDER BY a.action LIMIT 1)
      FROM skip WHERE skip.action IS NOT NULL
    )
    SELECT action FROM skip WHERE action IS NOT NULL LIMIT 200`;
  return rows.map((r) => r.action);
}

/** The details of a row as short `key: value` pairs (nested values as compact JSON, long ones cut). */
function details(data: unknown): { key: string; value: string }[] {
  if (!data || typeof data !== "object" || Array.isArray(data)) return [];
  return Object.entries(data as Record<string, unknown>)
    .filter(([, value]) => value !== null && value !== undefined && value !== "")
    .slice(0, 12)
    .map(([key, value]) => {
      const text = typeof value === "string" ? value : JSON.stringify(value);
      return { key, value: text.length > 120 ? `${text.slice(0, 119)}…` : text };
    });
}

import type { Db, Prisma } from "../../lib/db/index.ts";

/** One row of the audit log: who did what to which record. */
export interface AuditEntry {
  /** "staff" for a signed-in person (the default), "system" for the CLI and automatic jobs. */
  actorType?: "staff" | "system";
  /** The staff member who acted; null for the system, or for a failed login by an unknown address. */
  staffUserId?: string | null;
  /** Dotted verb, `<area>.<what>`: "staff.login", "staff.create", "customer.erase". */
  action: string;
  /** The model acted on ("StaffUser", "Customer", …). */
  targetType?: string;
  targetId?: string;
  /** Details worth keeping (never a password or a token). */
  data?: Prisma.InputJsonValue;
  /** When it happened, from the caller's clock. Defaults to the database's time. */
  at?: Date;
}

/** Records a staff or system action in AuditLog. Pass a transaction client to tie it to the change itself. */
export async function recordAudit(db: Db | Prisma.TransactionClient, entry: AuditEntry): Promise<void> {
  await db.auditLog.create({
    data: {
      actorType: entry.actorType ?? "staff",
      staffUserId: entry.staffUserId ?? null,
      action: entry.action,
      targetType: entry.targetType ?? null,
      targetId: entry.targetId ?? null,
      ...(entry.data !== undefined && { data: entry.data }),
      ...(entry.at && { createdAt: entry.at }),
    },
  });
}

import { z } from "zod";
import { LOCALES, type Locale } from "../lib/channels.ts";
import type { Clock } from "../lib/clock.ts";
import { type Db, isUniqueViolation, StaffRole } from "../lib/db/index.ts";
import { recordAudit } from "./auth/audit.ts";
import { hashPassword } from "./auth/password.ts";

/** Shortest password accepted, in characters. */
export const PASSWORD_MIN_LENGTH = 10;
/** Longest password accepted, in characters (a bound on the work one login can ask for). */
export const PASSWORD_MAX_LENGTH = 1000;

/** What the staff functions need: the database, and a clock for timestamps. `ConsoleDeps` is one. */
export interface StaffStore {
  db: Db;
  clock: Clock;
}

/** Who makes a change: the CLI and jobs are the system; a signed-in admin is staff. */
export type Actor = { type: "system" } | { type: "staff"; staffUserId: string };

/** A staff account as listed: everything but the password hash. */
export interface StaffSummary {
  id: string;
  email: string;
  name: string | null;
  role: StaffRole;
  locale: string;
  lastLoginAt: Date | null;
  disabledAt: Date | null;
  createdAt: Date;
}

/** A staff account to create. */
export const NewStaffUser = z.object({
  email: z.string().trim().toLowerCase().pipe(z.email("expected an email address")),
  role: z.enum(StaffRole),
  name: z
    .string()
    .trim()
    .max(200)
    .transform((v) => v || undefined)
    .optional(),
  locale: z.enum(LOCALES).default("en"),
  password: z.string(),
});
export type NewStaffUser = z.input<typeof NewStaffUser>;

/** Why a password is refused, or undefined when it is fine. */
export function passwordProblem(password: string): "too_short" | "too_long" | undefined {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return "too_short";
  if (length > PASSWORD_MAX_LENGTH) return "too_long";
  return undefined;
}

/** An address as accounts store it: trimmed, lower-case. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

const SUMMARY = {
  id: true,
  email: true,
  name: true,
  role: true,
  locale: true,
  lastLoginAt: true,
  disabledAt: true,
  createdAt: true,
} as const;

function auditActor(actor: Actor) {
  return actor.type === "system"
    ? { actorType: "system" as const, staffUserId: null }
    : { actorType: "staff" as const, staffUserId: actor.staffUserId };
}

/** The outcome of {@link createStaffUser}. */
export type CreateStaffResult =
  | { kind: "created"; user: StaffSummary }
  | { kind: "exists"; email: string }
  | { kind: "invalid"; field: "email" | "role" | "name" | "locale"; message: string }
  | { kind: "bad_password"; reason: "too_short" | "too_long" };

/** Creates a staff account with a hashed password, and its `staff.create` audit row, in one transaction. */
export async function createStaffUser(
  store: StaffStore,
  input: NewStaffUser,
  actor: Actor,
): Promise<CreateStaffResult> {
  const parsed = NewStaffUser.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { kind: "invalid", field: issue.path[0] as "email", message: issue.message };
  }
  const { email, role, name, locale, password } = parsed.data;
  const problem = passwordProblem(password);
  if (problem) return { kind: "bad_password", reason: problem };
  const passwordHash = await hashPassword(password);
  try {
    const user = await store.db.$transaction(async (tx) => {
      const created = await tx.staffUser.create({
        data: { email, role, name: name ?? null, locale, passwordHash },
        select: SUMMARY,
      });
      await recordAudit(tx, {
        ...auditActor(actor),
        action: "staff.create",
        targetType: "StaffUser",
        targetId: created.id,
        data: { email, role, locale },
        at: new Date(store.clock.now()),
      });
      return created;
    });
    return { kind: "created", user };
  } catch (error) {
    if (isUniqueViolation(error)) return { kind: "exists", email };
    throw error;
  }
}

/** Every staff account, admins first, then by address. */
export async function listStaffUsers(db: Db): Promise<StaffSummary[]> {
  return db.staffUser.findMany({ select: SUMMARY, orderBy: [{ role: "asc" }, { email: "asc" }] });
}

/** Whether any staff account exists. */
export async function hasStaffUsers(db: Db): Promise<boolean> {
  return (await db.staffUser.count()) > 0;
}

/** The outcome of {@link setStaffPassword} and {@link disableStaffUser}. */
export type StaffChangeResult =
  | { kind: "done"; user: StaffSummary }
  | { kind: "not_found" }
  | { kind: "bad_password"; reason: "too_short" | "too_long" };

/**
 * Sets a new password and signs the account out everywhere (its sessions are deleted): a password changed
 * because it leaked must not leave a thief signed in. Audited as `staff.password`.
 */
export async function setStaffPassword(
  store: StaffStore,
  email: string,
  password: string,
  actor: Actor,
): Promise<StaffChangeResult> {
  const problem = passwordProblem(password);
  if (problem) return { kind: "bad_password", reason: problem };
  const passwordHash = await hashPassword(password);
  return changeAccount(store, email, actor, "staff.password", { passwordHash });
}

/** Disables an account: it can no longer sign in, and its sessions end now. Audited as `staff.disable`. */
export async function disableStaffUser(
  store: StaffStore,
  email: string,
  actor: Actor,
): Promise<StaffChangeResult> {
  return changeAccount(store, email, actor, "staff.disable", { disabledAt: new Date(store.clock.now()) });
}

async function changeAccount(
  store: StaffStore,
  email: string,
  actor: Actor,
  action: string,
  data: { passwordHash: string } | { disabledAt: Date },
): Promise<StaffChangeResult> {
  return store.db.$transaction(async (tx) => {
    const existing = await tx.staffUser.findUnique({
      where: { email: normalizeEmail(email) },
      select: { id: true },
    });
    if (!existing) return { kind: "not_found" } as const;
    const user = await tx.staffUser.update({ where: { id: existing.id }, data, select: SUMMARY });
    await tx.session.deleteMany({ where: { staffUserId: user.id } });
    await recordAudit(tx, {
      ...auditActor(actor),
      action,
      targetType: "StaffUser",
      targetId: user.id,
      data: { email: user.email },
      at: new Date(store.clock.now()),
    });
    return { kind: "done", user } as const;
  });
}

/** Stores the language a staff member chose for the console. Audited as `staff.locale`. */
export async function setStaffLocale(
  store: StaffStore,
  staffUserId: string,
  locale: Locale,
  from: Locale,
): Promise<void> {
  await store.db.$transaction(async (tx) => {
    await tx.staffUser.update({ where: { id: staffUserId }, data: { locale } });
    await recordAudit(tx, {
      staffUserId,
      action: "staff.locale",
      targetType: "StaffUser",
      targetId: staffUserId,
      data: { from, to: locale },
      at: new Date(store.clock.now()),
    });
  });
}

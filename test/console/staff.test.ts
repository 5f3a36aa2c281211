import { describe, expect, it } from "vitest";
import {
  createStaffUser,
  disableStaffUser,
  firstStartHint,
  hashPassword,
  listStaffUsers,
  setStaffPassword,
  verifyPassword,
} from "../../console/index.ts";
import { manualClock } from "../../lib/clock.ts";
import { useTestDatabase } from "../support/db.ts";
import { PASSWORD } from "./support.ts";

const database = useTestDatabase();
const clock = manualClock(Date.UTC(2026, 4, 1, 9));
const SYSTEM = { type: "system" } as const;
const store = () => ({ db: database.db, clock });

describe("staff accounts", () => {
  // first, while the database has no staff at all
  it("hints at creating the first admin until an account exists", async () => {
    const hint = await firstStartHint(database.db, "https://crm.example.com/");
    expect(hint).toBe(
      "No staff account yet: create the first admin with `npx rapport staff add you@example.com --role admin`, " +
        "then sign in at https://crm.example.com/console",
    );
    await createStaffUser(store(), { email: "first@example.com", role: "admin", password: PASSWORD }, SYSTEM);
    expect(await firstStartHint(database.db, "https://crm.example.com")).toBeUndefined();
  });

  it("are created with a lower-cased address, a hashed password and a system audit row", async () => {
    const result = await createStaffUser(
      store(),
      { email: "  Siti@Example.COM ", role: "marketer", name: " Siti ", locale: "id", password: PASSWORD },
      SYSTEM,
    );
    expect(result.kind).toBe("created");
    if (result.kind !== "created") return;
    expect(result.user).toMatchObject({
      email: "siti@example.com",
      name: "Siti",
      role: "marketer",
      locale: "id",
    });
    const row = await database.db.staffUser.findUniqueOrThrow({ where: { id: result.user.id } });
    expect(await verifyPassword(PASSWORD, row.passwordHash)).toBe(true);
    const audit = await database.db.auditLog.findFirstOrThrow({ where: { targetId: result.user.id } });
    expect(audit).toMatchObject({ actorType: "system", staffUserId: null, action: "staff.create" });
    expect(audit.createdAt.getTime()).toBe(clock.now());
  });

  it("return why they were not created", async () => {
    const again = await createStaffUser(
      store(),
      { email: "SITI@example.com", role: "agent", password: PASSWORD },
      SYSTEM,
    );
    expect(again).toEqual({ kind: "exists", email: "siti@example.com" });
    const short = await createStaffUser(
      store(),
      { email: "x@example.com", role: "agent", password: "123456789" },
      SYSTEM,
    );
    expect(short).toEqual({ kind: "bad_password", reason: "too_short" });
    const bad = await createStaffUser(store(), { email: "nope", role: "agent", password: PASSWORD }, SYSTEM);
    expect(bad).toMatchObject({ kind: "invalid", field: "email" });
  });

  it("get a new password that ends their sessions", async () => {
    const user = await database.db.staffUser.findUniqueOrThrow({ where: { email: "siti@example.com" } });
    await database.db.session.create({
      data: {
        id: "a".repeat(64),
        staffUserId: user.id,
        csrfToken: "t",
        expiresAt: new Date(clock.now() + 1e6),
      },
    });
    const result = await setStaffPassword(store(), "Siti@example.com", "a brand new password", SYSTEM);
    expect(result.kind).toBe("done");
    const row = await database.db.staffUser.findUniqueOrThrow({ where: { id: user.id } });
    expect(await verifyPassword("a brand new password", row.passwordHash)).toBe(true);
    expect(await database.db.session.count({ where: { staffUserId: user.id } })).toBe(0);
    expect(await setStaffPassword(store(), "ghost@example.com", "a brand new password", SYSTEM)).toEqual({
      kind: "not_found",
    });
  });

  it("are disabled, not deleted, and listed with their status", async () => {
    expect((await disableStaffUser(store(), "siti@example.com", SYSTEM)).kind).toBe("done");
    const list = await listStaffUsers(database.db);
    expect(list.map((u) => u.email)).toEqual(["first@example.com", "siti@example.com"]);
    expect(list[1]!.disabledAt?.getTime()).toBe(clock.now());
    expect(list[0]).not.toHaveProperty("passwordHash");
    const actions = await database.db.auditLog.findMany({ select: { action: true } });
    expect(actions.map((a) => a.action).sort()).toEqual([
      "staff.create",
      "staff.create",
      "staff.disable",
      "staff.password",
    ]);
  });

  it("never store the password itself", async () => {
    const hash = await hashPassword(PASSWORD);
    expect(hash).not.toContain(PASSWORD);
    const rows = await database.db.staffUser.findMany();
    expect(JSON.stringify(rows)).not.toContain(PASSWORD);
  });
});

import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manualClock } from "../../../lib/clock.ts";
import { useTestDatabase } from "../../support/db.ts";
import { addStaff, getPage, signIn, startConsole, uniqueEmail } from "../support.ts";

const HOUR = 3_600_000;
const database = useTestDatabase();
const clock = manualClock(Date.UTC(2026, 2, 2, 8));
let http: FastifyInstance;

beforeAll(async () => {
  ({ http } = await startConsole({ db: database.db, clock }));
});
afterAll(async () => {
  await http.close();
});

describe("sessions", () => {
  it("keep the token's hash, not the token, in the database, with their own CSRF token", async () => {
    const email = uniqueEmail("hash");
    const id = await addStaff(database.db, email, "agent");
    const browser = await signIn(http, email);
    const token = browser.cookie.split("=")[1]!;
    const [row] = await database.db.session.findMany({ where: { staffUserId: id } });
    expect(row!.id).toMatch(/^[0-9a-f]{64}$/);
    expect(row!.id).not.toContain(token);
    expect(row!.csrfToken).toBe(browser.csrf);
  });

  it("end after 12 idle hours, and activity keeps them going", async () => {
    const email = uniqueEmail("idle");
    const id = await addStaff(database.db, email, "agent");
    const browser = await signIn(http, email);
    for (let day = 0; day < 3; day++) {
      clock.advance(11 * HOUR);
      expect((await getPage(http, browser, "/console/inbox")).statusCode).toBe(200);
    }
    clock.advance(12 * HOUR + 60_000);
    const expired = await getPage(http, browser, "/console/inbox");
    expect(expired.statusCode).toBe(302);
    expect(expired.headers.location).toBe("/console/login");
    expect(await database.db.session.count({ where: { staffUserId: id } })).toBe(0);
  });

  it("end 7 days after sign-in, however active", async () => {
    const email = uniqueEmail("busy");
    await addStaff(database.db, email, "agent");
    const browser = await signIn(http, email);
    const started = clock.now();
    while (clock.now() - started < 7 * 24 * HOUR - 6 * HOUR) {
      clock.advance(6 * HOUR);
      expect((await getPage(http, browser, "/console/inbox")).statusCode).toBe(200);
    }
    clock.set(started + 7 * 24 * HOUR);
    expect((await getPage(http, browser, "/console/inbox")).statusCode).toBe(302);
  });

  it("end when the account is disabled", async () => {
    const email = uniqueEmail("disabled");
    const id = await addStaff(database.db, email, "agent");
    const browser = await signIn(http, email);
    await database.db.staffUser.update({ where: { id }, data: { disabledAt: new Date(clock.now()) } });
    expect((await getPage(http, browser, "/console/inbox")).statusCode).toBe(302);
  });

  it("are swept from the database once expired", async () => {
    const stale = uniqueEmail("stale");
    const staleId = await addStaff(database.db, stale, "agent");
    await signIn(http, stale);
    clock.advance(13 * HOUR);
    const fresh = uniqueEmail("fresh");
    await addStaff(database.db, fresh, "agent");
    await signIn(http, fresh);
    expect(await database.db.session.count({ where: { staffUserId: staleId } })).toBe(0);
  });
});

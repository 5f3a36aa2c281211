import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mergeCustomers } from "../../bots/merge.ts";
import { useTestDatabase } from "../support/db.ts";
import { addStaff, type Browser, getPage, postForm, signIn, startConsole, uniqueEmail } from "./support.ts";

const database = useTestDatabase();
let http: FastifyInstance;
let agent: Browser;
let agentId: string;

beforeAll(async () => {
  ({ http } = await startConsole({ db: database.db }));
  const email = uniqueEmail("agent");
  agentId = await addStaff(database.db, email, "agent", { locale: "pl" });
  agent = await signIn(http, email);
});
afterAll(() => http.close());

async function customerWithPoints(points: number) {
  const customer = await database.db.customer.create({
    data: { email: uniqueEmail("member"), loyaltyPoints: points, loyaltyTier: "silver" },
  });
  await database.db.loyaltyEntry.create({
    data: {
      customerId: customer.id,
      points,
      reason: "earn",
      ref: null,
      createdAt: new Date("2026-12-01T10:00:00Z"),
    },
  });
  return customer.id;
}

describe("loyalty on the customer profile", () => {
  it("shows the balance, the tier and the history, in the staff member's language", async () => {
    const id = await customerWithPoints(640);
    const page = await getPage(http, agent, `/console/customers/${id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain("Program lojalnościowy");
    expect(/data-loyalty-points>([^<]*)</.exec(page.body)?.[1]).toBe("640");
    expect(/data-loyalty-tier>([^<]*)</.exec(page.body)?.[1]).toBe("silver");
    expect(page.body.match(/data-loyalty-entry="earn"/g)).toHaveLength(1);
    expect(page.body).toContain(`action="/console/customers/${id}/loyalty"`);
  });

  it("redeems and adjusts with a reason, audited; refuses too few points and a bad form, writing nothing", async () => {
    const id = await customerWithPoints(100);
    const url = `/console/customers/${id}/loyalty`;
    const entries = () => database.db.loyaltyEntry.count({ where: { customerId: id } });
    const balance = async () =>
      (await database.db.customer.findUniqueOrThrow({ where: { id } })).loyaltyPoints;

    const tooMany = await postForm(http, agent, url, {
      _csrf: agent.csrf,
      action: "redeem",
      points: "101",
      note: "gift card",
    });
    expect(tooMany.statusCode).toBe(303);
    expect(tooMany.headers.location).toBe(
      `/console/customers/${id}?loyalty=insufficient&balance=100#loyalty`,
    );
    const bad = [
      { _csrf: agent.csrf, action: "redeem", points: "0", note: "gift card" },
      { _csrf: agent.csrf, action: "adjust", points: "1.5", note: "typo fix" },
      { _csrf: agent.csrf, action: "adjust", points: "5", note: "" },
      { _csrf: agent.csrf, action: "steal", points: "5", note: "because" },
    ];
    expect(bad).toHaveLength(4);
    for (const fields of bad) {
      const response = await postForm(http, agent, url, fields);
      expect(response.headers.location, JSON.stringify(fields)).toContain("loyalty=invalid");
    }
    const noCsrf = await postForm(http, agent, url, { action: "adjust", points: "5", note: "no token" });
    expect(noCsrf.statusCode).toBeGreaterThanOrEqual(400);
    expect(await entries()).toBe(1);

    const redeemed = await postForm(http, agent, url, {
      _csrf: agent.csrf,
      action: "redeem",
      points: "60",
      note: "tote bag at the Kraków shop",
    });
    expect(redeemed.headers.location).toContain("loyalty=done");
    const adjusted = await postForm(http, agent, url, {
      _csrf: agent.csrf,
      action: "adjust",
      points: "-15",
      note: "double-counted order 5512",
    });
    expect(adjusted.headers.location).toContain("loyalty=done");
    expect(await balance()).toBe(25);
    const written = await database.db.loyaltyEntry.findMany({
      where: { customerId: id, staffUserId: agentId },
      orderBy: { points: "asc" },
    });
    expect(written.map((e) => [e.reason, e.points, e.note])).toEqual([
      ["redeem", -60, "tote bag at the Kraków shop"],
      ["adjust", -15, "double-counted order 5512"],
    ]);
    const audits = await database.db.auditLog.findMany({
      where: { action: "customer.loyalty", targetId: id, staffUserId: agentId },
    });
    expect(audits).toHaveLength(2);
    const page = await getPage(http, agent, `/console/customers/${id}?loyalty=done`);
    expect(page.body).toContain("Punkty zostały zapisane.");
  });

  it("exports the ledger with the customer, and a merge moves it with the balance", async () => {
    const survivor = await customerWithPoints(30);
    const merged = await customerWithPoints(12);
    await mergeCustomers(database.db, survivor, merged, { reason: "test" });
    const owner = await database.db.loyaltyEntry.groupBy({
      by: ["customerId"],
      where: { customerId: { in: [survivor, merged] } },
      _sum: { points: true },
    });
    expect(owner).toEqual([{ customerId: survivor, _sum: { points: 42 } }]);
    expect((await database.db.customer.findUniqueOrThrow({ where: { id: survivor } })).loyaltyPoints).toBe(
      42,
    );
    const response = await postForm(http, agent, `/console/customers/${survivor}/export`, {
      _csrf: agent.csrf,
    });
    expect(response.statusCode).toBe(200);
    const exported = response.json() as { loyaltyEntries: Array<{ reason: string; points: number }> };
    expect(exported.loyaltyEntries.map((e) => [e.reason, e.points]).sort()).toEqual([
      ["earn", 12],
      ["earn", 30],
    ]);
  });

  it("shows the tier in the conversation's customer panel", async () => {
    const id = await customerWithPoints(2500);
    await database.db.customer.update({ where: { id }, data: { loyaltyTier: "gold" } });
    const conversation = await database.db.conversation.create({
      data: { customerId: id, channel: "telegram" },
    });
    const page = await getPage(http, agent, `/console/conversations/${conversation.id}`);
    expect(page.statusCode).toBe(200);
    expect(/data-fact="tier">([^<]*)</.exec(page.body)?.[1]).toBe("gold");
  });
});

import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimContact, mergeCustomers, resolveCustomerByEmail, resolveIdentity } from "../../bots/index.ts";
import { registerConsole } from "../../console/index.ts";
import { systemClock } from "../../lib/clock.ts";
import { createHttpServer } from "../../lib/http.ts";
import { silentLogger } from "../../lib/logger.ts";
import { useTestDatabase } from "../support/db.ts";
import { addStaff, type Browser, getPage, postForm, signIn, uniqueEmail } from "./support.ts";

// A contact a customer typed is shown as unverified, with the customers it may belong to and a way for an
// admin to merge after checking: the staff merge is one of the proofs (bots/identity.ts).
const database = useTestDatabase();
let http: FastifyInstance;
let admin: Browser;
let agent: Browser;
let adminId: string;

beforeAll(async () => {
  http = createHttpServer({ log: silentLogger });
  await registerConsole(http, {
    db: database.db,
    clock: systemClock,
    log: silentLogger,
    publicUrl: "http://localhost:3000",
    brandName: "Toko Rapport",
    mergeCustomers: (survivorId, mergedId, staffUserId) =>
      mergeCustomers(database.db, survivorId, mergedId, { reason: "staff", actorType: "staff", staffUserId }),
  });
  await http.ready();
  const [adminEmail, agentEmail] = [uniqueEmail("admin"), uniqueEmail("agent")];
  adminId = await addStaff(database.db, adminEmail, "admin");
  await addStaff(database.db, agentEmail, "agent");
  [admin, agent] = await Promise.all([signIn(http, adminEmail), signIn(http, agentEmail)]);
});
afterAll(() => http.close());

/** A shop customer who owns the address, and a web chat visitor who typed it. */
async function claimedAddress(email: string) {
  const owner = await resolveCustomerByEmail(database.db, { email, name: "Dewi Lestari" });
  const visitor = await resolveIdentity(database.db, "webchat", { externalId: crypto.randomUUID() });
  await claimContact(database.db, visitor.customerId, {
    kind: "email",
    value: email,
    source: "webchat_identify",
  });
  const conversation = await database.db.conversation.create({
    data: { customerId: visitor.customerId, channel: "webchat", threadRef: "t", lastMessageAt: new Date() },
  });
  return { owner: owner.customerId, claimant: visitor.customerId, conversationId: conversation.id };
}

describe("an unverified contact in the console", () => {
  it("shows on the profile as unverified, possibly the same person as its holder, with a working merge", async () => {
    const { owner, claimant } = await claimedAddress("dewi@example.com");
    const page = await getPage(http, admin, `/console/customers/${claimant}`);
    expect(page.statusCode).toBe(200);
    const section = page.body.slice(page.body.indexOf('id="unverified-heading"'));
    expect(section).toContain("dewi@example.com");
    expect(section).toContain('<span class="pill pill-unverified">unverified</span>');
    expect(section).toContain("left in the web chat");
    expect(section).toContain(
      `Possibly the same person as <a href="/console/customers/${owner}">Dewi Lestari</a>`,
    );
    const mergeHref = `/console/customers/${claimant}/merge?other=${owner}`;
    expect(section).toContain(`href="${mergeHref}"`);
    // the claim is not the customer's email: the contact list says none
    expect(page.body).not.toContain('href="mailto:dewi@example.com"');

    const confirm = await getPage(http, admin, mergeHref);
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain(`<input type="hidden" name="other" value="${owner}">`);
    const merged = await postForm(http, admin, `/console/customers/${claimant}/merge`, {
      other: owner,
      _csrf: admin.csrf,
    });
    expect(merged.statusCode).toBe(303);
    const survivor = merged.headers.location!.match(/customers\/([0-9a-f-]{36})/)![1]!;
    expect([owner, claimant]).toContain(survivor);
    const audit = await database.db.auditLog.findFirstOrThrow({
      where: { action: "customer.merge", targetId: survivor },
    });
    expect(audit).toMatchObject({ actorType: "staff", staffUserId: adminId, data: { reason: "staff" } });
    // one record now, holding the address as its own: nothing left to verify
    const after = await getPage(http, admin, merged.headers.location!);
    expect(after.body).not.toContain('id="unverified-heading"');
    expect(after.body).toContain('href="mailto:dewi@example.com"');
  });

  it("shows an agent the unverified contact but no merge button", async () => {
    const { owner, claimant } = await claimedAddress("rina@example.com");
    const page = await getPage(http, agent, `/console/customers/${claimant}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<span class="pill pill-unverified">unverified</span>');
    expect(page.body).toContain(`<a href="/console/customers/${owner}">`);
    expect(page.body).not.toContain(`merge?other=${owner}`);
  });

  it("shows in the conversation's customer panel", async () => {
    const { owner, conversationId } = await claimedAddress("putri@example.com");
    const page = await getPage(http, agent, `/console/conversations/${conversationId}`);
    expect(page.statusCode).toBe(200);
    const panel = page.body.slice(page.body.indexOf('data-fact="unverified"'));
    expect(panel).toContain("putri@example.com");
    expect(panel).toContain("unverified");
    expect(panel).toContain(
      `Possibly the same person as <a href="/console/customers/${owner}">Dewi Lestari</a>`,
    );
  });

  it("is part of the customer's data export", async () => {
    const { claimant } = await claimedAddress("ayu@example.com");
    const response = await postForm(http, agent, `/console/customers/${claimant}/export`, {
      _csrf: agent.csrf,
    });
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body).contactClaims).toMatchObject([
      { kind: "email", value: "ayu@example.com", source: "webchat_identify", verifiedAt: null },
    ]);
  });
});

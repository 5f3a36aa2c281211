import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "../../support/db.ts";
import { useTestRedis } from "../../support/redis.ts";
import { addConversation, startInboxConsole } from "../inbox/support.ts";
import { addStaff, type Browser, getPage, postForm, signIn, uniqueEmail } from "../support.ts";

const database = useTestDatabase();
const redis = useTestRedis();
let http: FastifyInstance;
let admin: Browser;
let agent: Browser;
let adminId: string;

beforeAll(async () => {
  ({ http } = await startInboxConsole({ db: database.db, redis: redis.redis, prefix: redis.prefix }));
  const adminEmail = uniqueEmail("admin");
  adminId = await addStaff(database.db, adminEmail, "admin", { name: "Adi Admin" });
  admin = await signIn(http, adminEmail);
  const agentEmail = uniqueEmail("agent");
  await addStaff(database.db, agentEmail, "agent", { name: "Ayu Lestari" });
  agent = await signIn(http, agentEmail);
});
afterAll(async () => {
  await http?.close();
});

const save = (fields: Record<string, string>, url = "/console/canned") =>
  postForm(http, admin, url, { _csrf: admin.csrf, ...fields });

const canned = (shortcut: string, locale: string) =>
  database.db.cannedResponse.findUniqueOrThrow({ where: { shortcut_locale: { shortcut, locale } } });

describe("the canned responses page", () => {
  it("adds, edits and deletes responses per locale, each audited", async () => {
    const added = await save({
      shortcut: "Greet",
      locale: "en",
      title: "Greeting",
      body: "Hi {{customer.firstName}}!",
    });
    expect(added.statusCode).toBe(303);
    expect(added.headers.location).toBe("/console/canned?done=added");
    await save({
      shortcut: "greet",
      locale: "id",
      title: "Salam",
      body: "Halo {{customer.firstName}}, saya {{agent.firstName}} dari {{brand}}.",
    });
    await save({
      shortcut: "thanks",
      locale: "en",
      title: "Thanks",
      body: "Thank you, {{customer.name}}. — {{agent.name}}",
    });
    const greet = await canned("greet", "en");
    expect(greet).toMatchObject({ title: "Greeting", body: "Hi {{customer.firstName}}!" });

    const page = await getPage(http, admin, "/console/canned?done=added");
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain("The canned response has been added.");
    expect(page.body).toContain("{{customer.firstName}}");

    const duplicate = await save({ shortcut: "greet", locale: "en", title: "Again", body: "Hello" });
    expect(duplicate.statusCode).toBe(409);
    expect(duplicate.body).toContain("There is already a /greet response in en.");
    const invalid = await save({ shortcut: "no spaces!", locale: "en", title: "x", body: "y" });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.body).toContain("Check the form");

    const edit = await getPage(http, admin, `/console/canned?edit=${greet.id}`);
    expect(edit.body).toContain(`action="/console/canned/${greet.id}"`);
    const edited = await save(
      {
        shortcut: "greet",
        locale: "en",
        title: "Greeting",
        body: "Hello {{customer.firstName}}, {{agent.firstName}} here.",
      },
      `/console/canned/${greet.id}`,
    );
    expect(edited.headers.location).toBe("/console/canned?done=saved");
    expect((await canned("greet", "en")).body).toBe(
      "Hello {{customer.firstName}}, {{agent.firstName}} here.",
    );

    const thanks = await canned("thanks", "en");
    await save({}, `/console/canned/${thanks.id}/delete`);
    await save({
      shortcut: "thanks",
      locale: "en",
      title: "Thanks",
      body: "Thank you, {{customer.name}}. — {{agent.name}}",
    });

    const audit = await database.db.auditLog.findMany({
      where: { targetType: "CannedResponse", staffUserId: adminId },
      orderBy: { createdAt: "asc" },
    });
    expect(audit.map((a) => a.action)).toEqual([
      "canned.create",
      "canned.create",
      "canned.create",
      "canned.update",
      "canned.delete",
      "canned.create",
    ]);
  });

  it("is for admins only, and needs the CSRF token", async () => {
    expect((await getPage(http, agent, "/console/canned")).statusCode).toBe(403);
    const byAgent = await postForm(http, agent, "/console/canned", {
      _csrf: agent.csrf,
      shortcut: "sneaky",
      locale: "en",
      title: "x",
      body: "y",
    });
    expect(byAgent.statusCode).toBe(403);
    const forged = await postForm(http, admin, "/console/canned", {
      shortcut: "forged",
      locale: "en",
      title: "x",
      body: "y",
    });
    expect(forged.statusCode).toBe(403);
    const greet = await canned("greet", "en");
    expect((await postForm(http, admin, `/console/canned/${greet.id}/delete`, {})).statusCode).toBe(403);
    expect(
      await database.db.cannedResponse.count({ where: { shortcut: { in: ["sneaky", "forged"] } } }),
    ).toBe(0);
  });
});

describe("the canned response picker", () => {
  it("offers the customer's language, falling back to English, and fills the placeholders on the server", async () => {
    const { conversationId } = await addConversation(database.db, {
      name: "Siti Rahma",
      locale: "id",
      lastMessageAt: new Date(),
    });
    const page = await getPage(http, agent, `/console/conversations/${conversationId}`);
    const options = [...page.body.matchAll(/<option value="([0-9a-f-]{36})" lang="(\w+)">\/(\w+)/g)].map(
      (m) => `${m[3]}:${m[2]}`,
    );
    expect(options).toEqual(["greet:id", "thanks:en"]);

    const greet = await canned("greet", "id");
    const filled = await getPage(http, agent, `/console/conversations/${conversationId}/canned/${greet.id}`, {
      accept: "application/json",
    });
    expect(filled.json()).toEqual({
      shortcut: "greet",
      locale: "id",
      text: "Halo Siti, saya Ayu dari Toko Rapport.",
      empty: [],
    });
    // without the script: the page comes back with the reply box filled in
    const prefilled = await getPage(
      http,
      agent,
      `/console/conversations/${conversationId}?canned=${greet.id}`,
    );
    expect(prefilled.body).toMatch(
      /<textarea id="reply-text"[^>]*>Halo Siti, saya Ayu dari Toko Rapport\.<\/textarea>/,
    );

    const thanks = await canned("thanks", "en");
    const english = await getPage(
      http,
      agent,
      `/console/conversations/${conversationId}/canned/${thanks.id}`,
      {
        accept: "application/json",
      },
    );
    expect((english.json() as { text: string }).text).toBe("Thank you, Siti Rahma. — Ayu Lestari");
  });

  it("gives a Polish customer the English response when there is no Polish one", async () => {
    const { conversationId } = await addConversation(database.db, {
      name: "Kasia Nowak",
      locale: "pl",
      lastMessageAt: new Date(),
    });
    const page = await getPage(http, agent, `/console/conversations/${conversationId}`);
    const options = [...page.body.matchAll(/<option value="[0-9a-f-]{36}" lang="(\w+)">\/(\w+)/g)].map(
      (m) => `${m[2]}:${m[1]}`,
    );
    expect(options).toEqual(["greet:en", "thanks:en"]);
    const greet = await canned("greet", "en");
    const filled = await getPage(http, agent, `/console/conversations/${conversationId}/canned/${greet.id}`, {
      accept: "application/json",
    });
    expect((filled.json() as { text: string }).text).toBe("Hello Kasia, Ayu here.");
  });

  it("never inserts an empty name: the placeholder stays, the picker says which is empty, a fallback fills it", async () => {
    const { conversationId } = await addConversation(database.db, {
      name: null,
      locale: "pl",
      lastMessageAt: new Date(),
    });
    const plain = await database.db.cannedResponse.create({
      data: {
        shortcut: "dzien",
        locale: "pl",
        title: "Dzień dobry",
        body: "Dzień dobry {{customer.firstName}}, w czym pomóc?",
      },
    });
    const withFallback = await database.db.cannedResponse.create({
      data: {
        shortcut: "witaj",
        locale: "pl",
        title: "Witaj",
        body: 'Dzień dobry {{default customer.firstName "Państwo"}}, tu {{agent.firstName}}.',
      },
    });
    const json = { accept: "application/json" };
    const filled = await getPage(
      http,
      agent,
      `/console/conversations/${conversationId}/canned/${plain.id}`,
      json,
    );
    expect(filled.json()).toEqual({
      shortcut: "dzien",
      locale: "pl",
      text: "Dzień dobry {{customer.firstName}}, w czym pomóc?",
      empty: ["{{customer.firstName}}"],
      message:
        "This customer has no value for {{customer.firstName}}: write the words in yourself or remove it before sending.",
    });
    const page = await getPage(http, agent, `/console/conversations/${conversationId}?canned=${plain.id}`);
    expect(page.body).toContain("This customer has no value for {{customer.firstName}}");
    expect(page.body).not.toMatch(/Dzień dobry ,/);

    const fallback = await getPage(
      http,
      agent,
      `/console/conversations/${conversationId}/canned/${withFallback.id}`,
      json,
    );
    expect(fallback.json()).toMatchObject({ text: "Dzień dobry Państwo, tu Ayu.", empty: [] });
  });

  it("refuses to send a reply with a placeholder left in, saying which, in the staff member's language", async () => {
    const { conversationId } = await addConversation(database.db, {
      name: null,
      locale: "pl",
      lastMessageAt: new Date(),
    });
    const reply = (text: string, headers: Record<string, string> = {}, extra: Record<string, string> = {}) =>
      postForm(
        http,
        agent,
        `/console/conversations/${conversationId}/reply`,
        { _csrf: agent.csrf, text, formId: crypto.randomUUID(), ...extra },
        headers,
      );
    const script = await reply("Dzień dobry {{customer.firstName}},", {
      accept: "application/json",
      "x-csrf-token": agent.csrf,
    });
    expect(script.statusCode).toBe(422);
    expect(script.json()).toMatchObject({
      error: "empty_placeholder",
      placeholders: ["{{customer.firstName}}"],
      message:
        "Not sent: {{customer.firstName}} is empty for this customer and would reach them as written. Write the words in yourself or remove it.",
    });
    // a form post, even "Send anyway": the page again, with the text kept and no way to force it
    const form = await reply("Dzień dobry {{customer.firstName}},", {}, { force: "1" });
    expect(form.statusCode).toBe(422);
    expect(form.body).toContain("Not sent: {{customer.firstName}} is empty for this customer");
    expect(form.body).toMatch(
      /<textarea id="reply-text"[^>]*>Dzień dobry \{\{customer.firstName}},<\/textarea>/,
    );
    expect(form.body).toMatch(/data-send-anyway hidden/);
    expect(await database.db.delivery.count({ where: { conversationId } })).toBe(0);

    const polishEmail = uniqueEmail("agent-pl");
    await addStaff(database.db, polishEmail, "agent", { locale: "pl" });
    const polish = await signIn(http, polishEmail);
    const refused = await postForm(
      http,
      polish,
      `/console/conversations/${conversationId}/reply`,
      { text: "Dzień dobry {{customer.name}},", formId: crypto.randomUUID() },
      { accept: "application/json", "x-csrf-token": polish.csrf },
    );
    expect((refused.json() as { message: string }).message).toMatch(
      /^Nie wysłano: \{\{customer.name}} jest puste/,
    );

    // written in by hand, it goes
    const sent = await reply("Dzień dobry Pani Kasiu,", {
      accept: "application/json",
      "x-csrf-token": agent.csrf,
    });
    expect(sent.statusCode).toBe(200);
    expect(await database.db.delivery.count({ where: { conversationId } })).toBe(1);
  });
});

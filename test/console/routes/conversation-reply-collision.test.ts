import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "../../support/db.ts";
import { useTestRedis } from "../../support/redis.ts";
import { addConversation, startInboxConsole } from "../inbox/support.ts";
import { addStaff, type Browser, getPage, postForm, signIn, uniqueEmail } from "../support.ts";

// The server refuses a reply that collides (issue #6): someone else replied, or the customer wrote, after the
// page the reply was written on was rendered.
const database = useTestDatabase();
const redis = useTestRedis();
let http: FastifyInstance;
let ayu: Browser & { id: string };
let bagus: Browser & { id: string };

beforeAll(async () => {
  ({ http } = await startInboxConsole({ db: database.db, redis: redis.redis, prefix: redis.prefix }));
  const account = async (name: string) => {
    const email = uniqueEmail(name.toLowerCase());
    const id = await addStaff(database.db, email, "agent", { name });
    return { ...(await signIn(http, email)), id };
  };
  ayu = await account("Ayu");
  bagus = await account("Bagus");
});
afterAll(async () => {
  await http?.close();
});

/** A conversation the customer opened a minute ago with one message. */
const conversation = () =>
  addConversation(database.db, {
    lastMessageAt: new Date(Date.now() - 60_000),
    messages: [{ text: "Where is my parcel?", sentAt: new Date(Date.now() - 60_000) }],
  });

/** Opens the conversation page as a browser would, and reads its reply form. */
async function open(browser: Browser, conversationId: string) {
  const page = await getPage(http, browser, `/console/conversations/${conversationId}`);
  expect(page.statusCode).toBe(200);
  return replyForm(page.body);
}

function replyForm(html: string) {
  const field = (name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1];
  return { formId: field("formId")!, seen: field("seen")! };
}

type Fields = Record<string, string>;

/** The reply form posted without script: the browser follows a 303, shows a 409 page. */
const sendForm = (browser: Browser, conversationId: string, fields: Fields) =>
  postForm(http, browser, `/console/conversations/${conversationId}/reply`, {
    _csrf: browser.csrf,
    ...fields,
  });

/** The reply as inbox.js sends it: fetch, the token in a header, JSON wanted. */
const sendScript = (browser: Browser, conversationId: string, fields: Fields) =>
  postForm(http, browser, `/console/conversations/${conversationId}/reply`, fields, {
    accept: "application/json",
    "x-csrf-token": browser.csrf,
  });

const repliesOf = (conversationId: string) =>
  database.db.delivery.findMany({ where: { conversationId }, orderBy: { createdAt: "asc" } });
const replyAudits = (conversationId: string) =>
  database.db.auditLog.findMany({
    where: { targetId: conversationId, action: "conversation.reply" },
    orderBy: { createdAt: "asc" },
  });

describe("a reply that collides", () => {
  it("is refused with 409 when a colleague replied after the page was opened, and nothing is queued", async () => {
    const { conversationId } = await conversation();
    const ayuForm = await open(ayu, conversationId);
    expect(ayuForm.seen).toMatch(/^\d{4}-\d\d-\d\dT/);
    const bagusForm = await open(bagus, conversationId);
    const bagusReply = await sendForm(bagus, conversationId, { text: "On its way!", ...bagusForm });
    expect(bagusReply.statusCode).toBe(303);
    const [bagusDelivery] = await repliesOf(conversationId);

    const refused = await sendScript(ayu, conversationId, { text: "Let me check.", ...ayuForm });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({
      error: "replied_meanwhile",
      by: "Bagus",
      staff: ["Bagus"],
      customer: false,
      refs: [`d-${bagusDelivery!.id}`],
      formId: ayuForm.formId,
      message: expect.stringContaining("Bagus replied after you opened this conversation"),
    });
    expect(await database.db.delivery.count({ where: { key: `r/staff/${ayuForm.formId}` } })).toBe(0);
    expect((await repliesOf(conversationId)).map((d) => d.id)).toEqual([bagusDelivery!.id]);
    expect((await replyAudits(conversationId)).map((a) => a.staffUserId)).toEqual([bagus.id]);
    const after = await database.db.conversation.findUniqueOrThrow({ where: { id: conversationId } });
    expect(after.assigneeId).toBe(bagus.id);
  });

  it("comes back as the conversation page without script: the warning, the text typed, Send anyway", async () => {
    const { conversationId } = await conversation();
    const ayuForm = await open(ayu, conversationId);
    await sendForm(bagus, conversationId, { text: "On its way!", ...(await open(bagus, conversationId)) });

    const refused = await sendForm(ayu, conversationId, {
      text: "Let me check <with the courier>.",
      ...ayuForm,
    });
    expect(refused.statusCode).toBe(409);
    expect(refused.headers["content-type"]).toMatch(/text\/html/);
    const page = refused.body;
    expect(page).toMatch(
      /role="alert" data-reply-refused>\s*<p>Bagus replied after you opened this conversation/,
    );
    expect(page).toContain(">Let me check &lt;with the courier&gt;.</textarea>");
    expect(page).toMatch(
      /<button type="submit" name="force" value="1" class="warning" data-send-anyway>Send anyway</,
    );
    // Bagus's reply is on the page, and the form is the same one (sending it twice is still one message)
    expect(page).toContain("On its way!");
    const again = replyForm(page);
    expect(again.formId).toBe(ayuForm.formId);
    expect(again.seen > ayuForm.seen).toBe(true);
    expect(await database.db.delivery.count({ where: { key: `r/staff/${ayuForm.formId}` } })).toBe(0);
  });

  it("sends anyway with force=1, audited as forced", async () => {
    const { conversationId } = await conversation();
    const ayuForm = await open(ayu, conversationId);
    await sendForm(bagus, conversationId, { text: "On its way!", ...(await open(bagus, conversationId)) });
    expect((await sendForm(ayu, conversationId, { text: "Me too", ...ayuForm })).statusCode).toBe(409);

    const forced = await sendForm(ayu, conversationId, { text: "Me too", ...ayuForm, force: "1" });
    expect(forced.statusCode).toBe(303);
    expect(forced.headers.location).toBe(`/console/conversations/${conversationId}`);
    const delivery = await database.db.delivery.findUniqueOrThrow({
      where: { key: `r/staff/${ayuForm.formId}` },
    });
    expect(delivery).toMatchObject({ status: "queued", data: { text: "Me too", staffUserId: ayu.id } });
    expect((await replyAudits(conversationId)).map((a) => [a.staffUserId, a.data])).toEqual([
      [bagus.id, { deliveryId: expect.any(String), length: 11 }],
      [ayu.id, { deliveryId: delivery.id, length: 6, forced: true }],
    ]);
  });

  it("is not one when the same form is sent again: a retried POST is still one Delivery", async () => {
    const { conversationId } = await conversation();
    const ayuForm = await open(ayu, conversationId);
    const first = await sendScript(ayu, conversationId, { text: "Checking now.", ...ayuForm });
    expect(first.statusCode).toBe(200);
    await sendForm(bagus, conversationId, { text: "On its way!", ...(await open(bagus, conversationId)) });

    // the answer was lost on the way: the page sends the same form again
    const retried = await sendScript(ayu, conversationId, { text: "Checking now.", ...ayuForm });
    expect(retried.statusCode).toBe(200);
    expect(retried.json().ref).toBe(first.json().ref);
    expect(await database.db.delivery.count({ where: { key: `r/staff/${ayuForm.formId}` } })).toBe(1);
    expect((await replyAudits(conversationId)).map((a) => a.staffUserId)).toEqual([ayu.id, bagus.id]);
  });

  it("warns with the customer's name when the customer wrote after the page was opened", async () => {
    const { conversationId, customerId } = await conversation();
    const ayuForm = await open(ayu, conversationId);
    // as capture stores a new message
    const inbound = await database.db.interaction.create({
      data: {
        customerId,
        conversationId,
        channel: "telegram",
        direction: "inbound",
        author: "customer",
        externalId: `${conversationId}:2`,
        text: "Actually, I moved house.",
        sentAt: new Date(),
      },
    });

    const refused = await sendScript(ayu, conversationId, { text: "It is at your door.", ...ayuForm });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({
      error: "customer_wrote",
      by: "Siti Rahma",
      staff: [],
      customer: true,
      refs: [`i-${inbound.id}`],
      message: expect.stringContaining("Siti Rahma wrote something new after you opened this conversation"),
    });
    const page = await sendForm(ayu, conversationId, { text: "It is at your door.", ...ayuForm });
    expect(page.statusCode).toBe(409);
    expect(page.body).toContain("Siti Rahma wrote something new");
    expect(page.body).toContain("Actually, I moved house.");
    expect(await repliesOf(conversationId)).toEqual([]);
    expect(await replyAudits(conversationId)).toEqual([]);
  });

  it("is not one for what live updates showed, for the staff member's own replies, or for bot messages and notes", async () => {
    const { conversationId, customerId } = await conversation();
    const ayuForm = await open(ayu, conversationId);
    await sendForm(bagus, conversationId, { text: "On its way!", ...(await open(bagus, conversationId)) });
    const [bagusDelivery] = await repliesOf(conversationId);
    // inbox.js added Bagus's reply to the page live, and says so
    const live = await sendScript(ayu, conversationId, {
      text: "Seen it, thanks Bagus.",
      ...ayuForm,
      shown: `d-${bagusDelivery!.id}`,
    });
    expect(live.statusCode).toBe(200);

    // her own second reply, a note by Bagus and a bot message do not count either
    await database.db.interaction.createMany({
      data: [
        {
          direction: "outbound" as const,
          author: "staff" as const,
          staffUserId: bagus.id,
          internal: true,
          text: "VIP",
        },
        { direction: "outbound" as const, author: "bot" as const, text: "Anything else?" },
      ].map((message, i) => ({
        ...message,
        customerId,
        conversationId,
        channel: "telegram" as const,
        externalId: `${conversationId}:bot-${i}`,
        sentAt: new Date(),
      })),
    });
    const second = await sendScript(ayu, conversationId, {
      text: "One more thing.",
      ...ayuForm,
      formId: crypto.randomUUID(),
      shown: `d-${bagusDelivery!.id}`,
    });
    expect(second.statusCode).toBe(200);
    expect(await repliesOf(conversationId)).toHaveLength(3);
  });

  it("is not checked for a form without `seen` (a page opened before this check existed)", async () => {
    const { conversationId } = await conversation();
    const { formId } = await open(ayu, conversationId);
    await sendForm(bagus, conversationId, { text: "On its way!", ...(await open(bagus, conversationId)) });
    const old = await sendForm(ayu, conversationId, { text: "Checking now.", formId });
    expect(old.statusCode).toBe(303);
    expect(await repliesOf(conversationId)).toHaveLength(2);
    expect((await replyAudits(conversationId)).at(-1)?.data).toEqual({
      deliveryId: expect.any(String),
      length: 13,
    });
  });

  it("lets one of two staff members who press Send together through, and refuses the other", async () => {
    const { conversationId } = await conversation();
    const [ayuForm, bagusForm] = [await open(ayu, conversationId), await open(bagus, conversationId)];
    const answers = await Promise.all([
      sendScript(ayu, conversationId, { text: "Ayu here.", ...ayuForm }),
      sendScript(bagus, conversationId, { text: "Bagus here.", ...bagusForm }),
    ]);
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 409]);
    expect(await repliesOf(conversationId)).toHaveLength(1);
  });
});

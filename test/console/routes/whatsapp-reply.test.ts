import { randomUUID } from "node:crypto";
import type { Worker } from "bullmq";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWhatsAppChannel } from "../../../bots/whatsapp/channel.ts";
import { manualClock } from "../../../lib/clock.ts";
import { silentLogger } from "../../../lib/logger.ts";
import { createTemplateStore } from "../../../templates/index.ts";
import { startDeliverWorker } from "../../../workers/deliver.ts";
import type { DeliverJob } from "../../../workers/index.ts";
import { type FakeWhatsApp, startFakeWhatsApp } from "../../fakes/index.ts";
import { useTestDatabase } from "../../support/db.ts";
import { useTestRedis } from "../../support/redis.ts";
import { waitFor } from "../../support/wait.ts";
import { addConversation, startInboxConsole } from "../inbox/support.ts";
import { addStaff, type Browser, getPage, postForm, signIn, uniqueEmail } from "../support.ts";

const database = useTestDatabase();
const redis = useTestRedis();
// Monday 23 November 2026, 03:00 UTC (10:00 in Jakarta)
const NOW = Date.parse("2026-11-23T03:00:00Z");
const clock = manualClock(NOW);
let http: FastifyInstance;
let whatsapp: FakeWhatsApp;
let worker: Worker<DeliverJob>;
let agent: Browser & { csrf: string };

beforeAll(async () => {
  whatsapp = await startFakeWhatsApp({ now: clock.now });
  ({ http } = await startInboxConsole({ db: database.db, redis: redis.redis, prefix: redis.prefix, clock }));
  const email = uniqueEmail("agent");
  await addStaff(database.db, email, "agent", { name: "Ayu Lestari" });
  agent = await signIn(http, email);
  // the WhatsApp deliver worker, as `rapport worker` runs it, against the fake Graph API
  worker = startDeliverWorker(
    {
      db: database.db,
      clock,
      log: silentLogger,
      templates: createTemplateStore(),
      publicUrl: "http://localhost:3000",
      unsubscribeSecret: "unsubscribe-secret-0123456789",
      campaign: () => undefined,
      connection: redis.redis,
      prefix: redis.prefix,
      concurrency: 5,
    },
    createWhatsAppChannel({
      accessToken: whatsapp.accessToken,
      phoneNumberId: whatsapp.phoneNumberId,
      apiRoot: whatsapp.apiRoot,
      db: database.db,
      clock,
    }),
  );
});
afterAll(async () => {
  await worker?.close();
  await http?.close();
  await whatsapp?.close();
});

/** A WhatsApp conversation whose customer last wrote `ago` ms before now. */
const conversationLastWritten = (ago: number) =>
  addConversation(database.db, {
    channel: "whatsapp",
    name: "Sari Dewi",
    locale: "id",
    lastMessageAt: new Date(NOW - ago),
    messages: [{ text: "Kapan pesanan saya dikirim?", sentAt: new Date(NOW - ago) }],
  });

/** The agent picks a canned response on the conversation's page (filled by the server) and sends it. */
async function sendCanned(conversationId: string, cannedId: string) {
  const picked = await getPage(http, agent, `/console/conversations/${conversationId}/canned/${cannedId}`, {
    accept: "application/json",
  });
  expect(picked.statusCode).toBe(200);
  const { text } = JSON.parse(picked.body) as { text: string };
  const response = await postForm(http, agent, `/console/conversations/${conversationId}/reply`, {
    _csrf: agent.csrf,
    text,
    formId: randomUUID(),
  });
  expect(response.statusCode).toBe(303);
  return text;
}

describe("replying on WhatsApp from the console", () => {
  it("sends a canned response, filled for the customer, inside the 24-hour window", async () => {
    const canned = await database.db.cannedResponse.create({
      data: {
        shortcut: `ship-${randomUUID().slice(0, 8)}`,
        locale: "id",
        title: "Dikirim",
        body: "Halo {{customer.firstName}}, pesanan Anda dikirim hari ini. Salam, {{agent.firstName}}",
      },
    });
    const { conversationId, threadRef } = await conversationLastWritten(2 * 60 * 60 * 1000);
    const text = await sendCanned(conversationId, canned.id);
    expect(text).toBe("Halo Sari, pesanan Anda dikirim hari ini. Salam, Ayu");
    const sent = await waitFor("the reply at WhatsApp", () => whatsapp.sent.find((m) => m.to === threadRef));
    expect(sent).toMatchObject({ type: "text", text });
    const interaction = await waitFor("the outbound interaction", () =>
      database.db.interaction.findFirst({ where: { conversationId, direction: "outbound" } }),
    );
    expect(interaction).toMatchObject({ author: "staff", text });
  });

  it("fails a reply once the window closed, saying an approved template is needed, and sends nothing", async () => {
    const { conversationId, threadRef } = await conversationLastWritten(25 * 60 * 60 * 1000);
    const response = await postForm(http, agent, `/console/conversations/${conversationId}/reply`, {
      _csrf: agent.csrf,
      text: "Maaf menunggu lama!",
      formId: randomUUID(),
    });
    expect(response.statusCode).toBe(303);
    const failed = await waitFor("the reply failed", () =>
      database.db.delivery.findFirst({ where: { conversationId, status: "failed" } }),
    );
    expect(failed.error).toMatch(/more than 24 hours .*approved template message/);
    expect(whatsapp.sent.filter((m) => m.to === threadRef)).toEqual([]);
  });
});

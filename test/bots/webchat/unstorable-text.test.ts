import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureMessage } from "../../../bots/conversation.ts";
import { registerWebchat } from "../../../bots/webchat/index.ts";
import { manualClock } from "../../../lib/clock.ts";
import { createHttpServer } from "../../../lib/http.ts";
import { silentLogger } from "../../../lib/logger.ts";
import { useTestDatabase } from "../../support/db.ts";

// A web chat message needs no login: text PostgreSQL cannot store (U+0000, lone surrogates) must be a 2xx
// with the text stored without it, or a 400 when nothing is left, never a 500.
const database = useTestDatabase();
const app = createHttpServer({ log: silentLogger });

beforeAll(async () => {
  await registerWebchat(app, {
    db: database.db,
    onMessage: async (message) => void (await captureMessage(database.db, message)),
    sendReply: async () => {},
    secret: "webchat-nul-secret-0123456789",
    brandName: "Acme",
    publicUrl: "https://chat.acme.example",
    log: silentLogger,
    clock: manualClock(Date.UTC(2026, 4, 1, 9)),
    limits: { sessionsPerMinute: 1_000, messagesPerMinute: 1_000 },
  });
  await app.ready();
});
afterAll(() => app.close());

const post = (url: string, payload: string) =>
  app.inject({ method: "POST", url, headers: { "content-type": "application/json" }, payload });

describe("a web chat message with U+0000 or a lone surrogate", () => {
  it("is stored without them", async () => {
    const session = await post("/webchat/api/session", '{"locale": "pl\\u0000"}');
    expect(session.statusCode, session.body).toBe(201);
    const { visitorId, token } = session.json();
    const body = `{"visitorId": "${visitorId}", "token": "${token}", "clientMessageId": "m-1",
      "text": "Dzie\\u0000\\u0144 dobry \\ud800!"}`;
    const response = await post("/webchat/api/messages", body);
    expect(response.statusCode, response.body).toBe(200);
    const stored = await database.db.interaction.findMany({
      where: { channel: "webchat", externalId: `${visitorId}:m-1` },
    });
    expect(stored.map((row) => row.text)).toEqual(["Dzień dobry !"]);
  });

  it("is refused with 400 when nothing else is left of it", async () => {
    const { visitorId, token } = (await post("/webchat/api/session", "{}")).json();
    const body = `{"visitorId": "${visitorId}", "token": "${token}", "clientMessageId": "m-2", "text": "\\u0000"}`;
    const response = await post("/webchat/api/messages", body);
    expect(response.statusCode).toBe(400);
    expect(response.json().issues.map((i: { path: string }) => i.path)).toEqual(["text"]);
  });
});

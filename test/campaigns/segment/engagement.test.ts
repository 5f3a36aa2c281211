import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import {
  audienceIssues,
  compileAudience,
  loadSegmentFacts,
  noSegments,
} from "../../../campaigns/segment/index.ts";
import type { ChannelName } from "../../../lib/channels.ts";
import { useTestDatabase } from "../../support/db.ts";

const database = useTestDatabase();
const NOW = new Date("2026-12-07T12:00:00.000Z");
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ago = (ms: number) => new Date(NOW.getTime() - ms);

interface Sent {
  channel: ChannelName;
  sentDaysAgo: number;
  openedDaysAgo?: number;
  clickedDaysAgo?: number;
  convertedDaysAgo?: number;
  /** The customer wrote back on the delivery's channel this many hours after it. */
  answeredAfterHours?: number;
}

/*
 * eva: opened 35, 9 and 4 days ago; clicked 35 and 9 days ago (email); converted 8 and 60 days ago;
 *   answered a Telegram message 20 days ago within a day and one 100 days ago, but one 5 days ago only after
 *   72 hours (too late: a reply comes within 48 h). Clicks 2 on email, replies 2 on Telegram: a tie, which
 *   goes to the latest response (the click 9 days ago).
 * tom: answered a Telegram message 2 days ago. ola: opened an email, never clicked or answered. ned: nothing.
 */
const CUSTOMERS: Record<string, Sent[]> = {
  eva: [
    { channel: "email", sentDaysAgo: 40, openedDaysAgo: 35, clickedDaysAgo: 35 },
    { channel: "email", sentDaysAgo: 10, openedDaysAgo: 9, clickedDaysAgo: 9, convertedDaysAgo: 8 },
    { channel: "email", sentDaysAgo: 5, openedDaysAgo: 4 },
    { channel: "email", sentDaysAgo: 61, convertedDaysAgo: 60 },
    { channel: "telegram", sentDaysAgo: 20, answeredAfterHours: 20 },
    { channel: "telegram", sentDaysAgo: 5, answeredAfterHours: 72 },
    { channel: "telegram", sentDaysAgo: 100, answeredAfterHours: 1 },
  ],
  tom: [{ channel: "telegram", sentDaysAgo: 2, answeredAfterHours: 24 }],
  ola: [{ channel: "email", sentDaysAgo: 3, openedDaysAgo: 2 }],
  ned: [],
};

const labelOf = new Map<string, string>();
const at = (days: number | undefined) => (days === undefined ? null : ago(days * DAY));

beforeAll(async () => {
  for (const [label, sent] of Object.entries(CUSTOMERS)) {
    const customer = await database.db.customer.create({ data: { name: label } });
    labelOf.set(customer.id, label);
    for (const s of sent) {
      await database.db.delivery.create({
        data: {
          key: randomUUID(),
          customerId: customer.id,
          channel: s.channel,
          status: "sent",
          sentAt: at(s.sentDaysAgo),
          openedAt: at(s.openedDaysAgo),
          clickedAt: at(s.clickedDaysAgo),
          convertedAt: at(s.convertedDaysAgo),
        },
      });
      if (s.answeredAfterHours !== undefined) {
        await database.db.interaction.create({
          data: {
            customerId: customer.id,
            channel: s.channel,
            direction: "inbound",
            author: "customer",
            text: "thanks!",
            sentAt: new Date(ago(s.sentDaysAgo * DAY).getTime() + s.answeredAfterHours * HOUR),
          },
        });
      }
    }
  }
  // staff writing on the channel right after a delivery is no reply of the customer
  const [ola] = [...labelOf].find(([, label]) => label === "ola")!;
  await database.db.interaction.create({
    data: {
      customerId: ola,
      channel: "email",
      direction: "outbound",
      author: "staff",
      text: "hi",
      sentAt: ago(2 * DAY),
    },
  });
});

/** Who the audience takes in by SQL, checked against the in-memory predicate on loaded facts. */
async function members(expression: string): Promise<string[]> {
  const audience = compileAudience(expression, noSegments("segments.yaml"));
  const rows = await database.db.$queryRaw<Array<{ id: string }>>`
    SELECT c.id FROM "Customer" c WHERE ${audience.sql(NOW)}`;
  const bySql = rows.map((row) => labelOf.get(row.id)!).sort();
  const facts = await loadSegmentFacts(database.db, [...labelOf.keys()], NOW);
  expect(facts.size).toBe(labelOf.size);
  const byPredicate = [...facts].filter(([, f]) => audience.predicate(f)).map(([id]) => labelOf.get(id)!);
  expect(byPredicate.sort(), `predicate: ${expression}`).toEqual(bySql);
  return bySql;
}

describe("engagement in segments", () => {
  it.each([
    ["opened(30d) = 2", ["eva"]],
    ["opened(60d) = 3", ["eva"]],
    ['opened(30d, "email") >= 1', ["eva", "ola"]],
    ['opened(30d, "telegram") > 0', []],
    ["clicked(30d) = 1 and clicked(60d) = 2", ["eva"]],
    ["replied(30d) = 1", ["eva", "tom"]],
    ["replied(365d) = 2", ["eva"]],
    ['replied(30d, "email") = 0', ["eva", "ned", "ola", "tom"]],
    ["converted(90d) = 2 and converted(30d) = 1", ["eva"]],
    ["converted(1w) = 0", ["eva", "ned", "ola", "tom"]],
  ])("counts %s over the window, never the events before it", async (expression, expected) => {
    expect(await members(expression)).toEqual(expected);
  });

  it("finds the channel a customer answers or clicks on most; opens alone are no response", async () => {
    expect(await members('responds_on = "email"')).toEqual(["eva"]);
    expect(await members('responds_on = "telegram"')).toEqual(["tom"]);
    expect(await members("responds_on is null")).toEqual(["ned", "ola"]);
  });
});

describe("checking engagement and RFM fields", () => {
  const issues = (expression: string) =>
    audienceIssues(expression, undefined).map((issue) => `${issue.col}: ${issue.message}`);

  it.each([
    [
      "opened > 1",
      '1: opened counts over a window: write opened(30d), or opened(30d, "email") for one channel',
    ],
    [
      "orders > 1 or opened() > 1",
      '15: expected a window in opened( ): write opened(30d), or opened(30d, "email") for one channel',
    ],
    ["opened(30) > 1", "8: 30 needs a unit: write opened(30d)"],
    ['opened("email") > 1', '8: the window comes first: opened(30d, "email")'],
    ["clicked(400d) > 1", "9: clicked looks back at most 365d: write a window up to 365d"],
    ["clicked(0d) > 1", "9: a window of 0d counts nothing: write at least 1d"],
    ["clicked(email) > 1", '9: expected a window like 30d or 2w, got "email"'],
    ['clicked(30d, "emial") > 0', "14: unknown channel 'emial' — did you mean 'email'?"],
    ["clicked(30d, email) > 0", '14: the channel goes in double quotes, like clicked(30d, "email")'],
    [
      'replied(30d, "email", 2) > 0',
      '23: replied takes a window and a channel, no more: like replied(30d, "email")',
    ],
    ["converted(30d > 1", '15: expected , or ) after 30d in converted(…), got ">"'],
    ['converted(30d) = "x"', '18: converted is a number: compare it with a number like 2, not "x"'],
    [
      "opened(30d) is null",
      "13: opened is never null (deliveries opened within the window): compare its value instead",
    ],
    [
      'responds_on = "fax"',
      "15: unknown channel 'fax': expected one of telegram, discord, x, email, webchat, whatsapp, sms",
    ],
    ['rfm.segment = "champion"', "15: unknown RFM segment 'champion' — did you mean 'champions'?"],
    ['rfm.recency = "5"', '15: rfm.recency is a number: compare it with a number like 2, not "5"'],
  ])("%s", (expression, expected) => {
    expect(issues(expression)).toEqual([expected]);
  });
});

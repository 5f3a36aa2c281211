import { request as httpRequest, type IncomingMessage } from "node:http";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileCampaign } from "../../campaigns/index.ts";
import { shipCampaign } from "../../workers/index.ts";
import { type FakeResend, startFakeResend } from "../fakes/index.ts";
import { useTestDatabase } from "../support/db.ts";
import { useTestRedis } from "../support/redis.ts";
import { seedRunningSend, startSendConsole } from "./campaign-send-support.ts";
import { addStaff, type Browser, getPage, postForm, signIn, uniqueEmail } from "./support.ts";

/**
 * The campaign page during a send (issue 15, "the marketer"): the latest send's Deliveries per channel and
 * status, updated live over the console's SSE stream, the send-rate and per-variant charts, and "Send me a
 * test", which mails one customer's message to the signed-in marketer through the email channel (the fake
 * Resend here) without writing a Delivery or touching the campaign's stats.
 */
const database = useTestDatabase();
const redis = useTestRedis();
const MINUTE = 60_000;
const ranAt = new Date(Date.now() - 10 * MINUTE);

let http: FastifyInstance;
let resend: FakeResend;
let marketer: Browser;
let marketerEmail: string;
let siti: string;

beforeAll(async () => {
  resend = await startFakeResend({ rateLimit: Number.POSITIVE_INFINITY });
  http = await startSendConsole(database.db, redis, resend);
  marketerEmail = uniqueEmail("marketer");
  await addStaff(database.db, marketerEmail, "marketer");
  marketer = await signIn(http, marketerEmail);
  siti = await seedRunningSend(database.db, ranAt);
}, 30_000);
afterAll(async () => {
  await http?.close();
  await resend?.close();
});

/** The progress table's numbers: channel → status → count, from the page's HTML. */
function countsOf(html: string): Record<string, Record<string, number>> {
  const counts: Record<string, Record<string, number>> = {};
  for (const row of html.matchAll(/<tr data-channel="(\w+)"[^>]*>([\s\S]*?)<\/tr>/g)) {
    const cells: Record<string, number> = {};
    for (const cell of row[2]!.matchAll(/data-status="(\w+)"[^>]*>([^<]*)</g))
      cells[cell[1]!] = Number(cell[2]!.replace(/\D/g, ""));
    counts[row[1]!] = cells;
  }
  return counts;
}

const EXPECTED = {
  email: { planned: 3, queued: 2, sent: 5, failed: 1, suppressed: 1, skipped: 2 },
  telegram: { planned: 0, queued: 1, sent: 2, failed: 1, suppressed: 0, skipped: 0 },
  all: { planned: 3, queued: 3, sent: 7, failed: 2, suppressed: 1, skipped: 2 },
};

describe("the campaign page during a send", () => {
  it("shows the running send's Deliveries per channel and status, with a bar, the send rate and the variants", async () => {
    const page = await getPage(http, marketer, "/console/campaigns/flash");
    expect(page.statusCode, page.body).toBe(200);
    expect(countsOf(page.body)).toEqual(EXPECTED);
    // 18 in the send, 12 done (sent, failed, suppressed, skipped): the run before is not counted
    expect(page.body).toMatch(/<progress class="send-bar" max="18" value="12"/);
    expect(page.body).toContain("Sending: 12 of 18 messages done.");
    expect(page.body).toContain('data-send-live="/console/campaigns/flash/progress/events"');
    // sent per minute over the run: 3 + 2 (email) and 2 (telegram, in the first minute)
    // the chart as drawn for a laptop's width (the page also holds it drawn for a phone's and a wide screen's)
    const rate = /<svg [^>]*aria-labelledby="send-rate-flash-title [\s\S]*?<\/svg>/.exec(page.body)?.[0];
    expect(rate).toBeDefined();
    const points = [...rate!.matchAll(/<circle[^>]*><title>[^<]*: ([\d.,]+)<\/title>/g)].map((m) => m[1]);
    expect(points.length).toBeGreaterThanOrEqual(3);
    expect(points.slice(0, 3)).toEqual(["5", "0", "2"]);
    // results per variant from the campaign's stats: every sent message of a and b, the run before included
    const variants = /<svg [^>]*aria-labelledby="variants-flash-title [\s\S]*?<\/svg>/.exec(page.body)?.[0];
    expect(variants).toContain("a · Sent: 7");
    expect(variants).toContain("b · Sent: 4");
  });

  it("shows a finished send as finished, the last 24 hours for an event campaign, and a schedule that never ran", async () => {
    const THANKS = `id: thanks
name: Thank you
trigger: { event: purchase }
channels: [email]
message: { template: thank-you }
`;
    const WEEKLY = `id: weekly
name: Weekly
trigger: { schedule: { cron: "0 9 * * 4", timezone: UTC } }
channels: [email]
message: { template: promo, data: { headline: News, body: Read, endsAt: "2026-12-31T16:59:59Z" } }
`;
    await shipCampaign(database.db, compileCampaign(THANKS, "thanks.yaml"), THANKS, { activate: true });
    await shipCampaign(database.db, compileCampaign(WEEKLY, "weekly.yaml"), WEEKLY, { activate: true });
    const at = new Date(Date.now() - 3 * 3_600_000);
    await database.db.delivery.createMany({
      data: [
        ...["sent", "sent", "failed"].map((status, i) => ({
          key: `d/thanks/main/${siti}/today-${i}`,
          campaignId: "thanks",
          step: "main",
          customerId: siti,
          channel: "email" as const,
          status: status as "sent",
          createdAt: at,
          ...(status === "sent" && { sentAt: at }),
        })),
        // two days ago: outside the last 24 hours
        {
          key: `d/thanks/main/${siti}/old`,
          campaignId: "thanks",
          step: "main",
          customerId: siti,
          channel: "email" as const,
          status: "queued" as const,
          createdAt: new Date(Date.now() - 2 * 86_400_000),
        },
      ],
    });
    const thanks = await getPage(http, marketer, "/console/campaigns/thanks");
    expect(thanks.body).toContain("Sending in the last 24 hours");
    expect(thanks.body).toContain("Finished: all 3 messages done.");
    expect(countsOf(thanks.body)).toEqual({
      email: { planned: 0, queued: 0, sent: 2, failed: 1, suppressed: 0, skipped: 0 },
    });
    const weekly = await getPage(http, marketer, "/console/campaigns/weekly");
    expect(weekly.statusCode).toBe(200);
    expect(weekly.body).toContain("This schedule has not sent anything yet.");
    expect(weekly.body).not.toContain("data-send-live");
  });

  it("answers the progress as JSON and moves when Deliveries are sent", async () => {
    const before = await getPage(http, marketer, "/console/campaigns/flash/progress", {
      accept: "application/json",
    });
    expect(before.statusCode).toBe(200);
    const first = before.json() as { running: boolean; totals: { sent: number; queued: number } };
    expect(first).toMatchObject({ running: true, totals: { sent: 7, queued: 3, total: 18, done: 12 } });
    // one planned email is skipped (its customer opted out meanwhile): the next answer counts it
    const planned = await database.db.delivery.findFirstOrThrow({
      where: { campaignId: "flash", status: "planned" },
    });
    await database.db.delivery.update({ where: { id: planned.id }, data: { status: "skipped" } });
    try {
      const after = await getPage(http, marketer, "/console/campaigns/flash/progress", {
        accept: "application/json",
      });
      expect(after.json()).toMatchObject({ totals: { planned: 2, skipped: 3, done: 13 } });
    } finally {
      await database.db.delivery.update({ where: { id: planned.id }, data: { status: "planned" } });
    }
    const missing = await getPage(http, marketer, "/console/campaigns/nope/progress", {
      accept: "application/json",
    });
    expect(missing.statusCode).toBe(404);
  });

  it("streams a new progress event over SSE when the send moves on", async () => {
    const url = await http.listen({ port: 0, host: "127.0.0.1" });
    const stream = await openProgress(`${url}/console/campaigns/flash/progress/events`, marketer.cookie);
    try {
      const first = await stream.next((p) => p.totals.sent === 7);
      expect(first).toMatchObject({ running: true, totals: { queued: 3 } });
      expect(first.html).toContain("Sending: 12 of 18 messages done.");
      // the worker sends the telegram message that was queued and the two queued emails
      const queued = await database.db.delivery.findMany({
        where: { campaignId: "flash", status: "queued" },
        select: { id: true },
      });
      expect(queued).toHaveLength(3);
      await database.db.delivery.updateMany({
        where: { id: { in: queued.map((d) => d.id) } },
        data: { status: "sent", sentAt: new Date() },
      });
      const next = await stream.next((p) => p.totals.sent === 10, 10_000);
      expect(next).toMatchObject({ running: true, totals: { queued: 0, planned: 3, done: 15 } });
      expect(countsOf(next.html).telegram).toMatchObject({ queued: 0, sent: 3 });
      expect(next.html).toContain("Sending: 15 of 18 messages done.");
    } finally {
      stream.close();
      await database.db.delivery.updateMany({
        where: {
          campaignId: "flash",
          status: "sent",
          sentAt: { gt: new Date(ranAt.getTime() + 5 * MINUTE) },
        },
        data: { status: "queued", sentAt: null },
      });
    }
  }, 20_000);
});

interface ProgressEvent {
  running: boolean;
  totals: Record<string, number>;
  html: string;
}

/** Reads `event: progress` of a campaign's SSE stream. */
function openProgress(url: string, cookie: string) {
  return new Promise<{
    next(match: (p: ProgressEvent) => boolean, timeoutMs?: number): Promise<ProgressEvent>;
    close(): void;
  }>((resolve, reject) => {
    const req = httpRequest(
      url,
      { headers: { accept: "text/event-stream", cookie } },
      (res: IncomingMessage) => {
        if (res.statusCode !== 200) reject(new Error(`stream answered ${res.statusCode}`));
        let buffer = "";
        const waiters = new Set<() => void>();
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          buffer += chunk;
          for (const wake of waiters) wake();
        });
        const events = () =>
          buffer
            .split("\n\n")
            .filter((block) => block.startsWith("event: progress\n"))
            .map((block) => JSON.parse(block.split("\ndata: ")[1]!) as ProgressEvent);
        resolve({
          next: (match, timeoutMs = 2_000) =>
            new Promise((done, fail) => {
              const check = () => {
                const found = events().find(match);
                if (!found) return;
                waiters.delete(check);
                clearTimeout(timer);
                done(found);
              };
              const timer = setTimeout(() => {
                waiters.delete(check);
                fail(new Error(`no matching progress within ${timeoutMs} ms; got: ${buffer.slice(-500)}`));
              }, timeoutMs);
              waiters.add(check);
              check();
            }),
          close: () => req.destroy(),
        });
      },
    );
    req.on("error", reject);
    req.end();
  });
}

describe("Send me a test", () => {
  it("mails the customer's message to the marketer's own address, once, and writes no Delivery or stat", async () => {
    const snapshot = async () => ({
      deliveries: await database.db.delivery.count(),
      stats: await database.db.$queryRaw<{ s: string }[]>`
        SELECT md5(string_agg(row_to_json(s)::text, ',' ORDER BY row_to_json(s)::text)) AS s FROM "CampaignStat" s`,
      hours: await database.db.$queryRaw<{ s: string }[]>`
        SELECT md5(string_agg(row_to_json(h)::text, ',' ORDER BY row_to_json(h)::text)) AS s FROM "DeliveryHourStat" h`,
    });
    const before = await snapshot();
    const emailsBefore = resend.emails.length;
    const preview = await getPage(http, marketer, `/console/campaigns/flash/preview?customer=${siti}`);
    expect(preview.statusCode).toBe(200);
    expect(preview.body).toContain(`your own address ${marketerEmail}`);
    const response = await postForm(http, marketer, "/console/campaigns/flash/test", {
      _csrf: marketer.csrf,
      customer: siti,
    });
    expect(response.statusCode, response.body).toBe(303);
    expect(response.headers.location).toBe(
      `/console/campaigns/flash/preview?customer=${siti}&test=sent#test`,
    );
    expect(resend.emails.length - emailsBefore).toBe(1);
    const email = resend.emails.at(-1)!;
    expect([email.to].flat()).toEqual([marketerEmail]);
    // Siti's message: her name, the campaign's headline, in her language's template; subject marked as a test
    expect(email.subject).toBe("[Test] Flash sale");
    expect(email.html).toContain("Siti Rahma");
    expect(email.text).toContain("Today only");
    // the unsubscribe link in a test would opt Siti out: it points to the console's preview instead
    expect(email.html).not.toContain("/u/");
    expect(await snapshot()).toEqual(before);
    const audit = await database.db.auditLog.findFirst({
      where: { action: "campaign.test_send", targetId: "flash" },
    });
    expect(audit?.data).toMatchObject({ customerId: siti, to: marketerEmail, channel: "email" });
    const after = await getPage(http, marketer, response.headers.location as string);
    expect(after.body).toContain(`Test sent to ${marketerEmail}.`);
  });

  it("refuses a sixth test in ten minutes, and a bad customer id with 400", async () => {
    const email = uniqueEmail("busy");
    await addStaff(database.db, email, "marketer");
    const busy = await signIn(http, email);
    const sent = () =>
      postForm(http, busy, "/console/campaigns/flash/test", { _csrf: busy.csrf, customer: siti });
    const before = resend.emails.length;
    for (let i = 0; i < 5; i++) expect((await sent()).headers.location).toContain("test=sent");
    const sixth = await sent();
    expect(sixth.headers.location).toContain("test=throttled");
    expect(resend.emails.length - before).toBe(5);
    const bad = await postForm(http, busy, "/console/campaigns/flash/test", {
      _csrf: busy.csrf,
      customer: "x",
    });
    expect(bad.statusCode).toBe(400);
  });

  it("says so when the staff account's address cannot receive email, and sends nothing", async () => {
    const email = uniqueEmail("noaddress");
    const id = await addStaff(database.db, email, "marketer");
    const staff = await signIn(http, email);
    // an account renamed to a bare login outside the console (the console itself only takes addresses)
    await database.db.staffUser.update({ where: { id }, data: { email: "shop-team" } });
    const before = resend.emails.length;
    const response = await postForm(http, staff, "/console/campaigns/flash/test", {
      _csrf: staff.csrf,
      customer: siti,
    });
    expect(response.headers.location).toContain("test=no_email");
    expect(resend.emails.length).toBe(before);
    const page = await getPage(http, staff, response.headers.location as string);
    expect(page.body).toContain("Your account has no email address a test can go to (shop-team).");
  });

  it("is for marketers and admins: an agent is refused", async () => {
    const email = uniqueEmail("agent");
    await addStaff(database.db, email, "agent");
    const agent = await signIn(http, email);
    const before = resend.emails.length;
    const response = await postForm(http, agent, "/console/campaigns/flash/test", {
      _csrf: agent.csrf,
      customer: siti,
    });
    expect(response.statusCode).toBe(403);
    expect(resend.emails.length).toBe(before);
  });
});

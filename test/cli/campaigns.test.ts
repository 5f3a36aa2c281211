import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyUnsubscribeToken } from "../../bots/index.ts";
import { campaignsCommand } from "../../cli/campaigns.ts";
import { CliError, type DbCommandContext } from "../../cli/campaigns-context.ts";
import { dryRunCommand } from "../../cli/campaigns-dry-run.ts";
import { previewCommand } from "../../cli/campaigns-preview.ts";
import { setStatusCommand, shipCommand } from "../../cli/campaigns-ship.ts";
import { statusCommand } from "../../cli/campaigns-status.ts";
import { Prisma } from "../../lib/db/index.ts";
import { useTestDatabase } from "../support/db.ts";
import { commandContext } from "./capture.ts";
import { rapport } from "./run.ts";

const database = useTestDatabase();
const dir = mkdtempSync(path.join(tmpdir(), "rapport-campaigns-cli-"));
const campaignsDir = path.join(dir, "campaigns");
const dataDir = path.join(dir, ".data");

const WIN_BACK = `id: win-back
name: Win back
trigger: { inactive: { for: 60d, since: last_purchase } }
audience: orders >= 1
channels: [email]
message:
  template: win-back
  data: { discount: 15, coupon: unique(WINBACK15), valid_days: 14 }
goal: { event: purchase, within: 14d }
`;

const campaign = (id: string, name = id) =>
  `id: ${id}\nname: ${name}\ntrigger: { event: purchase }\nchannels: [email]\nmessage: { template: promo, data: { headline: Hi, body: Hello, endsAt: "2026-12-31T00:00:00Z" } }\n`;

/** A command context on this file's database and campaigns folder. */
function context(): DbCommandContext & ReturnType<typeof commandContext> {
  return {
    ...commandContext({ RAPPORT_CAMPAIGNS_DIR: campaignsDir, DATABASE_URL: database.url }),
    db: database.db,
    actor: "cli:tester",
  };
}

/** Runs a command in this process: its exit code and output, or the message of the error it stops with. */
async function inProcess(command: (ctx: DbCommandContext) => Promise<number>) {
  const ctx = context();
  try {
    const code = await command(ctx);
    return { code, stdout: ctx.out.stdout.text, stderr: ctx.out.stderr.text };
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    return { code: 1, stdout: ctx.out.stdout.text, stderr: error.message };
  }
}

/** `rapport campaigns …` as a real process on this file's database. */
const cli = (...args: string[]) =>
  rapport(["campaigns", ...args], dir, {
    DATABASE_URL: database.url,
    RAPPORT_DATA_DIR: dataDir,
    RAPPORT_CAMPAIGNS_DIR: campaignsDir,
  });

async function customer(data: Prisma.CustomerCreateInput): Promise<string> {
  const created = await database.db.customer.create({
    // marketing needs granted consent (opt-in, the default policy): unless the test says otherwise, they gave it
    data: {
      lastPurchaseAt: new Date(Date.now() - 90 * 86_400_000),
      consent: { email: { status: "granted" }, telegram: { status: "granted" } },
      ...data,
    },
  });
  await database.db.event.create({
    data: {
      customerId: created.id,
      type: "purchase",
      externalId: `first-${created.id}`,
      value: new Prisma.Decimal("120.00"),
      currency: "PLN",
      occurredAt: new Date(Date.now() - 90 * 86_400_000),
    },
  });
  return created.id;
}

let jan: string;

beforeAll(async () => {
  mkdirSync(campaignsDir, { recursive: true });
  copyFileSync(path.resolve("campaigns/segments.yaml"), path.join(campaignsDir, "segments.yaml"));
  writeFileSync(path.join(campaignsDir, "win-back.yaml"), WIN_BACK);
  writeFileSync(path.join(campaignsDir, "reported.yaml"), campaign("reported", "Reported"));
  writeFileSync(path.join(campaignsDir, "not-shipped.yaml"), campaign("not-shipped"));
  writeFileSync(path.join(dir, "spawned.yaml"), campaign("spawned"));
  jan = await customer({
    name: "Jan Kowalski",
    email: "jan@example.com",
    locale: "pl",
    timezone: "Europe/Warsaw",
  });
  await customer({ name: "Siti", email: "siti@example.com", locale: "id", timezone: "Asia/Jakarta" });
  await customer({ name: "Emma", email: "emma@example.com", consent: { email: { status: "denied" } } });
  // shipped beforehand, with deliveries, for status
  await inProcess((ctx) => shipCommand(ctx, [path.join(campaignsDir, "reported.yaml")]));
  const at = new Date("2026-11-01T10:00:00Z");
  const sent = (n: number, revenue?: string) =>
    database.db.delivery.create({
      data: {
        key: `d/reported/main/${jan}/${n}`,
        campaignId: "reported",
        step: "main",
        customerId: jan,
        channel: "email",
        status: "sent",
        sentAt: at,
        ...(revenue && { convertedAt: at, revenue: new Prisma.Decimal(revenue) }),
      },
    });
  await sent(1, "99.90");
  await sent(2);
  await sent(3);
  await sent(4);
  await database.db.delivery.create({
    data: {
      key: `d/reported/main/${jan}/5`,
      campaignId: "reported",
      step: "main",
      customerId: jan,
      channel: "email",
      status: "failed",
      reason: "invalid_recipient",
    },
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("rapport campaigns --help", () => {
  it("describes every command with an example", () => {
    const campaigns = campaignsCommand();
    expect(campaigns.commands.map((c) => c.name())).toEqual([
      "validate",
      "preview",
      "dry-run",
      "ship",
      "pause",
      "resume",
      "archive",
      "status",
    ]);
    for (const command of campaigns.commands) {
      let help = "";
      command.configureOutput({
        writeOut: (text) => {
          help += text;
        },
      });
      command.outputHelp();
      expect(help).toContain(`Usage: campaigns ${command.name()}`);
      expect(help).toMatch(new RegExp(`Examples?:\\n {2}\\$ rapport campaigns ${command.name()}`));
    }
  });
});

// Each process loads the engine (~3 s of CPU): they run side by side, with room for a busy machine.
describe("rapport campaigns (real processes)", { timeout: 120_000 }, () => {
  it.concurrent("ship stores the file as an active version", async () => {
    const { code, stdout, stderr } = await cli("ship", "spawned.yaml");
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toBe("spawned: version 1 shipped and active\n");
    const row = await database.db.campaign.findUniqueOrThrow({
      where: { id: "spawned" },
      include: { versions: true },
    });
    expect(row.status).toBe("active");
    expect(row.versions).toHaveLength(1);
    expect(row.currentVersionId).toBe(row.versions[0]!.id);
    expect(row.versions[0]!.source).toBe(campaign("spawned"));
  });

  it.concurrent("preview renders a Polish customer's message and writes its HTML", async () => {
    const html = path.join(dir, "preview.html");
    const { code, stdout, stderr } = await cli(
      "preview",
      "win-back",
      "--customer",
      "JAN@example.com",
      "--html",
      html,
    );
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toMatch(/^channel\s+email → jan@example\.com$/m);
    expect(stdout).toMatch(/^locale\s+pl$/m);
    expect(stdout).toMatch(/^subject\s+Tęsknimy za Tobą! Mamy dla Ciebie 15% rabatu$/m);
    expect(stdout).toContain("Twój osobisty kod: WINBACK15-PREVIEW");
    // signed with the data dir's link secret, as \`rapport start\` signs them: the link works
    const token = /^unsubscribe\s+http:\/\/localhost:3000\/u\/([A-Za-z0-9_-]+)$/m.exec(stdout)?.[1] ?? "";
    const secret = readFileSync(path.join(dataDir, "secrets", "link-secret"), "utf8").trim();
    expect(verifyUnsubscribeToken(secret, token)).toMatchObject({ customerId: jan, channel: "email" });
    expect(readFileSync(html, "utf8")).toContain("WINBACK15-PREVIEW");
    expect(await database.db.coupon.count()).toBe(0);
  });

  it.concurrent("dry-run counts who would get it and who would not, and why", async () => {
    const { code, stdout } = await cli("dry-run", "win-back");
    expect(code).toBe(0);
    expect(stdout).toMatch(/^ {2}email\s+id\s+1$/m);
    expect(stdout).toMatch(/^ {2}email\s+pl\s+1$/m);
    expect(stdout).toMatch(/^ {2}opted_out\s+1\s/m);
    expect(stdout).toMatch(/^ {2}holdout\s+0\s/m);
    expect(stdout).toContain("Audience: 3 customers; 2 would get the message.");
  });

  it.concurrent("status shows sent and conversion numbers from the deliveries", async () => {
    const { code, stdout } = await cli("status", "reported");
    expect(code).toBe(0);
    expect(stdout).toContain("reported: Reported (active, version 1)");
    // pending, sent, delivered, opened, clicked, failed, suppressed, skipped, conversions, rate, revenue
    expect(stdout).toMatch(/^ {2}main\s+0\s+4\s+0\s+0\s+0\s+1\s+0\s+0\s+1\s+25%\s+99\.90$/m);
    expect(stdout).toContain("Failed (main), top reasons: invalid_recipient 1");
  });
});

describe("rapport campaigns ship", () => {
  it("ships a file once per content: unchanged keeps the version, an edit makes the next", async () => {
    const file = path.join(dir, "versions.yaml");
    writeFileSync(file, campaign("versions", "First"));
    expect((await inProcess((ctx) => shipCommand(ctx, [file]))).stdout).toBe(
      "versions: version 1 shipped and active\n",
    );
    expect((await inProcess((ctx) => shipCommand(ctx, [file]))).stdout).toBe(
      "versions: unchanged, version 1, active\n",
    );
    await database.db.campaign.update({ where: { id: "versions" }, data: { status: "paused" } });
    writeFileSync(file, campaign("versions", "Second"));
    expect((await inProcess((ctx) => shipCommand(ctx, [file]))).stdout).toBe(
      "versions: version 2 shipped and active (was paused)\n",
    );
    const versions = await database.db.campaignVersion.findMany({ where: { campaignId: "versions" } });
    expect(versions.map((v) => v.version).sort()).toEqual([1, 2]);
    expect(await database.db.campaign.findUnique({ where: { id: "versions" } })).toMatchObject({
      name: "Second",
      currentVersionId: versions.find((v) => v.version === 2)!.id,
    });
  });

  it("ships nothing when any file has a problem, naming each at its file:line:col", async () => {
    const good = path.join(dir, "good-one.yaml");
    const bad = path.join(dir, "bad-one.yaml");
    writeFileSync(good, campaign("good-one"));
    writeFileSync(bad, campaign("bad-one").replace("channels: [email]", "channels: [fax]"));
    const result = await inProcess((ctx) => shipCommand(ctx, [good, bad]));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${bad}:4:12: channels[0]: unknown channel 'fax'`);
    expect(result.stderr).toMatch(/1 error: nothing shipped$/);
    expect(await database.db.campaign.count({ where: { id: { in: ["good-one", "bad-one"] } } })).toBe(0);
  });

  it("takes the id of a file in the campaigns folder, and suggests one for a typo", async () => {
    expect((await inProcess((ctx) => shipCommand(ctx, ["not-shipped"]))).stdout).toBe(
      "not-shipped: version 1 shipped and active\n",
    );
    const typo = await inProcess((ctx) => shipCommand(ctx, ["win-bak"]));
    expect(typo).toMatchObject({ code: 1 });
    expect(typo.stderr).toMatch(
      /^unknown campaign 'win-bak' — did you mean 'win-back'\? \(known: .*win-back/,
    );
  });
});

describe("rapport campaigns pause | resume | archive", () => {
  it("changes the status with an audit row each, and says when there is nothing to change", async () => {
    await inProcess((ctx) => shipCommand(ctx, [path.join(campaignsDir, "win-back.yaml")]));
    const pause = await inProcess((ctx) => setStatusCommand(ctx, ["win-back"], "paused"));
    expect(pause.stdout).toMatch(/^win-back: active → paused \(planned messages wait/);
    expect((await inProcess((ctx) => setStatusCommand(ctx, ["win-back"], "paused"))).stdout).toBe(
      "win-back: already paused\n",
    );
    await inProcess((ctx) => setStatusCommand(ctx, ["win-back"], "active"));
    await inProcess((ctx) => setStatusCommand(ctx, ["win-back"], "archived"));
    expect(await database.db.campaign.findUnique({ where: { id: "win-back" } })).toMatchObject({
      status: "archived",
    });
    const audit = await database.db.auditLog.findMany({
      where: { targetType: "campaign", targetId: "win-back", action: { not: "campaign.ship" } },
      orderBy: { createdAt: "asc" },
    });
    expect(audit.map((a) => [a.action, a.actorType, (a.data as { actor: string }).actor])).toEqual([
      ["campaign.pause", "staff", "cli:tester"],
      ["campaign.resume", "staff", "cli:tester"],
      ["campaign.archive", "staff", "cli:tester"],
    ]);
  });

  it("changes nothing when an id is unknown, and tells a file not shipped yet from a typo", async () => {
    const result = await inProcess((ctx) => setStatusCommand(ctx, ["reported", "reportd"], "paused"));
    expect(result.code).toBe(1);
    expect(result.stderr.split("\n")[0]).toMatch(
      /^unknown campaign 'reportd' — did you mean 'reported'\? \(known: .*reported/,
    );
    expect(await database.db.campaign.findUnique({ where: { id: "reported" } })).toMatchObject({
      status: "active",
    });
    writeFileSync(path.join(campaignsDir, "fresh.yaml"), campaign("fresh"));
    const fresh = await inProcess((ctx) => setStatusCommand(ctx, ["fresh"], "paused"));
    expect(fresh.stderr).toBe(
      `campaign 'fresh' is not shipped yet: run \`rapport campaigns ship ${path.join(campaignsDir, "fresh.yaml")}\``,
    );
  });
});

describe("rapport campaigns preview, dry-run and status", () => {
  it("previews a shipped campaign by id in another language, and refuses bad options", async () => {
    // "versions" has no file in the campaigns folder: its shipped version is previewed
    const byId = await inProcess((ctx) => previewCommand(ctx, "versions", { customer: jan, locale: "id" }));
    expect(byId.stdout).toMatch(/^campaign\s+versions \(shipped version 2\)$/m);
    expect(byId.stdout).toMatch(/^locale\s+id$/m);
    const bad = await inProcess((ctx) => previewCommand(ctx, "reported", { customer: jan, channel: "fax" }));
    expect(bad.stderr).toBe(
      "--channel: unknown channel 'fax': one of telegram, discord, x, email, webchat, whatsapp, sms",
    );
    const chat = await inProcess((ctx) =>
      previewCommand(ctx, "win-back", { customer: jan, channel: "telegram", html: path.join(dir, "x.html") }),
    );
    expect(chat.stderr).toBe("--html: a telegram message has no HTML part: add --channel email");
    const nobody = await inProcess((ctx) => previewCommand(ctx, "win-back", { customer: "who@example.com" }));
    expect(nobody.stderr).toMatch(/^no customer with email who@example\.com/);
  });

  it("shows an SMS's segment count", async () => {
    const sms = await inProcess((ctx) => previewCommand(ctx, "win-back", { customer: jan, channel: "sms" }));
    expect(sms.stdout).toMatch(
      /^segments\s+[1-9]\d* SMS \((GSM-7, \d+ characters|UCS-2, \d+ UCS-2 code units)\)$/m,
    );
  });

  it("dry-runs a file, counting customers who already have the message as exists", async () => {
    const emma = await database.db.customer.findUniqueOrThrow({ where: { email: "siti@example.com" } });
    const last = Math.floor(emma.lastPurchaseAt!.getTime() / 1000);
    await database.db.delivery.create({
      data: {
        key: `d/win-back/main/${emma.id}/quiet-${last}`,
        campaignId: null,
        customerId: emma.id,
        channel: "email",
        status: "sent",
      },
    });
    const result = await inProcess((ctx) => dryRunCommand(ctx, path.join(campaignsDir, "win-back.yaml")));
    expect(result.stdout).toMatch(/^ {2}exists\s+1\s/m);
    expect(result.stdout).toMatch(/^ {2}opted_out\s+1\s/m);
    expect(result.stdout).toContain("Audience: 3 customers; 1 would get the message.");
    expect(await database.db.delivery.count({ where: { key: { startsWith: "d/win-back/" } } })).toBe(1);
  });

  it("lists every campaign with its totals", async () => {
    const { stdout } = await inProcess((ctx) => statusCommand(ctx));
    const lines = stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(
      /^ {2}campaign\s+status\s+version\s+pending\s+sent\s+failed\s+skipped\s+conversions$/,
    );
    expect(lines.find((l) => l.includes("reported"))).toMatch(
      /^ {2}reported\s+active\s+1\s+0\s+4\s+1\s+0\s+1$/,
    );
    const unknown = await inProcess((ctx) => statusCommand(ctx, "reportd"));
    expect(unknown.stderr).toMatch(/^unknown campaign 'reportd' — did you mean 'reported'\?/);
  });
});

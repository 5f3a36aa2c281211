import {
  copyFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateCommand } from "../../cli/campaigns-validate.ts";
import { commandContext } from "./capture.ts";
import { rapport } from "./run.ts";

const dir = mkdtempSync(path.join(tmpdir(), "rapport-validate-"));
const bad = path.join(dir, "bad");
const templates = path.join(dir, "templates");

/** Three mistakes in one file, each at its own line and column. */
const BROKEN = `id: spring-sale
name: Spring sale
trigger: { inactive: { for: 2 weeks, since: last_purchase } }
audience: segment(vipp) and orders >= 1
channels: [email, fax]
message:
  template: promo
`;

const GOOD = `id: thanks
name: Thanks
kind: transactional
trigger: { event: purchase }
channels: [email]
message:
  template: thank-you
`;

beforeAll(() => {
  mkdirSync(bad);
  copyFileSync(path.resolve("campaigns/segments.yaml"), path.join(bad, "segments.yaml"));
  writeFileSync(path.join(bad, "broken.yaml"), BROKEN);
  writeFileSync(path.join(bad, "good.yaml"), GOOD);
  writeFileSync(
    path.join(bad, "no-template.yaml"),
    "id: chat-promo\nname: Chat promo\ntrigger: { event: purchase }\nchannels: [preferred, email]\nmessage:\n  template: emailonly\nvariants:\n  - { name: a, weight: 50 }\n  - { name: b, weight: 50, template: promox }\n",
  );
  writeFileSync(path.join(bad, "same-id.yaml"), GOOD.replace("name: Thanks", "name: Thanks again"));
  // a templates folder where "emailonly" has an email file and no chat one
  mkdirSync(path.join(templates, "emailonly"), { recursive: true });
  writeFileSync(path.join(templates, "emailonly", "email.en.hbs"), "---\nsubject: Hi\n---\n<p>Hi</p>\n");
  mkdirSync(path.join(templates, "thank-you"));
  writeFileSync(
    path.join(templates, "thank-you", "email.en.hbs"),
    "---\nsubject: Thanks\n---\n<p>Thanks</p>\n",
  );
  mkdirSync(path.join(templates, "promo"));
  writeFileSync(path.join(templates, "promo", "email.en.hbs"), "---\nsubject: Promo\n---\n<p>Promo</p>\n");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("rapport campaigns validate (in process)", () => {
  it("passes the project's campaigns", async () => {
    const ctx = commandContext();
    expect(await validateCommand(ctx, [])).toBe(0);
    // no shop is connected here: win-back's unique() codes get the warning to load them by hand
    expect(ctx.out.stdout.text).toMatch(
      /^campaigns\/win-back\.yaml:\d+:\d+: warning: unique\(WINBACK15\) codes exist only in Rapport/,
    );
    expect(ctx.out.stdout.text).toMatch(/\n\n\d+ campaigns ok\n$/);
  });

  it("prints every error of every file at its file:line:col, sorted, with a summary", async () => {
    const ctx = commandContext({ RAPPORT_TEMPLATES_DIR: templates });
    expect(await validateCommand(ctx, [bad])).toBe(1);
    // outside the working directory, paths show in full
    const file = (name: string) => path.join(bad, name);
    const lines = ctx.out.stdout.text.trimEnd().split("\n");
    expect(lines).toEqual([
      `${file("broken.yaml")}:3:29: trigger.inactive.for: expected a duration like 30s, 10m, 2h, 60d or 2w (a whole number and one unit), got "2 weeks"`,
      `${file("broken.yaml")}:4:19: audience: unknown segment 'vipp' — did you mean 'vip'?`,
      `${file("broken.yaml")}:5:19: channels[1]: unknown channel 'fax': expected one of preferred, telegram, discord, x, email, webchat, whatsapp, sms`,
      `${file("no-template.yaml")}:6:13: message.template: template 'emailonly' has no file for telegram, discord, x, webchat, whatsapp, sms (channels lists preferred, which can be telegram, discord, x, webchat, whatsapp, sms): add ${templates}/emailonly/chat.en.hbs`,
      `${file("no-template.yaml")}:9:38: variants[1].template: no template 'promox' in ${templates}/ — did you mean 'promo'?`,
      `${file("same-id.yaml")}:1:5: duplicate campaign id 'thanks', already used at ${file("good.yaml")}:1:5: give each campaign its own id`,
      "",
      "1 campaign ok, 3 with 6 errors",
    ]);
  });

  it("counts a broken segments.yaml and a path that does not exist", async () => {
    const segments = path.join(dir, "segments-only");
    mkdirSync(segments);
    writeFileSync(path.join(segments, "segments.yaml"), "vip: total_spent >\n");
    writeFileSync(path.join(segments, "good.yaml"), GOOD);
    const ctx = commandContext();
    expect(await validateCommand(ctx, [segments, path.join(dir, "nowhere.yaml")])).toBe(1);
    expect(ctx.out.stdout.text).toContain(`${path.join(dir, "nowhere.yaml")}: no such file or folder`);
    expect(ctx.out.stdout.text).toMatch(/segments\.yaml:1:19: vip: expected a value after ">"/);
    expect(ctx.out.stdout.text).toMatch(/1 campaign ok, .*segments\.yaml with 1 error\n$/);
  });

  it("checks consent.yaml as the consent policy, never as a campaign, each problem at its line", async () => {
    const folder = path.join(dir, "consent");
    mkdirSync(folder);
    writeFileSync(path.join(folder, "good.yaml"), GOOD);
    writeFileSync(path.join(folder, "consent.yaml"), "default: opt-in\nchannels:\n  telegram: opt-out\n");
    const ok = commandContext();
    expect(await validateCommand(ok, [folder])).toBe(0);
    expect(ok.out.stdout.text).toBe("1 campaign ok\n");
    writeFileSync(
      path.join(folder, "consent.yaml"),
      "default: opt-in\ncountries:\n  PL: { default: optin }\n",
    );
    const broken = commandContext();
    expect(await validateCommand(broken, [folder])).toBe(1);
    expect(broken.out.stdout.text).toMatch(/consent\.yaml:3:\d+: .*opt-in or opt-out/);
  });

  it("shows its progress on stderr when there are many files", async () => {
    const many = path.join(dir, "many");
    mkdirSync(many);
    for (let i = 0; i < 25; i++)
      writeFileSync(path.join(many, `c${i}.yaml`), GOOD.replace("thanks", `thanks-${i}`));
    const ctx = commandContext();
    expect(await validateCommand(ctx, [many])).toBe(0);
    expect(ctx.out.stdout.text).toBe("25 campaigns ok\n");
    const lines = ctx.out.stderr.text.trimEnd().split("\n");
    expect(lines[0]).toBe("validating: 25 to do");
    expect(lines.at(-1)).toMatch(/^validating: 100% 25\/25/);
  });
});

describe("rapport campaigns validate (a real process, no database)", { timeout: 120_000 }, () => {
  it("exits 0 on the project's campaigns and 1 on a folder with errors, printing each", async () => {
    // a DATABASE_URL nothing answers at: validate must not need it
    const env = { DATABASE_URL: "postgresql://nobody@127.0.0.1:1/none", RAPPORT_TEMPLATES_DIR: templates };
    const [good, broken] = await Promise.all([
      rapport(["campaigns", "validate"], process.cwd(), { DATABASE_URL: env.DATABASE_URL }),
      rapport(["campaigns", "validate", "bad"], dir, env),
    ]);
    expect(good).toMatchObject({ code: 0, stderr: "" });
    expect(good.stdout).toContain("warning: unique(WINBACK15) codes exist only in Rapport");
    expect(good.stdout).toMatch(/\n\n\d+ campaigns ok\n$/);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain("bad/broken.yaml:3:29: trigger.inactive.for: expected a duration");
    expect(broken.stdout).toContain("bad/broken.yaml:4:19: audience: unknown segment 'vipp'");
    expect(broken.stdout).toContain("bad/broken.yaml:5:19: channels[1]: unknown channel 'fax'");
    expect(broken.stdout).toMatch(/\n1 campaign ok, 3 with 6 errors\n$/);
  });
});

describe("rapport campaigns validate renders every message as it will be sent", () => {
  const project = path.join(dir, "render");
  const shipped = path.join(project, "templates");
  const folder = path.join(project, "campaigns");

  beforeAll(() => {
    mkdirSync(folder, { recursive: true });
    cpSync(path.resolve("templates"), shipped, { recursive: true });
    copyFileSync(path.resolve("campaigns/segments.yaml"), path.join(folder, "segments.yaml"));
  });

  const run = async (files: Record<string, string>) => {
    for (const name of readdirSync(folder)) if (name !== "segments.yaml") rmSync(path.join(folder, name));
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(folder, name), text);
    const ctx = commandContext({ RAPPORT_TEMPLATES_DIR: shipped });
    const code = await validateCommand(ctx, [folder]);
    return { code, lines: ctx.out.stdout.text.trimEnd().split("\n") };
  };

  it("reports a typo in a template at its file:line:col, once for every campaign using it", async () => {
    const pl = path.join(shipped, "thank-you", "email.pl.hbs");
    const original = readFileSync(pl, "utf8");
    const typo = original.replace("{{order.id}}", "{{order.idd}}");
    expect(typo).not.toBe(original);
    writeFileSync(pl, typo);
    try {
      const { code, lines } = await run({
        "thanks.yaml": GOOD,
        "thanks-again.yaml": GOOD.replace("id: thanks", "id: thanks-again"),
      });
      expect(code).toBe(1);
      const line = typo.split("\n").findIndex((l) => l.includes("{{order.idd}}")) + 1;
      const col = typo.split("\n")[line - 1]!.indexOf("{{order.idd}}") + 1;
      const reported = lines.filter((l) => l.includes("order.idd"));
      expect(reported).toHaveLength(1);
      expect(reported[0]).toMatch(
        new RegExp(
          `^${pl.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:${line}:${col}: \\{\\{order\\.idd\\}\\} is not in the data`,
        ),
      );
      expect(lines.at(-1)).toBe("0 campaigns ok, 2 with 2 errors");
    } finally {
      writeFileSync(pl, original);
    }
  });

  it("reports a template that needs data the campaign's trigger does not give, at its template: line", async () => {
    const winBack = `id: come-back
name: Come back
trigger: { inactive: { for: 60d, since: last_purchase } }
channels: [email, telegram]
message:
  template: thank-you
`;
    const { code, lines } = await run({ "come-back.yaml": winBack, "thanks.yaml": GOOD });
    expect(code).toBe(1);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(
      /come-back\.yaml:6:13: template 'thank-you' prints \{\{order\.\w+\}\}, which this campaign's inactive trigger does not give \(only a purchase event trigger gives an order; printed at .*thank-you\/\w+\.en\.hbs:\d+\)/,
    );
    expect(lines.at(-1)).toBe("1 campaign ok, 1 with 1 error");
  });

  it("reports a name printed without {{#if}}: many customers have none", async () => {
    mkdirSync(path.join(shipped, "hello"), { recursive: true });
    writeFileSync(path.join(shipped, "hello", "chat.en.hbs"), "Dzień dobry {{customer.name}}!\n");
    writeFileSync(path.join(shipped, "hello", "sample.yaml"), "customer:\n  name: Ola\n");
    const { code, lines } = await run({
      "hello.yaml": `id: hello\nname: Hello\ntrigger: { schedule: { at: "2027-01-10T10:00:00", timezone: Europe/Warsaw } }\nchannels: [telegram]\nmessage:\n  template: hello\n`,
    });
    expect(code).toBe(1);
    expect(lines[0]).toMatch(
      /hello\.yaml:6:13: template 'hello' prints \{\{customer\.name\}\}, which this campaign's schedule trigger does not give \(printed at .*hello\/chat\.en\.hbs:1\): print it inside \{\{#if customer\.name\}\}/,
    );
  });
});

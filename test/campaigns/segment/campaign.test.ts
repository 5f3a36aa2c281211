import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  compileAudience,
  compileCampaign,
  compileSegments,
  loadCampaigns,
  type Segments,
} from "../../../campaigns/index.ts";
import { CampaignSyntaxError } from "../../../lib/errors.ts";

const { segments: SEGMENTS } = compileSegments(
  "vip: total_spent > 500 EUR or orders >= 5\nquiet: last_purchase < now - 60d\n",
  "campaigns/segments.yaml",
);

function campaign(lines: { audience?: string; trigger?: string }): string {
  return [
    "id: sale",
    "name: Sale",
    `trigger: ${lines.trigger ?? "{ event: purchase }"}`,
    ...(lines.audience === undefined ? [] : [`audience: ${lines.audience}`]),
    "channels: [email]",
    "message: { template: sale }",
    "",
  ].join("\n");
}

function issuesOf(source: string, segments: Segments | undefined = SEGMENTS): string[] {
  try {
    compileCampaign(source, "campaigns/sale.yaml", segments);
  } catch (error) {
    if (!(error instanceof CampaignSyntaxError)) throw error;
    return error.issues.map((i) => `${i.line}:${i.col} ${i.message}`);
  }
  throw new Error("expected the campaign not to compile");
}

describe("a campaign's audience", () => {
  it("compiles with the expression kept as written, for the engine to compile against the segments", () => {
    const source = campaign({ audience: 'segment(vip) or (orders >= 2 and country in ["ID", "PL"])' });
    const compiled = compileCampaign(source, "campaigns/sale.yaml", SEGMENTS);
    expect(compiled.audience).toBe('segment(vip) or (orders >= 2 and country in ["ID", "PL"])');
    const stored = JSON.parse(JSON.stringify(compiled)) as typeof compiled;
    const audience = compileAudience(stored.audience!, SEGMENTS);
    expect(audience.sql(new Date("2026-03-01T00:00:00Z")).values).toEqual(
      expect.arrayContaining(["500", "EUR", 5, 2, "ID", "PL"]),
    );
  });

  it("reports every problem of the expression at its line and column in the file", () => {
    expect(issuesOf(campaign({ audience: "segment(vipp) or ordres >= 2 or country = ID" }))).toEqual([
      '4:53 audience: expected a value after "=", like 2, "ID" or true, got ID: put text in double quotes, like "ID"',
    ]);
    expect(issuesOf(campaign({ audience: 'segment(vipp) or ordres >= 2 or country = "ID"' }))).toEqual([
      "4:19 audience: unknown segment 'vipp' — did you mean 'vip'?",
      "4:28 audience: unknown field 'ordres' — did you mean 'orders'?",
    ]);
  });

  it("finds the column in a quoted or multi-line audience", () => {
    expect(issuesOf(campaign({ audience: "'country = \"ID\" and ordres > 1'" }))).toEqual([
      "4:31 audience: unknown field 'ordres' — did you mean 'orders'?",
    ]);
    expect(issuesOf(campaign({ audience: ">-\n  orders > 1\n  and last_purchase = now" }))).toEqual([
      "6:21 audience: last_purchase is a date: compare it with <, <=, > or >=, like last_purchase < now - 60d",
    ]);
  });

  it("reports audience problems along with the other problems of the file", () => {
    const source = campaign({ audience: "ordres > 1" }).replace("channels: [email]", "channels: [fax]");
    expect(issuesOf(source)).toEqual([
      "4:11 audience: unknown field 'ordres' — did you mean 'orders'?",
      "5:12 channels[0]: unknown channel 'fax': expected one of preferred, telegram, discord, x, email, webchat, whatsapp, sms",
    ]);
  });

  it("checks syntax and fields but takes segment names on trust without segments", () => {
    expect(() => compileCampaign(campaign({ audience: "segment(anything)" }), "c.yaml")).not.toThrow();
    expect(issuesOf(campaign({ audience: "segment(anything) and orders >" }), undefined)).toEqual([
      '4:41 audience: expected a value after ">", like 60 or now - 30d',
    ]);
  });

  it("reports a segment_entered trigger naming an unknown segment", () => {
    const source = campaign({ trigger: "{ segment_entered: { segment: vipp } }" });
    expect(issuesOf(source)).toEqual([
      "3:40 trigger.segment_entered.segment: unknown segment 'vipp' — did you mean 'vip'?",
    ]);
    const known = campaign({ trigger: "{ segment_entered: { segment: quiet } }" });
    expect(compileCampaign(known, "c.yaml", SEGMENTS).trigger).toEqual({
      kind: "segment_entered",
      segment: "quiet",
    });
  });
});

describe("loadCampaigns with segments.yaml", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "rapport-audiences-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("checks audiences against the folder's segments and returns them for the engine", async () => {
    await writeFile(join(dir, "segments.yaml"), "vip:\n  where: orders >= 5\n");
    await writeFile(join(dir, "a.yaml"), campaign({ audience: "segment(vip)" }));
    await writeFile(
      join(dir, "b.yaml"),
      campaign({ audience: "segment(gold)" }).replace("id: sale", "id: b"),
    );
    const { campaigns, errors, segments } = await loadCampaigns(dir);
    expect(campaigns.map((c) => c.id)).toEqual(["sale"]);
    expect(errors).toEqual([
      {
        file: join(dir, "b.yaml"),
        line: 4,
        col: 19,
        message: `audience: unknown segment 'gold': define it in ${join(dir, "segments.yaml")}`,
      },
    ]);
    expect([...segments.byName.keys()]).toEqual(["vip"]);
  });

  it("reports segments.yaml problems, and campaigns using a broken segment, but keeps the good ones", async () => {
    await writeFile(join(dir, "segments.yaml"), "vip: ordres >= 5\nquiet: last_purchase < now - 60d\n");
    await writeFile(join(dir, "a.yaml"), campaign({ audience: "segment(vip)" }));
    await writeFile(
      join(dir, "b.yaml"),
      campaign({ audience: "segment(quiet)" }).replace("id: sale", "id: b"),
    );
    const { campaigns, errors } = await loadCampaigns(dir);
    expect(campaigns.map((c) => c.id)).toEqual(["b"]);
    expect(errors.map((e) => `${e.file}:${e.line}:${e.col}: ${e.message}`)).toEqual([
      `${join(dir, "segments.yaml")}:1:6: vip: unknown field 'ordres' — did you mean 'orders'?`,
      `${join(dir, "a.yaml")}:4:19: audience: segment 'vip' does not compile: fix it in ${join(dir, "segments.yaml")}`,
    ]);
  });

  it("knows no segments in a folder without segments.yaml", async () => {
    await writeFile(join(dir, "a.yaml"), campaign({ trigger: "{ segment_entered: { segment: vip } }" }));
    const { campaigns, errors } = await loadCampaigns(dir);
    expect(campaigns).toEqual([]);
    expect(errors.map((e) => e.message)).toEqual([
      `trigger.segment_entered.segment: unknown segment 'vip': define it in ${join(dir, "segments.yaml")}`,
    ]);
  });
});

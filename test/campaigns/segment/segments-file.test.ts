import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadSegments } from "../../../campaigns/segment/index.ts";
import { CampaignSyntaxError } from "../../../lib/errors.ts";

const SHIPPED = new URL("../../../campaigns/segments.yaml", import.meta.url).pathname;

describe("loadSegments", () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "rapport-segments-"));
    file = join(dir, "segments.yaml");
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** The problems of a segments file with this text, as `line:col message`. */
  async function problems(source: string): Promise<string[]> {
    await writeFile(file, source);
    try {
      await loadSegments(file);
    } catch (error) {
      if (!(error instanceof CampaignSyntaxError)) throw error;
      expect(error.issues.every((issue) => issue.file === file)).toBe(true);
      return error.issues.map((issue) => `${issue.line}:${issue.col} ${issue.message}`);
    }
    throw new Error("expected the segments not to load");
  }

  it("loads the shipped segments, in file order, with their descriptions", async () => {
    const segments = await loadSegments(SHIPPED);
    expect([...segments.byName.keys()]).toEqual([
      "vip",
      "quiet",
      "new-customers",
      "indonesia",
      "poland",
      "happy",
    ]);
    expect(segments.broken.size).toBe(0);
    expect(segments.byName.get("vip")).toMatchObject({
      name: "vip",
      description:
        "Customers who spent over 500 EUR (all currencies converted, refunds taken off) or kept 5 orders",
      expression: "total_spent > 500 EUR or orders >= 5",
    });
    expect(segments.byName.get("indonesia")?.description).toBeUndefined();
  });

  it("takes an expression alone as shorthand, and segments using segments in any order", async () => {
    await writeFile(
      file,
      "big-spender: segment(vip) and not segment(quiet)\nvip: orders >= 5\nquiet: last_purchase < now - 60d\n",
    );
    const segments = await loadSegments(file);
    expect([...segments.byName.keys()]).toEqual(["big-spender", "vip", "quiet"]);
    expect(segments.byName.get("big-spender")?.condition).toMatchObject({
      kind: "and",
      items: [
        { kind: "number", value: 5 },
        { kind: "not", item: { kind: "date", op: "<" } },
      ],
    });
  });

  it("reports an unknown segment at its line and column, suggesting the name meant", async () => {
    expect(await problems("vip: orders >= 5\nbig:\n  where: segment(vipp) or segment(gold)\n")).toEqual([
      "3:18 big.where: unknown segment 'vipp' — did you mean 'vip'?",
      "3:35 big.where: unknown segment 'gold': define it in this file",
    ]);
  });

  it("reports a cycle at each segment in it, and a segment using itself", async () => {
    expect(
      await problems("a: segment(b)\nb:\n  where: orders > 1 and segment(a)\nc: not segment(c)\n"),
    ).toEqual([
      "1:12 a: segment cycle a → b → a: a segment cannot include itself, even through others",
      "3:33 b.where: segment cycle b → a → b: a segment cannot include itself, even through others",
      "4:16 c: segment cycle c → c: a segment cannot include itself, even through others",
    ]);
  });

  it("reports every bad expression at file:line:col, however the YAML quotes or folds it", async () => {
    const source = [
      "vip:",
      "  description: Big spenders",
      "  where: total_spent >",
      'plain: ordres > 1 and countr = "ID"',
      "single: 'country = \"ID\" and ordres > 1'",
      'double: "country = \\"ID\\" and ordres > 1"',
      "folded: >-",
      "  orders > 1 and",
      '  last_purchase < "yesterday"',
      "",
    ].join("\n");
    expect(await problems(source)).toEqual([
      '3:23 vip.where: expected a value after ">", like 60 or now - 30d',
      "4:8 plain: unknown field 'ordres' — did you mean 'orders'?",
      "4:23 plain: unknown field 'countr' — did you mean 'country'?",
      "5:29 single: unknown field 'ordres' — did you mean 'orders'?",
      "6:31 double: unknown field 'ordres' — did you mean 'orders'?",
      '9:19 folded: "yesterday" is not a date: write a date like "2026-01-31" or "2026-01-31T09:00:00Z", or now - 30d',
    ]);
  });

  it("reports misshapen entries with what was expected", async () => {
    const source =
      'vip:\n  wher: orders > 1\nx:\n  description: no where\n"bad name": orders > 1\nn: 5\ne: ""\n';
    expect(await problems(source)).toEqual([
      "2:3 unknown key 'wher' in vip — did you mean 'where'?",
      "4:3 missing key 'where' in x: expected a segment expression like total_spent > 500 EUR or orders >= 5",
      "5:1 segment name 'bad name': expected a letter, then letters, digits, _ or -, like new-customers",
      "6:4 n: expected a segment expression like total_spent > 500 EUR or orders >= 5, or a map with where and an optional description, got 5",
      '7:4 e: expected a segment expression like total_spent > 500 EUR or orders >= 5, got ""',
    ]);
    expect(await problems("- vip\n- quiet\n")).toEqual([
      "1:1 expected a map of segment names to expressions, like vip: total_spent > 500 EUR",
    ]);
  });

  it("does not blame a segment for using one that has its own message", async () => {
    expect(await problems("vip: ordres > 5\nbig: segment(vip) and orders > 1\n")).toEqual([
      "1:6 vip: unknown field 'ordres' — did you mean 'orders'?",
    ]);
  });

  it("accepts an empty file, and says when the file cannot be read", async () => {
    await writeFile(file, "# no segments yet\n");
    expect((await loadSegments(file)).byName.size).toBe(0);
    const missing = join(dir, "nope.yaml");
    await expect(loadSegments(missing)).rejects.toThrow(`${missing}:1:1: cannot read the file: ENOENT`);
  });
});

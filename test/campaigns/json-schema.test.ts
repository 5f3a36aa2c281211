import { readdir, readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { campaignJsonSchema } from "../../campaigns/index.ts";

const folder = new URL("../../campaigns/", import.meta.url);

describe("campaign JSON Schema", () => {
  it("matches the committed campaigns/campaign.schema.json (else run npx tsx campaigns/write-json-schema.ts)", async () => {
    const committed = JSON.parse(await readFile(new URL("campaign.schema.json", folder), "utf8"));
    expect(committed).toEqual(campaignJsonSchema());
  });

  it("describes the keys a marketer writes, in snake_case, and forbids others", () => {
    const schema = campaignJsonSchema() as {
      required: string[];
      additionalProperties: boolean;
      properties: { limits: { properties: Record<string, unknown> } };
    };
    expect(schema.required).toEqual(["id", "name", "trigger", "channels", "message"]);
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties.limits.properties)).toEqual([
      "once_per_customer",
      "max_per_day",
      "max_per_week",
      "quiet_hours",
      "max_segments",
    ]);
  });

  it("is what every shipped campaign file points its editor at", async () => {
    const files = (await readdir(folder)).filter(
      (f) => /\.ya?ml$/.test(f) && !/^(segments|currencies|consent|loyalty)\.ya?ml$/.test(f),
    );
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const first = (await readFile(new URL(file, folder), "utf8")).split("\n")[0];
      expect(first, file).toBe("# yaml-language-server: $schema=./campaign.schema.json");
    }
  });
});

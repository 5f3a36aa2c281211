import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadCampaigns } from "../../campaigns/index.ts";

function campaign(id: string, comment = ""): string {
  return `${comment}id: ${id}\nname: ${id}\ntrigger: { event: purchase }\nchannels: [email]\nmessage: { template: ${id} }\n`;
}

describe("loadCampaigns", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "rapport-campaigns-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("loads every .yaml and .yml file in name order, skipping segments.yaml and other files", async () => {
    await writeFile(join(dir, "b.yml"), campaign("bravo"));
    await writeFile(join(dir, "a.yaml"), campaign("alpha"));
    await writeFile(join(dir, "segments.yaml"), "vip: orders >= 10\n");
    await writeFile(join(dir, "notes.txt"), "not a campaign");
    const { campaigns, errors } = await loadCampaigns(dir);
    expect(errors).toEqual([]);
    expect(campaigns.map((c) => [c.id, c.file])).toEqual([
      ["alpha", join(dir, "a.yaml")],
      ["bravo", join(dir, "b.yml")],
    ]);
  });

  it("keeps loading the other files when one does not compile", async () => {
    await writeFile(join(dir, "a.yaml"), campaign("alpha"));
    await writeFile(join(dir, "broken.yaml"), "id: broken\nname: [oops\n");
    await writeFile(join(dir, "c.yaml"), campaign("charlie"));
    const { campaigns, errors } = await loadCampaigns(dir);
    expect(campaigns.map((c) => c.id)).toEqual(["alpha", "charlie"]);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => e.file === join(dir, "broken.yaml"))).toBe(true);
  });

  it("reports a duplicate id on the second file's id line and keeps the first campaign", async () => {
    await writeFile(join(dir, "a.yaml"), campaign("sale"));
    await writeFile(join(dir, "b.yaml"), campaign("sale", "# copied from a.yaml\n\n"));
    const { campaigns, errors } = await loadCampaigns(dir);
    expect(campaigns.map((c) => c.file)).toEqual([join(dir, "a.yaml")]);
    expect(errors).toEqual([
      {
        file: join(dir, "b.yaml"),
        line: 3,
        col: 5,
        message: `duplicate campaign id 'sale', already used at ${join(dir, "a.yaml")}:1:5: give each campaign its own id`,
      },
    ]);
  });

  it("loads the shipped campaigns without errors", async () => {
    const shipped = new URL("../../campaigns/", import.meta.url).pathname;
    const { campaigns, errors } = await loadCampaigns(shipped);
    expect(errors).toEqual([]);
    expect(campaigns.map((c) => c.id)).toContain("thank-you");
  });
});

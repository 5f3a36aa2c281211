import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { LineCounter, parseDocument } from "yaml";
import { type CampaignIssue, CampaignSyntaxError, formatPosition } from "../lib/errors.ts";
import { compileCampaign } from "./compile.ts";
import { locate, positionOf } from "./positions.ts";
import type { CompiledCampaign } from "./schema.ts";

/** What {@link loadCampaigns} found: the campaigns that compiled, and every problem of the others. */
export interface LoadedCampaigns {
  campaigns: CompiledCampaign[];
  errors: CampaignIssue[];
}

/** Files in the campaigns folder that are not campaigns. */
const NOT_CAMPAIGNS = new Set(["segments.yaml", "segments.yml"]);

function idPosition(source: string, file: string): CampaignIssue {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines });
  return { file, ...positionOf(locate(doc, ["id"]).node, lines), message: "" };
}

/**
 * Compiles every `*.yaml` and `*.yml` campaign of a folder (all but `segments.yaml`), in file-name order.
 * A file that does not compile never stops the others; a campaign whose id an earlier file already uses is
 * left out and reported on its `id` line.
 */
export async function loadCampaigns(dir: string): Promise<LoadedCampaigns> {
  const names = (await readdir(dir)).filter((n) => /\.ya?ml$/.test(n) && !NOT_CAMPAIGNS.has(n)).sort();
  const campaigns: CompiledCampaign[] = [];
  const errors: CampaignIssue[] = [];
  const firstById = new Map<string, CampaignIssue>();
  for (const name of names) {
    const file = join(dir, name);
    let source: string;
    try {
      source = await readFile(file, "utf8");
    } catch (error) {
      errors.push({ file, line: 1, col: 1, message: `cannot read the file: ${(error as Error).message}` });
      continue;
    }
    let campaign: CompiledCampaign;
    try {
      campaign = compileCampaign(source, file);
    } catch (error) {
      // Even a compiler bug stays this file's problem: the other campaigns still load.
      if (error instanceof CampaignSyntaxError) errors.push(...error.issues);
      else errors.push({ file, line: 1, col: 1, message: `could not compile: ${(error as Error).message}` });
      continue;
    }
    const here = idPosition(source, file);
    const first = firstById.get(campaign.id);
    if (first) {
      errors.push({
        ...here,
        message: `duplicate campaign id '${campaign.id}', already used at ${formatPosition(first)}: give each campaign its own id`,
      });
      continue;
    }
    firstById.set(campaign.id, here);
    campaigns.push(campaign);
  }
  return { campaigns, errors };
}

import { z } from "zod";
import { CampaignSchema } from "./schema.ts";

/** The file name of the published JSON Schema, next to the campaign files. */
export const JSON_SCHEMA_FILE = "campaign.schema.json";

/**
 * The JSON Schema of a campaign file, generated from the zod schema, for editors (yaml-language-server).
 * Draft 7, which every editor plugin understands. Cross-key rules (exactly one trigger, weights adding up
 * to 100, cron and timezone names) are only checked by the compiler.
 */
export function campaignJsonSchema(): Record<string, unknown> {
  const { $schema, ...rest } = z.toJSONSchema(CampaignSchema, { io: "input", target: "draft-7" });
  return { $schema, $id: "https://rapport.local/schemas/campaign.schema.json", ...rest };
}

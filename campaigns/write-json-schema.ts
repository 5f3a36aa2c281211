/**
 * Writes campaigns/campaign.schema.json from the zod schema. Run after changing campaigns/schema.ts:
 * `npx tsx campaigns/write-json-schema.ts`. A test fails while the committed file is out of date.
 */
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { campaignJsonSchema, JSON_SCHEMA_FILE } from "./json-schema.ts";

const target = fileURLToPath(new URL(JSON_SCHEMA_FILE, import.meta.url));
await writeFile(target, `${JSON.stringify(campaignJsonSchema(), null, 2)}\n`);
// biome-ignore lint/suspicious/noConsole: a command-line script reporting what it wrote.
console.log(`wrote ${target}`);

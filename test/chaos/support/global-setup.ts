import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import templateSetup from "../../setup/global-setup.ts";
import { CHAOS_RESULTS_DIR, type ChaosRow } from "./chaos-run.ts";
import { SCALE, TOTAL } from "./scale.ts";

const TABLE = path.resolve("test/artifacts/chaos-table.md");

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The table of every scenario's line, in Markdown. */
export function chaosTable(rows: readonly ChaosRow[], suiteMs: number): string {
  const lines = [
    `Each scenario: a campaign of ${TOTAL} messages (CHAOS_SCALE=${SCALE}; 1 is the issue's 10 000), two \`rapport worker\` processes (three in scenario 6).`,
    "",
    "| scenario | messages (email + Telegram) | sent | duplicates at the provider | lost | unknown outcome (Telegram, at most once) | time to recover | scenario took | emails/s | workers up after | CPU s: workers / test process |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows.map(
      (r) =>
        `| ${r.scenario} | ${r.messages} (${r.email} + ${r.telegram}) | ${r.sent} | ${r.duplicates} | ${r.lost} | ${r.unknown} | ${seconds(r.recoverMs)} | ${seconds(r.totalMs)} | ${r.emailRate} | ${(r.startupMs ?? []).map((ms) => (ms === null ? "–" : seconds(ms))).join(", ")} | ${r.cpu ? `${r.cpu.workers} / ${r.cpu.test}` : "–"} |`,
    ),
    "",
    ...rows.filter((r) => r.notes).map((r) => `- ${r.scenario}: ${r.notes}`),
    "",
    `Whole suite: ${seconds(suiteMs)}.`,
  ];
  return `${lines.join("\n")}\n`;
}

/**
 * The chaos suite's global setup: the test template database as for `npm test`, and at the end the table
 * of every scenario that reported, on stderr and in test/artifacts/chaos-table.md.
 */
export default async function setup(): Promise<() => void> {
  const started = Date.now();
  rmSync(CHAOS_RESULTS_DIR, { recursive: true, force: true });
  await templateSetup();
  return () => {
    if (!existsSync(CHAOS_RESULTS_DIR)) return;
    const rows = readdirSync(CHAOS_RESULTS_DIR)
      .filter((f) => f.endsWith(".json"))
      .sort()
      .map((f) => JSON.parse(readFileSync(path.join(CHAOS_RESULTS_DIR, f), "utf8")) as ChaosRow);
    const table = chaosTable(rows, Date.now() - started);
    mkdirSync(path.dirname(TABLE), { recursive: true });
    writeFileSync(TABLE, table);
    process.stderr.write(`\nChaos suite (${TABLE}):\n\n${table}\n`);
  };
}

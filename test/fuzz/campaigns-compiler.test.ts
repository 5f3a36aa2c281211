import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, it } from "vitest";
import { parse as parseYaml, stringify } from "yaml";
import { compileCampaign, compileSegments, loadCampaigns } from "../../campaigns/index.ts";
import { CampaignSyntaxError } from "../../lib/errors.ts";
import { checkProperty, checkSyncProperty, useFuzzSummary } from "./support/run.ts";
import { hostileString, mutate, mutation } from "./support/values.ts";

const summary = useFuzzSummary("campaigns-compiler");
const shipped = (name: string) => readFileSync(new URL(`../../campaigns/${name}`, import.meta.url), "utf8");
const SOURCES = ["thank-you.yaml", "win-back.yaml", "promo-vip.yaml"].map(shipped);
const { segments } = compileSegments(shipped("segments.yaml"), "campaigns/segments.yaml");
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** YAML that tests the reader: anchors and alias bombs, tags, flow soup, tabs, deep nesting, huge text. */
const NASTY_YAML = [
  "a: &a [1,2]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n",
  "id: x\nname: *missing\n",
  "id: !!js/function 'function(){}'\n",
  "id: !!binary aGk=\nname: !!timestamp 2026-01-01\n",
  "? [a, b]\n: c\n",
  "id: t\n\tname: tab\n",
  "---\nid: a\n---\nid: b\n",
  "%YAML 9.9\n---\nid: t\n",
  "{{{{[[[[",
  `id: t\nname: ${"[".repeat(10_000)}${"]".repeat(10_000)}\n`,
  `id: t\nname: ${"{a: ".repeat(5_000)}1${"}".repeat(5_000)}\n`,
  `${"- ".repeat(2_000)}x\n`,
  `id: t\nname: "${"x".repeat(1_000_000)}"\n`,
  "id: t\nname: T\ntrigger: { event: { type: purchase, delay: 99999999999999999999d } }\nchannels: [email]\nmessage: { template: t }\n",
  "id: t\nname: T\ntrigger: { schedule: { cron: '*/0 * * * *' } }\nchannels: [email]\nmessage: { template: t }\n",
  "id: t\nname: T\ntrigger: { schedule: { cron: '0 0 31 2 *' } }\nchannels: [email]\nmessage: { template: t }\n",
  "id: t\nname: T\ntrigger: { event: { type: purchase } }\nchannels: [email]\nmessage: { template: t }\nlimits: { quiet_hours: '25:99-08:00' }\n",
  "__proto__: { polluted: true }\nid: t\n",
  "\ufeffid: t\n",
  "id: t\u0000\n",
  "id: \ud800\n",
];

/** Edits of a YAML text: a hostile string dropped in somewhere, a piece cut out, a line doubled or indented. */
const textEdit = fc.record({
  at: fc.nat(),
  cut: fc.nat({ max: 20 }),
  insert: fc.oneof(
    hostileString.filter((s) => s.length < 100_000),
    fc.constantFrom(
      ":",
      "- ",
      "\n",
      "\n  ",
      "\t",
      "#",
      "&x ",
      "*x",
      "!!str ",
      "{",
      "}",
      "[",
      "]",
      "'",
      '"',
      "|",
      ">",
      "? ",
    ),
  ),
});

const campaignSource = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...SOURCES) },
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.constantFrom(...SOURCES), fc.array(textEdit, { minLength: 1, maxLength: 3 }))
      .map(([source, edits]) =>
        edits.reduce((text, { at, cut, insert }) => {
          const i = at % (text.length + 1);
          return `${text.slice(0, i)}${insert}${text.slice(i + cut)}`;
        }, source),
      ),
  },
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.constantFrom(...SOURCES), fc.array(mutation, { minLength: 1, maxLength: 2 }))
      .map(([source, changes]) => {
        // the same campaign as data, a field changed, written back as YAML
        const changed = mutate(parseYaml(source), changes);
        try {
          return stringify(JSON.parse(JSON.stringify(changed) ?? "null"));
        } catch {
          return JSON.stringify(changed) ?? "";
        }
      }),
  },
  { weight: 1, arbitrary: fc.constantFrom(...NASTY_YAML) },
  { weight: 1, arbitrary: hostileString },
);

/** The outcome of compiling: the plan, or issues at real places of the file. Anything else fails the property. */
function compileOrIssues(source: string, file: string): "compiled" | "issues" {
  const lines = source.split(/\r\n|\r|\n/).length;
  try {
    compileCampaign(source, file, segments);
    return "compiled";
  } catch (error) {
    if (!(error instanceof CampaignSyntaxError)) throw error;
    if (error.issues.length === 0) throw new Error("a CampaignSyntaxError without issues");
    for (const issue of error.issues) {
      if (issue.file !== file || issue.line < 1 || issue.line > lines + 1 || issue.col < 1 || !issue.message)
        throw new Error(`an issue outside the file (${lines} lines): ${JSON.stringify(issue).slice(0, 300)}`);
    }
    return "issues";
  }
}

it("compiles every generated campaign YAML to a plan or to issues at their file:line:col; never another throw", () => {
  checkSyncProperty(
    summary,
    "compileCampaign",
    campaignSource,
    (source) => {
      summary.count("compileCampaign", compileOrIssues(source, "campaigns/fuzz.yaml"));
    },
    200,
  );
});

it("loads a folder of generated campaign files, reporting the bad ones and keeping the good; never a throw", async () => {
  await checkProperty(
    summary,
    "loadCampaigns",
    fc.array(
      campaignSource.filter((s) => s.length < 200_000),
      { minLength: 1, maxLength: 4 },
    ),
    async (sources) => {
      const dir = mkdtempSync(path.join(tmpdir(), "rapport-fuzz-campaigns-"));
      dirs.push(dir);
      for (const [i, source] of sources.entries()) writeFileSync(path.join(dir, `c${i}.yaml`), source);
      const loaded = await loadCampaigns(dir);
      for (const issue of loaded.errors)
        if (!issue.file.startsWith(dir) || issue.line < 1 || issue.col < 1 || !issue.message)
          throw new Error(`an issue without its place: ${JSON.stringify(issue).slice(0, 300)}`);
      summary.count("loadCampaigns", loaded.errors.length ? "issues" : "loaded");
    },
    20,
  );
});

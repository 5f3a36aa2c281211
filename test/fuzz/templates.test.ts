import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { TemplateError } from "../../lib/errors.ts";
import { createTemplateStore } from "../../templates/index.ts";
import { checkSyncProperty, useFuzzSummary } from "./support/run.ts";
import { type Fuzzed, hostileString, hostileValue, jsonText, mutate, mutation } from "./support/values.ts";

const summary = useFuzzSummary("templates");
const TEMPLATES = new URL("../../templates/", import.meta.url);
const shipped = (file: string) => readFileSync(new URL(file, TEMPLATES), "utf8");
const SAMPLE = parseYaml(shipped("thank-you/sample.yaml")) as Record<string, unknown>;
const dir = mkdtempSync(path.join(tmpdir(), "rapport-fuzz-templates-"));
cpSync(new URL("partials", TEMPLATES), path.join(dir, "partials"), { recursive: true });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Pieces of Handlebars, right and wrong: helpers, blocks, partials, paths, prototype walks, broken braces. */
const PIECES = [
  "{{customer.name}}",
  "{{{customer.name}}}",
  "{{order.id}}",
  "{{money order.total order.currency}}",
  "{{money x}}",
  "{{number order.total}}",
  "{{date order.at}}",
  '{{date "not a date"}}',
  '{{plural 2 one="# item" other="# items"}}',
  "{{plural}}",
  '{{sum order.items "quantity"}}',
  '{{multiply 2 "x"}}',
  '{{concat "a" 1 null}}',
  "{{eq 1 1}}",
  "{{localized}}",
  "{{#if customer.name}}",
  "{{else}}",
  "{{/if}}",
  "{{#each order.items}}",
  "{{name}}",
  "{{../brand.name}}",
  "{{/each}}",
  "{{#with order}}",
  "{{/with}}",
  "{{#unless x}}",
  "{{/unless}}",
  "{{> email-button}}",
  "{{> nope}}",
  "{{nohelper 1}}",
  '{{lookup . "constructor"}}',
  "{{constructor.constructor}}",
  "{{__proto__}}",
  "{{this}}",
  "{{@root.brand.name}}",
  "{{@index}}",
  "{{!-- comment --}}",
  "{{!",
  "{{",
  "}}",
  "{{#if}}",
  "{{/each}}",
  "{{#each}}",
  "{{customer.}}",
  "{{.}}",
  "{{[weird key]}}",
  "\\{{escaped}}",
  "text ",
  "\n",
  "<b>",
  "&amp;",
  "😀",
];

const source = fc.oneof(
  { weight: 3, arbitrary: fc.array(fc.constantFrom(...PIECES), { maxLength: 12 }).map((p) => p.join("")) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom(shipped("thank-you/chat.en.hbs"), shipped("thank-you/email.en.hbs")),
        fc.nat(),
        fc.nat({ max: 8 }),
        fc.constantFrom(...PIECES),
      )
      .map(([text, at, cut, piece]) => {
        const i = at % (text.length + 1);
        return `${text.slice(0, i)}${piece}${text.slice(i + cut)}`;
      }),
  },
  { weight: 1, arbitrary: hostileString },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(1_000, 10_000)
      .map((n) => `${"{{#if x}}".repeat(n)}deep${"{{/if}}".repeat(n)}`),
  },
);

/** Data for the template: the sample, the sample changed in places, or anything at all. */
const data = fc
  .oneof(
    { weight: 1, arbitrary: fc.constant(SAMPLE) },
    {
      weight: 4,
      arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }).map((m) => mutate(SAMPLE, m)),
    },
    { weight: 1, arbitrary: hostileValue },
  )
  .map((value) => {
    // what a template gets is JSON from the database: the generated special numbers as JSON reads them
    try {
      return JSON.parse(jsonText(value as Fuzzed)) as unknown;
    } catch {
      return SAMPLE;
    }
  });

let n = 0;
it("renders every generated template and data to a message, or a TemplateError at its file and line; never another throw", () => {
  checkSyncProperty(
    summary,
    "render",
    fc.record({
      source,
      data,
      channel: fc.constantFrom("telegram" as const, "email" as const),
      subject: fc.constantFrom("Hi {{customer.name}}", "{{#if}}", "{{money order.total order.currency}}", ""),
      timezone: fc.constantFrom(undefined, "Asia/Jakarta", "Europe/Warsaw", "Mars/Olympus", ""),
      locale: fc.constantFrom("en", "pl-PL", "id", "xx", ""),
    }),
    (input) => {
      const name = `t${n++}`;
      mkdirSync(path.join(dir, name));
      if (input.channel === "email") {
        const front = `---\nsubject: ${JSON.stringify(input.subject)}\n---\n`;
        writeFileSync(path.join(dir, name, "email.en.hbs"), `${front}${input.source}`);
      } else writeFileSync(path.join(dir, name, "chat.en.hbs"), input.source);
      // a store per template: compiled templates are cached for a store's lifetime
      const store = createTemplateStore({ dir });
      const isObject = typeof input.data === "object" && input.data !== null && !Array.isArray(input.data);
      const payload = (isObject ? input.data : { value: input.data }) as Record<string, unknown>;
      try {
        const message = store.render(name, input.channel, input.locale, payload, {
          timezone: input.timezone,
        });
        if (typeof message.text !== "string") throw new Error("rendered without text");
        summary.count(`render ${input.channel}`, "rendered");
      } catch (error) {
        if (!(error instanceof TemplateError)) throw error;
        const badZone = input.timezone === "Mars/Olympus" || input.timezone === "";
        if (!badZone && (!error.file || (error.line !== undefined && error.line < 1)))
          throw new Error(`a TemplateError without its place: ${error.message.slice(0, 300)}`);
        summary.count(`render ${input.channel}`, "error");
      }
    },
    200,
  );
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createTemplateStore } from "../../templates/index.ts";

const root = mkdtempSync(join(tmpdir(), "rapport-helpers-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
mkdirSync(join(root, "t"));
for (const locale of ["en", "id", "pl"])
  writeFileSync(join(root, `t/chat.${locale}.hbs`), "{{localized title}}");
const store = createTemplateStore({ dir: root });
const render = (locale: string, title: unknown) => store.render("t", "x", locale, { title }).text;

describe("localized", () => {
  it("prints a single text in every language", () => {
    expect(render("pl", "Sale")).toBe("Sale");
  });

  it("picks the text of the template's language, else the English one", () => {
    const title = { en: "Sale", pl: "Wyprzedaż" };
    expect(render("pl-PL", title)).toBe("Wyprzedaż");
    expect(render("id", title)).toBe("Sale");
    expect(render("fr", title)).toBe("Sale");
  });

  it("names the languages it was given when neither the template's nor English is there", () => {
    expect(() => render("pl", { id: "Promo" })).toThrow(
      /chat\.pl\.hbs:1: localized: .*there is no "pl" or "en" text \(languages given: id\)/,
    );
  });

  it("fails on a missing field or a value that is not text", () => {
    expect(() => render("en", undefined)).toThrow(/localized: .*got nothing \(the field is missing\)/);
    expect(() => render("en", ["a"])).toThrow(/localized: .*got a list/);
    expect(() => render("en", { en: 5 })).toThrow(/localized: .*the "en" entry is 5$/);
    expect(() => render("en", {})).toThrow(/there is no "en" text \(languages given: none\)/);
  });
});

describe("default", () => {
  const dir = mkdtempSync(join(root, "default-"));
  mkdirSync(join(dir, "hi"));
  for (const locale of ["en", "id", "pl"])
    writeFileSync(join(dir, `hi/chat.${locale}.hbs`), 'Dzień dobry {{default customer.name "Państwo"}}!');
  const greetings = createTemplateStore({ dir });
  const greet = (customer: Record<string, unknown>) => greetings.render("hi", "x", "pl", { customer }).text;

  it("prints the value, or the fallback when it is missing or blank: never an empty placeholder", () => {
    expect(greet({ name: "Ola" })).toBe("Dzień dobry Ola!");
    expect(greet({})).toBe("Dzień dobry Państwo!");
    expect(greet({ name: null })).toBe("Dzień dobry Państwo!");
    expect(greet({ name: "  " })).toBe("Dzień dobry Państwo!");
  });
});

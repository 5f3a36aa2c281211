import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { TemplateError } from "../../lib/errors.ts";
import { createTemplateStore } from "../../templates/index.ts";

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** A throwaway templates folder holding `files` (paths relative to it). */
function templates(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "rapport-templates-"));
  roots.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

function renderError(render: () => unknown): TemplateError {
  try {
    render();
  } catch (error) {
    if (error instanceof TemplateError) return error;
    throw error;
  }
  throw new Error("expected a TemplateError");
}

const LAYOUT =
  "<html>{{brand.name}}|{{> @partial-block}}|{{#if unsubscribeUrl}}{{unsubscribeLabel}}{{/if}}</html>";

describe("template errors", () => {
  it("reports an unclosed block with the file and the line it was opened on, counting the front matter", () => {
    const body = ["<p>Hi</p>", "", "", "", "", "", "", "{{#each items}}", "<li>{{name}}</li>", ""].join("\n");
    const dir = templates({ "broken/email.pl.hbs": `---\nsubject: Hej\npreheader: Hi\n---\n${body}` });
    const error = renderError(() =>
      createTemplateStore({ dir }).render("broken", "email", "pl", { items: [] }),
    );
    expect(error.message).toMatch(
      /broken\/email\.pl\.hbs:12: \{\{#each\}\} is never closed: add \{\{\/each\}\}$/,
    );
    expect(error.line).toBe(12);
    expect(error.file).toMatch(/broken\/email\.pl\.hbs$/);
  });

  it("refuses blocks nested past 64 levels at the line of the first one too deep, without compiling them", () => {
    const nested = (n: number) => `${"{{#if x}}\n".repeat(n)}deep${"{{/if}}".repeat(n)}`;
    const dir = templates({ "ok/chat.en.hbs": nested(64), "deep/chat.en.hbs": `hi\n${nested(10_000)}` });
    expect(createTemplateStore({ dir }).render("ok", "telegram", "en", { x: 1 }).text).toBe("deep");
    const started = Date.now();
    const error = renderError(() => createTemplateStore({ dir }).render("deep", "telegram", "en", { x: 1 }));
    expect(error.message).toMatch(
      /deep\/chat\.en\.hbs:66: blocks nested deeper than 64 levels: split the message into partials$/,
    );
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("reports a block closed with the wrong name", () => {
    const dir = templates({ "broken/chat.en.hbs": "one\n{{#if a}}\nthree\n{{/each}}\n" });
    const error = renderError(() =>
      createTemplateStore({ dir }).render("broken", "telegram", "en", { a: 1 }),
    );
    expect(error.message).toMatch(/chat\.en\.hbs:2: \{\{#if\}\} opened here is closed by \{\{\/each\}\}/);
  });

  it("reports stray braces with the line and the text around them", () => {
    const dir = templates({ "broken/chat.en.hbs": "one\nHello {{customer.name}\n" });
    const error = renderError(() => createTemplateStore({ dir }).render("broken", "x", "en", {}));
    expect(error.message).toMatch(
      /chat\.en\.hbs:2: syntax error .*check the braces on this line:\n {2}Hello \{\{customer\.name\}/s,
    );
  });

  it("names every file it looked for when a template is missing", () => {
    const store = createTemplateStore();
    const error = renderError(() => store.render("thank-yuo", "telegram", "pl", {}));
    expect(error.message).toBe(
      'no "thank-yuo" template for telegram: looked for templates/thank-yuo/telegram.pl.hbs, ' +
        "templates/thank-yuo/chat.pl.hbs, templates/thank-yuo/telegram.en.hbs, templates/thank-yuo/chat.en.hbs. " +
        'Did you mean "thank-you"?',
    );
  });

  it("rejects an unknown helper before rendering, suggesting the closest one", () => {
    const dir = templates({ "promo/chat.en.hbs": "Hi\nOnly {{monye price currency}} today" });
    const error = renderError(() => createTemplateStore({ dir }).render("promo", "discord", "en", {}));
    expect(error.message).toMatch(
      /promo\/chat\.en\.hbs:2: "monye" is not a helper\. Did you mean "money"\? Helpers: /,
    );
  });

  it("rejects an unknown partial instead of silently rendering the block", () => {
    const dir = templates({
      "partials/email-layout.hbs": LAYOUT,
      "promo/email.en.hbs": "---\nsubject: Hi\n---\n{{#> emial-layout}}x{{/emial-layout}}",
    });
    const error = renderError(() => createTemplateStore({ dir }).render("promo", "email", "en", {}));
    expect(error.message).toMatch(
      /email\.en\.hbs:4: no partial "emial-layout".* Did you mean "email-layout"\?/,
    );
  });

  it("accepts a partial defined inline in the same file", () => {
    const dir = templates({
      "promo/chat.en.hbs": '{{#*inline "line"}}- {{this}}\n{{/inline}}{{#each items}}{{> line}}{{/each}}',
    });
    expect(createTemplateStore({ dir }).render("promo", "x", "en", { items: ["a", "b"] }).text).toBe(
      "- a\n- b",
    );
  });

  it("rejects a plain-text partial in HTML, where it would not escape data", () => {
    const dir = templates({
      "partials/footer.txt.hbs": "{{brand.name}}",
      "promo/email.en.hbs": "---\nsubject: Hi\n---\n{{> footer.txt}}",
    });
    const error = renderError(() => createTemplateStore({ dir }).render("promo", "email", "en", {}));
    expect(error.message).toMatch(/email\.en\.hbs:4: "footer\.txt" is a plain-text partial/);
  });

  it("catches a misspelt field with its line and the way to make a field optional", () => {
    const dir = templates({ "promo/chat.en.hbs": "Hi {{customer.nmae}}!" });
    const error = renderError(() =>
      createTemplateStore({ dir }).render("promo", "webchat", "en", { customer: { name: "Ana" } }),
    );
    expect(error.message).toMatch(
      /chat\.en\.hbs:1: \{\{customer\.nmae\}\} is not in the data \("nmae" is missing\).*\{\{#if customer\.nmae\}\}/,
    );
  });

  it("lets an optional field be left out when it is printed inside {{#if}}", () => {
    const dir = templates({ "promo/chat.en.hbs": "Hi{{#if customer.name}} {{customer.name}}{{/if}}!" });
    const store = createTemplateStore({ dir });
    expect(store.render("promo", "webchat", "en", { customer: {} }).text).toBe("Hi!");
    expect(store.render("promo", "webchat", "en", { customer: { name: "Ana" } }).text).toBe("Hi Ana!");
  });

  it("names the line of a helper given the wrong arguments", () => {
    const dir = templates({ "promo/email.en.hbs": "---\nsubject: Hi\n---\n<p>\n{{money total}}</p>" });
    const error = renderError(() =>
      createTemplateStore({ dir }).render("promo", "email", "en", { total: 5 }),
    );
    expect(error.message).toMatch(
      /email\.en\.hbs:5: money: expected \{\{money amount currency\}\}, got 1 argument/,
    );
  });

  it("names the subject's line for an error in the subject", () => {
    const dir = templates({ "promo/email.en.hbs": "---\npreheader: x\nsubject: Hi {{nam}}\n---\n<p>x</p>" });
    const error = renderError(() =>
      createTemplateStore({ dir }).render("promo", "email", "en", { name: "A" }),
    );
    expect(error.message).toMatch(/email\.en\.hbs:3: \{\{nam\}\} is not in the data/);
  });

  it("blames the partial for an error in the partial, and the template for an error in its block", () => {
    const dir = templates({
      "partials/email-layout.hbs": LAYOUT,
      "promo/email.en.hbs":
        "---\nsubject: Hi\n---\n{{#> email-layout unsubscribeLabel='Stop'}}\n{{offer}}\n{{/email-layout}}",
    });
    const store = createTemplateStore({ dir });
    const inBlock = renderError(() => store.render("promo", "email", "en", { brand: { name: "B" } }));
    expect(inBlock.message).toMatch(/promo\/email\.en\.hbs:5: \{\{offer\}\} is not in the data/);
    const inLayout = renderError(() => store.render("promo", "email", "en", { brand: {}, offer: "x" }));
    expect(inLayout.message).toMatch(/partials\/email-layout\.hbs:1: \{\{brand\.name\}\} is not in the data/);
  });

  it("explains front matter mistakes", () => {
    const dir = templates({
      "a/email.en.hbs": "<p>no front matter</p>",
      "b/email.en.hbs": "---\nsubjet: Hi\n---\n<p>x</p>",
      "c/email.en.hbs": "---\npreheader: Hi\n---\n<p>x</p>",
    });
    const store = createTemplateStore({ dir });
    expect(renderError(() => store.render("a", "email", "en", {})).message).toMatch(
      /a\/email\.en\.hbs:1: an email template starts with front matter holding its subject/,
    );
    expect(renderError(() => store.render("b", "email", "en", {})).message).toMatch(
      /b\/email\.en\.hbs:2: unknown front matter key "subjet"/,
    );
    expect(renderError(() => store.render("c", "email", "en", {})).message).toMatch(
      /c\/email\.en\.hbs:1: .*needs a subject/,
    );
  });

  it("rejects a timezone that does not exist", () => {
    const dir = templates({ "promo/chat.en.hbs": "x" });
    const render = () =>
      createTemplateStore({ dir }).render("promo", "x", "en", {}, { timezone: "Europe/Warsw" });
    expect(renderError(render).message).toMatch(/unknown timezone "Europe\/Warsw"/);
  });
});

describe("template lookup", () => {
  const dir = templates({
    "promo/telegram.pl.hbs": "telegram pl",
    "promo/chat.pl.hbs": "chat pl",
    "promo/telegram.en.hbs": "telegram en",
    "promo/chat.en.hbs": "chat en",
    "promo/email.en.hbs": "---\nsubject: Hello\n---\n<p>en</p>",
    "only-id/chat.id.hbs": "id",
    "partials/email-layout.hbs": LAYOUT,
  });
  const store = createTemplateStore({ dir });

  it("prefers the channel's own file, then the shared chat file, in the reader's language first", () => {
    expect(store.render("promo", "telegram", "pl", {}).text).toBe("telegram pl");
    expect(store.render("promo", "discord", "pl", {}).text).toBe("chat pl");
    expect(store.render("promo", "telegram", "id", {})).toMatchObject({ text: "telegram en", locale: "en" });
    expect(store.render("promo", "webchat", "id", {})).toMatchObject({ text: "chat en", locale: "en" });
  });

  it("falls back to the English email when the locale's file is missing", () => {
    expect(store.render("promo", "email", "pl", {})).toMatchObject({ subject: "Hello", locale: "en" });
  });

  it("lists templates and says which channels each can always render", () => {
    expect(store.names()).toEqual(["only-id", "promo"]);
    expect(store.has("promo", "x")).toBe(true);
    expect(store.has("promo", "email")).toBe(true);
    expect(store.has("only-id", "telegram")).toBe(false);
    expect(store.has("nothing", "email")).toBe(false);
  });

  it("refuses template names that are not plain folder names", () => {
    expect(() => store.render("../secrets", "email", "en", {})).toThrow(/folder names like "thank-you"/);
  });
});

describe("rendering", () => {
  it("derives the text part from the HTML when there is no .txt.hbs", () => {
    const dir = templates({
      "partials/email-layout.hbs": LAYOUT,
      "news/email.en.hbs": [
        "---",
        "subject: News",
        "preheader: Hidden preview",
        "---",
        "<!--[skip-text]--><div>{{@preheader}}</div><!--[/skip-text]-->",
        '<h1>Hello &amp; welcome</h1><p>Read <a href="https://x.example/a?b=1&amp;c=2">our story</a>.<br>Bye</p>',
        "<table><tr><td>Tea</td><td>{{money 3 'EUR'}}</td></tr></table>",
      ].join("\n"),
    });
    const message = createTemplateStore({ dir }).render("news", "email", "en", {});
    expect(message.text).toBe(
      "Hello & welcome\n\nRead our story (https://x.example/a?b=1&c=2).\nBye\n\nTea €3.00",
    );
  });

  it("formats dates in the render's timezone and locale", () => {
    const dir = templates({ "promo/chat.pl.hbs": "Do {{date endsAt 'long'}}" });
    const store = createTemplateStore({ dir });
    const data = { endsAt: "2024-03-05T20:00:00Z" };
    expect(store.render("promo", "x", "pl", data, { timezone: "Asia/Jakarta" }).text).toBe("Do 6 marca 2024");
    expect(store.render("promo", "x", "pl", data).text).toBe("Do 5 marca 2024");
  });

  it("serves compiled templates from its cache until a new store is created", () => {
    const dir = templates({ "promo/chat.en.hbs": "first" });
    const store = createTemplateStore({ dir });
    expect(store.render("promo", "x", "en", {}).text).toBe("first");
    writeFileSync(join(dir, "promo/chat.en.hbs"), "second");
    expect(store.render("promo", "x", "en", {}).text).toBe("first");
    expect(createTemplateStore({ dir }).render("promo", "x", "en", {}).text).toBe("second");
  });
});

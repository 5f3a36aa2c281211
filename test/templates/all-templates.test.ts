import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { LOCALES, SENDING_CHANNEL_NAMES } from "../../lib/channels.ts";
import { createTemplateStore } from "../../templates/index.ts";

// A guard for every template, present and future: each ships sample data, exists in every locale, and renders.
const dir = fileURLToPath(new URL("../../templates/", import.meta.url));
const store = createTemplateStore();
const names = store.names();

describe.each(names)("template %s", (name) => {
  const samplePath = `${dir}${name}/sample.yaml`;

  it("ships sample data in sample.yaml", () => {
    expect(
      existsSync(samplePath),
      `add templates/${name}/sample.yaml with data that prints every field`,
    ).toBe(true);
  });

  it("exists in every locale", () => {
    const files = readdirSync(`${dir}${name}`).filter((f) => f.endsWith(".hbs"));
    const variants = new Set(files.map((f) => f.replace(/\.(en|id|pl)\.(txt\.)?hbs$/, ".*.$2hbs")));
    for (const variant of variants) {
      for (const locale of LOCALES) {
        expect(files, `templates/${name}/${variant} lacks its ${locale} version`).toContain(
          variant.replace("*", locale),
        );
      }
    }
  });

  it.each(LOCALES)("renders on every channel it has in %s", (locale) => {
    const data = parse(readFileSync(samplePath, "utf8")) as Record<string, unknown>;
    const channels = SENDING_CHANNEL_NAMES.filter((channel) => store.has(name, channel));
    expect(channels.length).toBeGreaterThan(0);
    for (const channel of channels) {
      const message = store.render(name, channel, locale, data, { timezone: "Asia/Jakarta" });
      expect(message.locale).toBe(locale);
      expect(message.text.trim()).not.toBe("");
      expect(message.text).not.toMatch(/<\/?(p|td|tr|table|div|br)\b/);
      if (channel === "email") {
        expect(message.subject).toBeTruthy();
        expect(message.html).toMatch(/<html lang="/);
      }
    }
  });

  it.each(LOCALES)("greets a customer without a name or email with no empty placeholder in %s", (locale) => {
    const data = parse(readFileSync(samplePath, "utf8")) as Record<string, unknown>;
    const customer = { ...(data["customer"] as Record<string, unknown> | undefined) };
    delete customer["name"];
    delete customer["email"];
    for (const channel of SENDING_CHANNEL_NAMES.filter((c) => store.has(name, c))) {
      const message = store.render(
        name,
        channel,
        locale,
        { ...data, customer },
        { timezone: "Asia/Jakarta" },
      );
      // "Dzień dobry ,", "Halo, !", "Hi  and": a placeholder printed as nothing leaves a space before punctuation
      for (const text of [message.subject ?? "", message.text])
        expect(text, `${name} on ${channel} in ${locale}`).not.toMatch(
          /[^\S\n][,!?.;:](?!\d)|,[^\S\n]*[!?.]/,
        );
    }
  });
});

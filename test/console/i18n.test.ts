import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CONSOLE_TEXTS, t } from "../../console/index.ts";

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(file);
    return /\.(ts|hbs)$/.test(entry.name) ? [readFileSync(file, "utf8")] : [];
  });
}

describe("console texts", () => {
  const english = Object.keys(CONSOLE_TEXTS.en).sort();

  it("exist in English, Indonesian and Polish with the same keys", () => {
    expect(Object.keys(CONSOLE_TEXTS.id).sort()).toEqual(english);
    expect(Object.keys(CONSOLE_TEXTS.pl).sort()).toEqual(english);
  });

  it("use the same placeholders in every language, and none is empty", () => {
    for (const key of english) {
      const en = CONSOLE_TEXTS.en[key as keyof typeof CONSOLE_TEXTS.en];
      for (const locale of ["id", "pl"] as const) {
        const text = CONSOLE_TEXTS[locale][key as keyof typeof CONSOLE_TEXTS.en];
        expect(text.trim(), `${locale} ${key}`).not.toBe("");
        expect(placeholders(text), `${locale} ${key}`).toEqual(placeholders(en));
      }
    }
  });

  it("are all used by the console, and every key the views ask for exists", () => {
    const code = sources(path.resolve("console")).join("\n");
    for (const key of english) {
      const family = key.replace(/\.[^.]+$/, "."); // keys built from data: (concat "role." role)
      expect(code.includes(`"${key}"`) || code.includes(`"${family}"`) || code.includes("`role.$"), key).toBe(
        true,
      );
    }
    for (const [, key] of code.matchAll(/\{\{t "([\w.]+)"/g)) expect(english, key).toContain(key);
  });

  it("fill placeholders and leave unknown ones visible", () => {
    expect(t("id", "staff.added", { email: "siti@example.com" })).toBe(
      "siti@example.com sudah ditambahkan dan sekarang dapat masuk.",
    );
    expect(t("pl", "staff.passwordTooShort", {})).toBe("Hasło musi mieć co najmniej {min} znaków.");
  });

  it("address Indonesian staff as Anda", () => {
    const indonesian = Object.values(CONSOLE_TEXTS.id).join(" ");
    expect(indonesian).toMatch(/\bAnda\b/);
    expect(indonesian).not.toMatch(/\b(kamu|kau|lo|lu)\b/i);
  });
});

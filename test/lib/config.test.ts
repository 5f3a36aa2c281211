import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConfigSchema, loadConfig, redactConfig } from "../../lib/config.ts";
import { ConfigError } from "../../lib/errors.ts";

describe("loadConfig", () => {
  it("runs on defaults with an empty environment", () => {
    const config = loadConfig({}, "/srv/rapport");
    expect(config.PORT).toBe(3000);
    expect(config.REDIS_URL).toBe("redis://127.0.0.1:6379");
    expect(config.dataDir).toBe("/srv/rapport/.data");
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.PUBLIC_URL).toBe("http://localhost:3000");
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("treats empty values as unset, as a copied .env.example leaves them", () => {
    const config = loadConfig({ DATABASE_URL: "", RESEND_API_KEY: "  " });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.RESEND_API_KEY).toBeUndefined();
  });

  it("takes EUR as the base currency of segments unless told", () => {
    expect(loadConfig({ RAPPORT_BASE_CURRENCY: "" }).RAPPORT_BASE_CURRENCY).toBe("EUR");
    expect(loadConfig({ RAPPORT_BASE_CURRENCY: "PLN" }).RAPPORT_BASE_CURRENCY).toBe("PLN");
  });

  it.each([
    ["PORT", "eighty", /^PORT: expected a port number/],
    ["PORT", "70000", /^PORT: expected a port between 0 and 65535 \(got "70000"\)$/],
    ["REDIS_URL", "localhost:6379", /^REDIS_URL: expected redis:\/\/host:6379/],
    ["DATABASE_URL", "mysql://x", /^DATABASE_URL: expected postgresql:\/\//],
    ["TELEGRAM_BOT_TOKEN", "nope", /^TELEGRAM_BOT_TOKEN: expected a token from @BotFather/],
    ["RAPPORT_WEBHOOK_SECRET", "short", /^RAPPORT_WEBHOOK_SECRET: expected at least 16 characters/],
    [
      "RAPPORT_BASE_CURRENCY",
      "eur",
      /^RAPPORT_BASE_CURRENCY: expected a currency code of three capital letters/,
    ],
  ])("rejects a bad %s with one line naming it", (variable, value, message) => {
    let caught: unknown;
    try {
      loadConfig({ [variable]: value });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).variable).toBe(variable);
    expect((caught as Error).message).toMatch(message);
    expect((caught as Error).message).not.toContain("\n");
  });

  it("never echoes a secret's value in its error", () => {
    expect(() => loadConfig({ TELEGRAM_BOT_TOKEN: "leaked-secret-value" })).toThrow(
      /^(?!.*leaked-secret-value)/,
    );
  });

  it("redacts secrets for logs", () => {
    const shown = redactConfig(
      loadConfig({ RESEND_API_KEY: "re_123456789", DATABASE_URL: "postgresql://u:p@h/db" }),
    );
    expect(shown.RESEND_API_KEY).toBe("[redacted]");
    expect(shown.DATABASE_URL).toBe("[redacted]");
  });

  it("documents every variable in .env.example, and no unknown ones", () => {
    const documented = readFileSync(new URL("../../.env.example", import.meta.url), "utf8")
      .split("\n")
      .map((line) => /^([A-Z][A-Z0-9_]*)=/.exec(line)?.[1])
      .filter(Boolean)
      .sort();
    expect(documented).toEqual(Object.keys(ConfigSchema.shape).sort());
  });
});

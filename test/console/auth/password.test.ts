import { describe, expect, it } from "vitest";
import { dummyVerify, hashPassword, verifyPassword } from "../../../console/index.ts";

describe("passwords", () => {
  it("hashes with scrypt N=2^15 r=8 p=1, a 16-byte salt and the parameters in the string", async () => {
    const hash = await hashPassword("correct horse battery");
    const [scheme, n, r, p, salt, key] = hash.split("$");
    expect([scheme, n, r, p]).toEqual(["scrypt", "32768", "8", "1"]);
    expect(Buffer.from(salt!, "base64")).toHaveLength(16);
    expect(Buffer.from(key!, "base64")).toHaveLength(32);
  });

  it("verifies the right password and refuses any other", async () => {
    const hash = await hashPassword("correct horse battery");
    expect(await verifyPassword("correct horse battery", hash)).toBe(true);
    expect(await verifyPassword("correct horse batterY", hash)).toBe(false);
    expect(await verifyPassword("", hash)).toBe(false);
  });

  it("salts: the same password never hashes the same twice", async () => {
    expect(await hashPassword("same password")).not.toBe(await hashPassword("same password"));
  });

  it("treats canonically equal Unicode spellings as the same password", async () => {
    const hash = await hashPassword("Zażółć gęślą jaźń");
    expect(await verifyPassword("Zaz\u0307o\u0301ł\u0107 gęślą jaźń".normalize("NFD"), hash)).toBe(true);
  });

  it("never matches a malformed or tampered hash", async () => {
    const hash = await hashPassword("correct horse battery");
    for (const bad of [
      "",
      "plain text",
      hash.replace("scrypt$", "bcrypt$"),
      hash.replace("$32768$", "$1073741824$"),
      hash.replace("$32768$", "$1000$"),
      `${hash}$extra`,
    ]) {
      expect(await verifyPassword("correct horse battery", bad), bad).toBe(false);
    }
  });

  it("spends about as long on an account that does not exist", async () => {
    const hash = await hashPassword("correct horse battery");
    const time = async (fn: () => Promise<unknown>) => {
      const started = performance.now();
      await fn();
      return performance.now() - started;
    };
    await dummyVerify("warm-up");
    const real = await time(() => verifyPassword("wrong guess", hash));
    const dummy = await time(() => dummyVerify("wrong guess"));
    expect(await dummyVerify("correct horse battery")).toBe(false);
    // both run the same scrypt; generous bounds keep a busy machine from failing the test
    expect(dummy).toBeGreaterThan(real / 4);
    expect(dummy).toBeLessThan(real * 4);
  });
});

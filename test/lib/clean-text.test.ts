import { describe, expect, it } from "vitest";
import { cleanJson, cleanText } from "../../lib/clean-text.ts";

const LIMITS = { maxDepth: 32, maxKeys: 1_000 };

describe("cleanText", () => {
  it("drops U+0000 and lone surrogates, keeps pairs and other controls", () => {
    expect(cleanText("a\u0000b")).toBe("ab");
    expect(cleanText("x\uD800y\uDC00z")).toBe("xyz");
    expect(cleanText("\uDC00\uD83D\uDE00\uD800")).toBe("😀");
    expect(cleanText("tab\tline\nbell\u0007")).toBe("tab\tline\nbell\u0007");
    const plain = "Zażółć gęślą jaźń";
    expect(cleanText(plain)).toBe(plain);
  });
});

describe("cleanJson", () => {
  it("cleans every string and key, and keeps __proto__ a plain key", () => {
    const parsed = JSON.parse('{"__proto__": {"k\\u0000": "v\\ud800"}, "list": [1, null, "\\u0000", true]}');
    const result = cleanJson(parsed, LIMITS);
    expect(result).toEqual({ ok: true, value: { ["__proto__"]: { k: "v" }, list: [1, null, "", true] } });
    expect(result.ok && Object.getPrototypeOf(result.value)).toBe(Object.prototype);
    expect(result.ok && Object.keys(result.value as object)).toEqual(["__proto__", "list"]);
  });

  it("names where the value is nested too deep, without recursing further, however deep it goes", () => {
    let deep: unknown = "end";
    for (let level = 0; level < 100_000; level++) deep = { a: deep };
    const result = cleanJson(deep, LIMITS);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.path).toHaveLength(32);
    expect(result.message).toBe("nested deeper than 32 levels of objects and arrays");
    let fits: unknown = "end";
    for (let level = 0; level < 32; level++) fits = [fits];
    expect(cleanJson(fits, LIMITS).ok).toBe(true);
  });

  it("counts keys and items over the whole value, its own keys included", () => {
    const wide = { a: Array.from({ length: 600 }, () => 0), b: Array.from({ length: 397 }, () => 0) };
    expect(cleanJson(wide, LIMITS).ok).toBe(true);
    const over = cleanJson({ ...wide, c: [0] }, LIMITS);
    expect(over).toEqual({ ok: false, path: ["c"], message: "has more than 1000 keys and items in all" });
  });
});

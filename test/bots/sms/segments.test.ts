import { describe, expect, it } from "vitest";
import { smsSegments } from "../../../bots/sms/segments.ts";

describe("SMS segments (bots/sms/segments.ts)", () => {
  it("counts GSM-7 texts 160 in one SMS, then 153 a segment", () => {
    expect(smsSegments("")).toEqual({ encoding: "GSM-7", units: 0, segments: 0 });
    expect(smsSegments("a".repeat(160))).toEqual({ encoding: "GSM-7", units: 160, segments: 1 });
    expect(smsSegments("a".repeat(161))).toEqual({ encoding: "GSM-7", units: 161, segments: 2 });
    expect(smsSegments("a".repeat(306)).segments).toBe(2);
    expect(smsSegments("a".repeat(307)).segments).toBe(3);
    // é, ü, Ä and £ are in the GSM alphabet: still GSM-7
    expect(smsSegments("Café £5 für Äpfel").encoding).toBe("GSM-7");
  });

  it("counts the extension table's characters as two septets, never split across segments", () => {
    expect(smsSegments("€".repeat(80))).toEqual({ encoding: "GSM-7", units: 160, segments: 1 });
    expect(smsSegments(`${"a".repeat(159)}€`)).toEqual({ encoding: "GSM-7", units: 161, segments: 2 });
    expect(smsSegments("{}[]~\\|^").units).toBe(16);
    // 152 septets then an escaped character: it moves whole to the second segment
    expect(smsSegments(`${"a".repeat(152)}€${"a".repeat(152)}`).segments).toBe(3);
  });

  it("counts any other character as UCS-2: 70 code units in one SMS, then 67 a segment", () => {
    expect(smsSegments("ą".repeat(70))).toEqual({ encoding: "UCS-2", units: 70, segments: 1 });
    expect(smsSegments(`${"a".repeat(70)}ł`)).toEqual({ encoding: "UCS-2", units: 71, segments: 2 });
    expect(smsSegments("a".repeat(134)).encoding).toBe("GSM-7");
    expect(smsSegments(`${"a".repeat(133)}“`).segments).toBe(2);
    expect(smsSegments(`${"a".repeat(134)}“`).segments).toBe(3);
    // an emoji is two code units, a pair never split: 66 + 😀 does not fit in 67
    expect(smsSegments(`${"a".repeat(66)}😀${"a".repeat(10)}`)).toEqual({
      encoding: "UCS-2",
      units: 78,
      segments: 2,
    });
    expect(smsSegments(`${"a".repeat(66)}😀${"a".repeat(66)}`).segments).toBe(3);
  });
});

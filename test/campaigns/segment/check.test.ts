import { describe, expect, it } from "vitest";
import {
  audienceIssues,
  compileAudience,
  compileSegments,
  noSegments,
  type Segments,
} from "../../../campaigns/segment/index.ts";
import { CampaignSyntaxError } from "../../../lib/errors.ts";

function segments(source: string): Segments {
  const { segments, issues } = compileSegments(source, "segments.yaml");
  expect(issues).toEqual([]);
  return segments;
}

const NAMED = segments("vip: orders >= 5\nquiet: last_purchase < now - 60d\n");

function issues(expression: string, named: Segments | undefined = NAMED): string[] {
  return audienceIssues(expression, named).map((issue) => `${issue.col}: ${issue.message}`);
}

describe("checking an audience", () => {
  it("accepts every field with a value of its type", () => {
    const all = [
      "orders >= 2",
      "total_spent > 99.5 EUR",
      'total_spent("IDR") >= 500000',
      'avg_order("PLN") < 80.5 PLN',
      "avg_order >= 20 EUR",
      "avg_rating >= 4",
      "avg_rating is null",
      "last_purchase < now - 60d",
      'last_interaction >= "2026-01-31"',
      'first_seen > "2026-01-31T09:00:00+07:00"',
      'name contains "ann"',
      'email = "Ann@Example.com"',
      'phone != "+48123"',
      'country in ["ID", "PL"]',
      'locale not in ["en"]',
      'timezone = "Asia/Jakarta"',
      "source is not null",
      'preferred_channel = "telegram"',
      "loyalty_points > 100",
      'channels contains "email"',
      'skus contains "SKU-1"',
      "attributes.tier_level >= 2",
      'attributes.tier = "gold"',
      'attributes.tier in ["gold", "silver"]',
      'attributes.note contains "vip"',
      "attributes.vip = true",
      "attributes.tier is null",
      "consented(email)",
      "opted_out(telegram)",
      "segment(vip)",
    ];
    expect(issues(all.join(" and "))).toEqual([]);
  });

  it("reports every unknown field, segment and channel at once, suggesting the name meant", () => {
    expect(issues('ordres > 2 or segment(vipp) or consented(emial) or countr = "ID" or xyzzy = 1')).toEqual([
      "1: unknown field 'ordres' — did you mean 'orders'?",
      "23: unknown segment 'vipp' — did you mean 'vip'?",
      "42: unknown channel 'emial' — did you mean 'email'?",
      "52: unknown field 'countr' — did you mean 'country'?",
      "69: unknown field 'xyzzy': expected orders, avg_rating, last_purchase, last_interaction, first_seen, name, email, phone, country, locale, timezone, source, preferred_channel, loyalty_points, loyalty.points, loyalty.tier, channels, skus, tags, rfm.recency, rfm.frequency, rfm.monetary, rfm.segment, first_touch.source, first_touch.medium, first_touch.campaign, responds_on, total_spent, avg_order, opened, clicked, replied, converted or attributes.<key>",
    ]);
  });

  it("says where to define a segment no name is close to", () => {
    expect(issues("segment(gold)")).toEqual(["9: unknown segment 'gold': define it in segments.yaml"]);
    expect(issues("segment(vip)", noSegments("campaigns/segments.yaml"))).toEqual([
      "9: unknown segment 'vip': define it in campaigns/segments.yaml",
    ]);
  });

  it("takes segment names on trust when no segments are given", () => {
    expect(audienceIssues("segment(anything) and orders > 1", undefined)).toEqual([]);
    expect(audienceIssues("segment(anything) and ordres > 1", undefined)).toEqual([
      { col: 23, message: "unknown field 'ordres' — did you mean 'orders'?" },
    ]);
  });

  it.each([
    ['orders > "2"', '10: orders is a number: compare it with a number like 2, not "2"'],
    ["orders > now", "10: orders is a number: compare it with a number like 2, not now"],
    ["loyalty_points = true", "18: loyalty_points is a number: compare it with a number like 2, not true"],
    ['orders in [1, "2"]', '15: orders is a number: compare it with numbers like [1, 2], not "2"'],
    [
      "orders contains 1",
      "8: contains works on text and on the lists channels and skus, but orders is a number: use =, <, <=, > or >=",
    ],
    [
      'last_purchase contains "2026"',
      "15: contains works on text and on the lists channels and skus, but last_purchase is a date: use =, <, <=, > or >=",
    ],
    [
      'last_purchase < "yesterday"',
      '17: "yesterday" is not a date: write a date like "2026-01-31" or "2026-01-31T09:00:00Z", or now - 30d',
    ],
    [
      'last_purchase < "2026-02-30"',
      '17: "2026-02-30" is not a date: write a date like "2026-01-31" or "2026-01-31T09:00:00Z", or now - 30d',
    ],
    [
      'last_purchase < "2026-01-31T09:00:00"',
      '17: "2026-01-31T09:00:00" is not a date: write a date like "2026-01-31" or "2026-01-31T09:00:00Z", or now - 30d',
    ],
    [
      "last_purchase < 5",
      '17: last_purchase is a date: compare it with now - 30d or a date like "2026-01-31", not 5',
    ],
    [
      "last_purchase = now",
      "15: last_purchase is a date: compare it with <, <=, > or >=, like last_purchase < now - 60d",
    ],
    [
      'first_seen in ["2026-01-31"]',
      "12: first_seen is a date: in does not apply; compare it with <, <=, > or >=",
    ],
    ['country < "M"', "9: country is text: use =, !=, in, not in or contains"],
    ["country = 5", '11: country is text: put the value in double quotes, like "5"'],
    ['country in ["ID", 5]', '19: country is text: put the value in double quotes, like "5"'],
    ["name contains 5", '15: contains takes text in double quotes, like "5"'],
    [
      'preferred_channel = "fax"',
      "21: unknown channel 'fax': expected one of telegram, discord, x, email, webchat, whatsapp, sms",
    ],
    ['channels contains "emial"', "19: unknown channel 'emial' — did you mean 'email'?"],
    ['channels = "email"', '10: channels is a list: use channels contains "email"'],
    ['skus in ["A"]', '6: skus is a list: use skus contains "SKU-1", joined with or for several'],
    ["channels is null", "10: channels is a list and never null: use not channels contains …"],
    [
      "total_spent is null",
      "1: total_spent is money: compare it with =, !=, <, <=, > or >=, like total_spent > 100 EUR",
    ],
    ['attributes.tier < "gold"', "17: attributes.tier is text: use =, !=, in, not in or contains"],
    ["attributes.vip > true", "16: attributes.vip is true or false: use = or !="],
    [
      "attributes.since < now",
      "20: attributes.since is compared as a number, text or true/false: now does not apply",
    ],
    [
      'attributes.tier in [1, "a"]',
      '24: attributes.tier in [...] takes numbers or text, all of one kind, like [1, 2] or ["gold", "silver"]; got "a"',
    ],
    [
      "attributes.tier in [true]",
      '21: attributes.tier in [...] takes numbers or text, all of one kind, like [1, 2] or ["gold", "silver"]; got true',
    ],
    ["attributes. = 1", "1: expected a key after attributes., like attributes.tier"],
    [
      "attributes.a.b = 1",
      "1: 'attributes.a.b': an attribute key is one word of letters, digits, _ and -, like attributes.tier",
    ],
    ["attributes = 1", "1: attributes needs a key: attributes.tier reads the attribute tier"],
    [
      "consented(fax)",
      "11: unknown channel 'fax': expected one of telegram, discord, x, email, webchat, whatsapp, sms",
    ],
  ])("refuses %j", (expression, message) => {
    expect(issues(expression)).toEqual([message]);
  });
});

describe("compileAudience", () => {
  it("compiles an audience with named segments expanded", () => {
    const audience = compileAudience('segment(vip) and country = "ID"', NAMED);
    expect(audience.expression).toBe('segment(vip) and country = "ID"');
    expect(audience.condition).toMatchObject({
      kind: "and",
      items: [
        { kind: "number", op: ">=", value: 5 },
        { kind: "text", op: "=", value: "ID" },
      ],
    });
  });

  it("throws every problem as a CampaignSyntaxError at line 1 of 'audience'", () => {
    const attempt = () => compileAudience("ordres > 2 or segment(nope)", NAMED);
    expect(attempt).toThrow(CampaignSyntaxError);
    expect(attempt).toThrow(
      "audience:1:1: unknown field 'ordres' — did you mean 'orders'?\naudience:1:23: unknown segment 'nope': define it in segments.yaml",
    );
  });
});

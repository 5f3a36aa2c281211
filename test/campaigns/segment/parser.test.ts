import { describe, expect, it } from "vitest";
import { type Expr, parseExpression } from "../../../campaigns/segment/index.ts";

function parse(source: string): Expr {
  const result = parseExpression(source);
  if (!result.ok) throw new Error(`${result.issue.col}: ${result.issue.message}`);
  return result.expr;
}

/** The expression's structure in a compact form: what binds to what. */
function shape(expr: Expr): string {
  switch (expr.kind) {
    case "and":
    case "or":
      return `${expr.kind}(${expr.items.map(shape).join(", ")})`;
    case "not":
      return `not(${shape(expr.item)})`;
    case "compare":
      return `${expr.field.name}${expr.op}${expr.value.kind === "now" ? `now${expr.value.offsetMs}` : JSON.stringify(expr.value.value)}`;
    case "in":
      return `${expr.field.name} ${expr.negated ? "not in" : "in"} ${JSON.stringify(expr.values.map((v) => (v.kind === "now" ? "now" : v.value)))}`;
    case "contains":
      return `${expr.field.name} contains ${JSON.stringify(expr.value.kind === "now" ? "now" : expr.value.value)}`;
    case "is_null":
      return `${expr.field.name} is ${expr.negated ? "not " : ""}null`;
    case "segment":
      return `segment(${expr.name})`;
    case "consent":
      return `${expr.status}(${expr.channel})`;
  }
}

function errorOf(source: string): string {
  const result = parseExpression(source);
  if (result.ok) throw new Error(`expected ${source} not to parse`);
  return `${result.issue.col}: ${result.issue.message}`;
}

describe("parseExpression", () => {
  it("parses the design's example", () => {
    expect(shape(parse('segment(vip) or (orders >= 2 and country in ["ID", "PL"])'))).toBe(
      'or(segment(vip), and(orders>=2, country in ["ID","PL"]))',
    );
  });

  it("binds not tighter than and, and and tighter than or", () => {
    expect(shape(parse("not orders > 1 and orders < 5 or segment(a)"))).toBe(
      "or(and(not(orders>1), orders<5), segment(a))",
    );
    expect(shape(parse("segment(a) or segment(b) and not not segment(c)"))).toBe(
      "or(segment(a), and(segment(b), not(not(segment(c)))))",
    );
    expect(shape(parse("not (segment(a) or segment(b))"))).toBe("not(or(segment(a), segment(b)))");
  });

  it("reads keywords in any case", () => {
    expect(shape(parse('NOT country IN ["ID"] AND name Contains "x" Or email IS NOT NULL'))).toBe(
      'or(and(not(country in ["ID"]), name contains "x"), email is not null)',
    );
    expect(shape(parse("Consented(email) and OPTED_OUT(x) and Segment(vip)"))).toBe(
      "and(granted(email), denied(x), segment(vip))",
    );
  });

  it("reads every operator", () => {
    expect(
      shape(
        parse("orders = 1 and orders != 2 and orders < 3 and orders <= 4 and orders > 5 and orders >= 6"),
      ),
    ).toBe("and(orders=1, orders!=2, orders<3, orders<=4, orders>5, orders>=6)");
    expect(shape(parse('country not in ["ID", "PL"] and skus contains "A-1" and country is null'))).toBe(
      'and(country not in ["ID","PL"], skus contains "A-1", country is null)',
    );
  });

  it("reads numbers, negative numbers, text with escapes and booleans", () => {
    expect(shape(parse("total_spent > 99.95 and attributes.balance >= -5"))).toBe(
      "and(total_spent>99.95, attributes.balance>=-5)",
    );
    expect(shape(parse('name = "say \\"hi\\" \\\\ bye"'))).toBe(`name=${JSON.stringify('say "hi" \\ bye')}`);
    expect(shape(parse("attributes.vip = true or attributes.vip = FALSE"))).toBe(
      "or(attributes.vip=true, attributes.vip=false)",
    );
  });

  it("reads now with an offset in every unit, with or without spaces", () => {
    expect(shape(parse("last_purchase < now"))).toBe("last_purchase<now0");
    expect(shape(parse("last_purchase < now - 60d"))).toBe(`last_purchase<now${-60 * 86_400_000}`);
    expect(shape(parse("last_purchase < now-2w"))).toBe(`last_purchase<now${-14 * 86_400_000}`);
    expect(shape(parse("first_seen > NOW + 2h"))).toBe(`first_seen>now${2 * 3_600_000}`);
    expect(shape(parse("first_seen > now - 30m or first_seen > now - 45s"))).toBe(
      `or(first_seen>now${-30 * 60_000}, first_seen>now${-45_000})`,
    );
  });

  it("reads segment names with dashes and attribute keys", () => {
    expect(shape(parse("segment(new-customers) and attributes.vip_level = 2"))).toBe(
      "and(segment(new-customers), attributes.vip_level=2)",
    );
  });

  it("keeps the column of every part", () => {
    const expr = parse('  country in ["ID"]');
    expect(expr).toMatchObject({ kind: "in", field: { col: 3 }, opCol: 11, values: [{ col: 15 }] });
  });

  it.each([
    ["", "1: expected a condition, like orders >= 2, segment(vip) or consented(email)"],
    ["orders <", '9: expected a value after "<", like 60 or now - 30d'],
    ["orders < and", '10: expected a value after "<", like 60 or now - 30d, got "and"'],
    ["orders =", '9: expected a value after "=", like 2, "ID" or true'],
    ["name contains", '14: expected a value after "contains", like "gmail.com"'],
    [
      "country = ID",
      '11: expected a value after "=", like 2, "ID" or true, got ID: put text in double quotes, like "ID"',
    ],
    ["country = null", '11: null only goes in "is null" and "is not null", like country is null'],
    ["orders > 30d", "10: a duration like 30d goes after now - or now +: write now - 30d"],
    [
      "orders > 2and",
      '10: "2and" is neither a number nor a duration: put a space after 2, or write a duration as a whole number and one unit s, m, h, d or w, like 30d',
    ],
    ["orders > 2.", '11: expected digits after "2.", like 2.5'],
    ["last_purchase < now - 30", '23: 30 needs a unit: write 30d (or s, m, h, w) after "now -"'],
    ["last_purchase < now -", '22: expected a duration after "now -", like 30d or 2h'],
    ['last_purchase < now + "x"', '23: expected a duration after "now +", like 30d or 2h, got "\\"x\\""'],
    [
      "last_purchase < now - 3y",
      '23: "3y" is neither a number nor a duration: put a space after 3, or write a duration as a whole number and one unit s, m, h, d or w, like 30d',
    ],
    ["orders", "7: expected an operator after orders: =, !=, <, <=, >, >=, in, not in, contains or is null"],
    [
      "orders 2",
      '8: expected an operator after orders: =, !=, <, <=, >, >=, in, not in, contains or is null, got "2"',
    ],
    ["orders == 2", "8: use = to compare, not =="],
    ["orders <> 2", "8: use != for 'not equal'"],
    ["orders > 1 && orders < 3", "12: use and instead of &&"],
    ["orders > 1 || orders < 3", "12: use or instead of ||"],
    ["!consented(email)", "1: use not instead of !, or != for 'not equal'"],
    ["name = 'Ann'", '8: put text in double quotes, like "ID"'],
    ["orders > 2 %", '12: unexpected character "%"'],
    ['name = "Ann', '8: text is missing its closing ": add " at its end'],
    ['name = "a\\nb"', '10: unknown escape \\n in text: only \\" and \\\\ are allowed'],
    ["orders > 2 country = 1", '12: expected and or or between conditions, got "country"'],
    ["orders > 2)", '11: unmatched ")": remove it, or add the ( it closes'],
    ["(orders > 2 or segment(a)", "26: expected ) to close the ( at column 1"],
    ["((orders > 2) and (orders < 3)", "31: expected ) to close the ( at column 1"],
    [
      "orders > 2 and",
      '15: expected a condition after "and", like orders >= 2, segment(vip) or consented(email)',
    ],
    ["not", '4: expected a condition after "not", like orders >= 2, segment(vip) or consented(email)'],
    [
      "and orders > 2",
      '1: expected a condition, like orders >= 2, segment(vip) or consented(email), got "and"',
    ],
    [
      "orders > 2 or )",
      '15: expected a condition after "or", like orders >= 2, segment(vip) or consented(email), got ")"',
    ],
    ['country in "ID"', '12: expected a list after in, like ["ID", "PL"], got "\\"ID\\""'],
    ['country not in "ID"', '16: expected a list after not in, like ["ID", "PL"], got "\\"ID\\""'],
    ["country in []", '13: the list is empty: put at least one value in [ ], like ["ID"]'],
    ['country in ["ID" "PL"]', '18: expected , or ] after a value in the list, got "\\"PL\\""'],
    ['country in ["ID",]', '18: expected a value after ",", like "ID" or 2, got "]"'],
    ['country in ["ID"', "17: expected , or ] after a value in the list"],
    [
      "orders not > 2",
      '12: expected in after not, as in orders not in [...]; to negate a condition put not before it: not orders = ..., got ">"',
    ],
    ["email is", '9: expected null after "is", as in email is null'],
    ["email is not empty", '14: expected null after "is not", as in email is not null, got "empty"'],
    ["segment vip", '9: expected ( after segment, like segment(vip), got "vip"'],
    ["segment()", '9: expected a segment name in segment( ), like segment(vip), got ")"'],
    ["segment(vip", "12: expected ) after segment(vip"],
    [
      'consented("email")',
      '11: expected a channel in consented( ), like consented(email), got "\\"email\\""',
    ],
    ["opted_out(email", "16: expected ) after opted_out(email"],
    ["consentd(email)", "1: unknown function 'consentd' — did you mean 'consented'?"],
    ["frobnicate(x)", "1: unknown function 'frobnicate': expected segment(…), consented(…) or opted_out(…)"],
  ])("reports %j at its column", (source, message) => {
    expect(errorOf(source)).toBe(message);
  });
});

describe("parseExpression limits", () => {
  it("refuses nesting past 32 levels of parentheses or not at the first level too deep, without overflowing", () => {
    const deep = (n: number) => `${"(".repeat(n)}orders > 1${")".repeat(n)}`;
    expect(parse(deep(32))).toMatchObject({ kind: "compare", field: { name: "orders", col: 33 } });
    expect(errorOf(deep(33))).toBe(
      "33: nested deeper than 32 levels of parentheses and not: write it flatter, as conditions joined by and / or",
    );
    expect(errorOf(deep(2_000))).toMatch(/^33: nested deeper than 32 levels/);
    expect(errorOf(`${"not ".repeat(40)}orders > 1`)).toMatch(/^129: nested deeper than 32 levels/);
  });

  it("refuses an expression of more than 5 000 words, values and symbols at the first one past", () => {
    const list = (n: number) => `country in [${new Array(n).fill('"ID"').join(", ")}]`;
    // country, in, [, n values, n - 1 commas, ]
    expect(parse(list(2_498)).kind).toBe("in");
    const long = list(100_000);
    const message = errorOf(long);
    expect(message).toMatch(/: longer than 5000 words, values and symbols: split it into named segments/);
    // token 5 001 is the comma after value 2 498 (0-based)
    expect(Number(message.split(":")[0])).toBe(long.indexOf('"ID"') + 2_498 * 6 + 4 + 1);
  });
});

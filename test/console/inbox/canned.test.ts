import { describe, expect, it } from "vitest";
import { fillPlaceholders, unfilledPlaceholders } from "../../../console/inbox/canned.ts";

const values = { customerName: "Siti Rahma", brand: "Toko Rapport", agentName: "Ayu Lestari" };

describe("fillPlaceholders", () => {
  it("fills the customer's name and first name, the brand and the agent's name", () => {
    expect(
      fillPlaceholders(
        "Hi {{customer.firstName}} ({{ customer.name }}), {{agent.firstName}} of {{brand}} here. — {{agent.name}}",
        values,
      ),
    ).toEqual({ text: "Hi Siti (Siti Rahma), Ayu of Toko Rapport here. — Ayu Lestari", empty: [] });
  });

  it("leaves an unknown placeholder as written, so it is seen before sending", () => {
    expect(fillPlaceholders("Your code: {{coupon.code}}", values).text).toBe("Your code: {{coupon.code}}");
  });

  it("never fills a placeholder with nothing: without a name it stays as written and is named as empty", () => {
    expect(
      fillPlaceholders("Dzień dobry {{customer.firstName}},", { ...values, customerName: null }),
    ).toEqual({
      text: "Dzień dobry {{customer.firstName}},",
      empty: ["{{customer.firstName}}"],
    });
    expect(fillPlaceholders("Hi {{customer.name}}!", { ...values, customerName: "   " }).empty).toEqual([
      "{{customer.name}}",
    ]);
  });

  it("takes a placeholder's fallback when the customer has no value, and the value when there is one", () => {
    const body = 'Dzień dobry {{default customer.firstName "Państwo"}},';
    expect(fillPlaceholders(body, { ...values, customerName: null })).toEqual({
      text: "Dzień dobry Państwo,",
      empty: [],
    });
    expect(fillPlaceholders(body, values).text).toBe("Dzień dobry Siti,");
  });
});

describe("unfilledPlaceholders", () => {
  it("finds the known placeholders left in a reply, with or without a fallback, and nothing else", () => {
    expect(
      unfilledPlaceholders(
        'Hi {{customer.firstName}}, {{default agent.name "us"}} and {{customer.firstName}}',
      ),
    ).toEqual(["{{customer.firstName}}", '{{default agent.name "us"}}']);
    expect(unfilledPlaceholders("Hi Siti, your code is {{coupon.code}} {not a placeholder}")).toEqual([]);
  });
});

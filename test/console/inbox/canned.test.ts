import { describe, expect, it } from "vitest";
import { fillPlaceholders } from "../../../console/inbox/canned.ts";

const values = { customerName: "Siti Rahma", brand: "Toko Rapport", agentName: "Ayu Lestari" };

describe("fillPlaceholders", () => {
  it("fills the customer's name and first name, the brand and the agent's name", () => {
    expect(
      fillPlaceholders(
        "Hi {{customer.firstName}} ({{ customer.name }}), {{agent.firstName}} of {{brand}} here. — {{agent.name}}",
        values,
      ),
    ).toBe("Hi Siti (Siti Rahma), Ayu of Toko Rapport here. — Ayu Lestari");
  });

  it("leaves an unknown placeholder as written, so it is seen before sending", () => {
    expect(fillPlaceholders("Your code: {{coupon.code}}", values)).toBe("Your code: {{coupon.code}}");
  });

  it("fills a customer without a name with nothing", () => {
    expect(fillPlaceholders("Hi {{customer.firstName}}!", { ...values, customerName: null })).toBe("Hi !");
  });
});

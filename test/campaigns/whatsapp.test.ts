import { describe, expect, it } from "vitest";
import { compileCampaign, compileConsentPolicy, consentMode } from "../../campaigns/index.ts";
import { issuesOf } from "./compile-errors.ts";

const campaign = (message: string, channels = "[email, whatsapp]") =>
  `id: wa\nname: WhatsApp offer\ntrigger: { event: purchase }\nchannels: ${channels}\nmessage:\n${message}\n`;

describe("campaigns on WhatsApp", () => {
  it("refuses a WhatsApp campaign without an approved template, at the channel's position", () => {
    expect(issuesOf(campaign("  template: thank-you"), "campaigns/wa.yaml")).toEqual([
      expect.stringMatching(
        /^4:19 channels\[1\]: WhatsApp sends campaign messages only as templates Meta approved: add message\.whatsapp_template/,
      ),
    ]);
  });

  it("compiles the template's name, language per locale and parameters", () => {
    const compiled = compileCampaign(
      campaign(
        [
          "  template: thank-you",
          "  whatsapp_template:",
          "    name: winback_offer",
          "    language: { en: en_US, id: id, pl: pl }",
          '    params: ["{{customer.name}}", "{{coupon}}"]',
        ].join("\n"),
      ),
      "campaigns/wa.yaml",
    );
    expect(compiled.message.whatsapp_template).toEqual({
      name: "winback_offer",
      language: { en: "en_US", id: "id", pl: "pl" },
      params: ["{{customer.name}}", "{{coupon}}"],
    });
  });

  it("says where a template is written wrong", () => {
    const issues = issuesOf(
      campaign(
        [
          "  template: thank-you",
          "  whatsapp_template: { name: Winback Offer, language: { en: en_US } }",
        ].join("\n"),
      ),
    );
    expect(issues).toEqual([
      expect.stringMatching(
        /^7:30 message\.whatsapp_template\.name: expected the approved template's name: lowercase letters/,
      ),
    ]);
  });

  it("keeps WhatsApp opt-in whatever consent.yaml says, and says so when it asks for opt-out", () => {
    const lax = compileConsentPolicy("default: opt-out\n", "campaigns/consent.yaml");
    expect(lax.issues).toEqual([]);
    expect(consentMode(lax.policy, "email", "ID")).toBe("opt-out");
    expect(consentMode(lax.policy, "whatsapp", "ID")).toBe("opt-in");
    const wrong = compileConsentPolicy("channels:\n  whatsapp: opt-out\n", "campaigns/consent.yaml");
    expect(wrong.issues.map((i) => `${i.line}:${i.col} ${i.message}`)).toEqual([
      expect.stringMatching(
        /^2:13 channels\.whatsapp: whatsapp allows marketing only to customers who opted in/,
      ),
    ]);
  });
});

import { describe, expect, it } from "vitest";
import type { Channel } from "../../bots/channel.ts";
import { compileCampaign } from "../../campaigns/index.ts";
import { createTemplateStore } from "../../templates/index.ts";
import { variantMessages } from "../../workers/message-data.ts";
import { renderDelivery } from "../../workers/render.ts";
import { issuesOf } from "./compile-errors.ts";

const campaign = (limits: string) =>
  [
    "id: sms-promo",
    "name: SMS promo",
    "trigger: { event: { type: purchase } }",
    "channels: [sms]",
    "message: { template: thank-you }",
    `limits: ${limits}`,
  ].join("\n");

describe("limits.max_segments (SMS)", () => {
  it("compiles into the campaign's limits and travels with every message to the SMS channel", () => {
    const compiled = compileCampaign(campaign("{ max_segments: 2 }"), "sms.yaml");
    expect(compiled.limits).toEqual({ oncePerCustomer: false, maxSegments: 2 });
    const [message] = variantMessages(compiled);
    expect(message!.data.max_segments).toBe(2);
    // rendered for the SMS channel, the limit goes on the message it sends
    const sms: Channel = {
      name: "sms",
      limit: { max: 1, durationMs: 1_000 },
      send: async () => ({ providerId: "SM1" }),
    };
    const rendered = renderDelivery(
      { templates: createTemplateStore(), publicUrl: "https://crm.shop.test", unsubscribeSecret: "s" },
      sms,
      {
        id: "00000000-0000-4000-8000-000000000001",
        kind: "marketing",
        channel: "sms",
        customerId: "00000000-0000-4000-8000-000000000002",
        template: message!.template,
        locale: "en",
        data: {
          ...message!.data,
          brand: { name: "Rapport Shop" },
          order: { id: "SMS-1", items: [], total: "150000", currency: "IDR" },
          customer: {},
        },
        recipient: "+6281277780001",
        customer: { timezone: "Asia/Jakarta" },
      },
    );
    expect(rendered.maxSegments).toBe(2);
  });

  it("refuses a count that is not 1 to 10 at its position", () => {
    expect(issuesOf(campaign("{ max_segments: 0 }"))[0]).toMatch(/^6:\d+ limits\.max_segments: /);
    expect(issuesOf(campaign("{ max_segments: 11 }"))[0]).toMatch(/^6:\d+ limits\.max_segments: /);
  });
});

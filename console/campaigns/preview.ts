import type { SendingChannelName } from "../../lib/channels.ts";
import { type PreviewResult, previewMessage } from "../../workers/index.ts";
import type { ConsoleDeps } from "../deps.ts";

/** A preview, or why the console cannot render one (no template store or link secret was given). */
export type ConsolePreview = PreviewResult | { kind: "unavailable" };

/**
 * A shipped campaign's message as one customer would get it (workers/preview.ts: channel, variant, locale,
 * data, unsubscribe link), rendered and sent nowhere.
 */
export async function previewForCustomer(
  deps: ConsoleDeps,
  campaignId: string,
  customerId: string,
  channel?: SendingChannelName,
): Promise<ConsolePreview> {
  if (!deps.templates || !deps.linkSecret) return { kind: "unavailable" };
  return previewMessage(
    deps.db,
    {
      templates: deps.templates,
      publicUrl: deps.publicUrl,
      unsubscribeSecret: deps.linkSecret,
      brand: { name: deps.brandName, ...(deps.brandUrl && { url: deps.brandUrl }) },
      clock: deps.clock,
      ...(deps.audiences && { audiences: deps.audiences }),
    },
    campaignId,
    customerId,
    channel ? { channel } : {},
  );
}

import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { Locale, SendingChannelName } from "../../lib/channels.ts";
import type { MessagePreview } from "../../workers/index.ts";
import { recordAudit } from "../auth/audit.ts";
import type { ConsoleDeps } from "../deps.ts";
import { t } from "../i18n.ts";
import { type ConsolePreview, previewForCustomer } from "./preview.ts";

/** Tests one staff member may send in {@link TEST_WINDOW_MS}. */
export const TESTS_PER_WINDOW = 5;
/** The window of {@link TESTS_PER_WINDOW}: ten minutes. */
export const TEST_WINDOW_MS = 10 * 60_000;

/** What "Send me a test" did, or why it sent nothing. */
export type TestSendResult =
  /** `textOnly`: the campaign has no email version for this customer; the test carries that channel's text. */
  | { kind: "sent"; to: string; providerId: string; textOnly: SendingChannelName | null }
  /** The staff account's address cannot receive email. */
  | { kind: "no_email"; email: string }
  /** The provider refused the email or did not answer. */
  | { kind: "failed"; message: string }
  | Exclude<ConsolePreview, MessagePreview>;

const EMAIL = z.email();

/**
 * Renders a shipped campaign's message for one customer (the preview's own rendering: channel email, their
 * variant, locale and data) and sends it to the signed-in staff member's own address through the email
 * channel (`deps.sendEmail`: Resend, or the outbox), with the subject after "[Test]" in the staff member's
 * language. No Delivery is written, so nothing reaches the customer and the campaign's results and stats
 * stay as they were; the unsubscribe link is replaced by the console's preview of the customer, so clicking
 * it in the test never opts the customer out. Audited as `campaign.test_send`.
 */
export async function sendTestMessage(
  deps: ConsoleDeps,
  campaignId: string,
  customerId: string,
  staff: { id: string; email: string; locale: Locale },
): Promise<TestSendResult> {
  if (!deps.sendEmail) return { kind: "unavailable" };
  if (!EMAIL.safeParse(staff.email).success) return { kind: "no_email", email: staff.email };
  let preview = await previewForCustomer(deps, campaignId, customerId, "email");
  let textOnly: SendingChannelName | null = null;
  if (preview.kind === "render_error" && preview.cause === "no_template") {
    // a chat-only campaign: its message for the channel the customer would get it on, as plain text
    const own = await previewForCustomer(deps, campaignId, customerId);
    if (own.kind === "preview") {
      preview = own;
      textOnly = own.channel;
    }
  }
  if (preview.kind !== "preview") return preview;
  const safe = withoutUnsubscribe(preview, deps.publicUrl);
  const subject = `${t(staff.locale, "campaigns.test.subjectPrefix")} ${preview.subject ?? preview.campaign.name}`;
  const id = randomUUID();
  let providerId: string;
  try {
    ({ providerId } = await deps.sendEmail({
      id,
      to: staff.email,
      subject,
      text: safe.text,
      ...(textOnly === null && safe.html !== undefined && { html: safe.html }),
    }));
  } catch (error) {
    deps.log.warn({ err: error, campaignId, customerId }, "test email not sent");
    return { kind: "failed", message: error instanceof Error ? error.message : String(error) };
  }
  await recordAudit(deps.db, {
    staffUserId: staff.id,
    action: "campaign.test_send",
    targetType: "Campaign",
    targetId: campaignId,
    data: { customerId, to: staff.email, providerId, channel: preview.channel, variant: preview.variant },
    at: new Date(deps.clock.now()),
  });
  return { kind: "sent", to: staff.email, providerId, textOnly };
}

/** The message with its working unsubscribe link (it would opt the customer out) pointing at the preview instead. */
function withoutUnsubscribe(preview: MessagePreview, publicUrl: string): { text: string; html?: string } {
  const link = preview.unsubscribeUrl;
  if (!link) return { text: preview.text, ...(preview.html !== undefined && { html: preview.html }) };
  const base = publicUrl.replace(/\/+$/, "");
  const instead = `${base}/console/campaigns/${encodeURIComponent(preview.campaign.id)}/preview?customer=${preview.customer.id}`;
  const swap = (s: string) => s.split(link).join(instead);
  const html = preview.html?.split(link).join(instead.replaceAll("&", "&amp;"));
  return { text: swap(preview.text), ...(html !== undefined && { html }) };
}

/** What the preview page is told after a test: `sent`, or why not. */
export const TEST_OUTCOMES = ["sent", "no_email", "unavailable", "failed", "throttled"] as const;

/** The preview page's line about a test: a notice when it was sent, an alert otherwise. */
export function testOutcomeText(
  outcome: (typeof TEST_OUTCOMES)[number],
  locale: Locale,
  about: { email: string; textOnly?: SendingChannelName | undefined; when?: string | undefined },
): { notice: string } | { alert: string } {
  switch (outcome) {
    case "sent": {
      const sent = t(locale, "campaigns.test.sent", { email: about.email });
      if (!about.textOnly) return { notice: sent };
      const channel = t(locale, `customers.channel.${about.textOnly}`);
      return { notice: `${sent} ${t(locale, "campaigns.test.textOnly", { channel })}` };
    }
    case "no_email":
      return { alert: t(locale, "campaigns.test.noEmail", { email: about.email }) };
    case "unavailable":
      return { alert: t(locale, "campaigns.test.unavailable") };
    case "failed":
      return { alert: t(locale, "campaigns.test.failed") };
    case "throttled":
      return { alert: t(locale, "campaigns.test.throttled", { when: about.when ?? "" }) };
  }
}

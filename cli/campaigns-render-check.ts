/**
 * `rapport campaigns validate` renders every message a campaign can send, for every channel it lists and every
 * locale, twice: with the template's own sample data (templates/<name>/sample.yaml), which finds a typo such
 * as `{{order.idd}}` at the template's file:line:col; and with the data the campaign's trigger really gives
 * (buildTemplateData, as the planner builds it: a purchase trigger gives `order`, a schedule none), which finds
 * a template that needs data the campaign does not have. Both would otherwise fail every delivery at send time.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import type { CompiledCampaign } from "../campaigns/index.ts";
import { LOCALES } from "../lib/channels.ts";
import { type CampaignIssue, TemplateError } from "../lib/errors.ts";
import { variantMessages } from "../workers/message-data.ts";
import { previewChannel } from "../workers/preview.ts";
import { renderDelivery } from "../workers/render.ts";
import { buildTemplateData, type TemplateEvent } from "../workers/template-data.ts";
import { yamlPositions } from "./campaigns-positions.ts";
import { channelsOf, type TemplateFolder } from "./campaigns-templates.ts";

/** A purchase as the planner hands it to templates: what a `purchase` trigger's message can print. */
const SAMPLE_PURCHASE: TemplateEvent = {
  id: "00000000-0000-4000-8000-000000000001",
  type: "purchase",
  externalId: "1001",
  value: "49.90",
  currency: "EUR",
  occurredAt: new Date("2026-01-15T10:00:00Z"),
  properties: {},
  purchases: [{ sku: "SKU-1", name: "Sample item", quantity: 1, unitPrice: "49.90" }],
};

/** What each kind of trigger gives the message: the event (and order) only an event trigger has. */
function triggerEvent(campaign: CompiledCampaign): TemplateEvent | undefined {
  const trigger = campaign.trigger;
  if (trigger.kind !== "event") return undefined;
  return trigger.event === "purchase"
    ? SAMPLE_PURCHASE
    : { ...SAMPLE_PURCHASE, type: trigger.event, value: null, currency: null, purchases: [] };
}

/** The sample data of a template folder, or undefined when it has none (or it is not a YAML map). */
function sampleOf(templates: TemplateFolder, name: string): Record<string, unknown> | undefined {
  if (!templates.dir) return undefined;
  try {
    const parsed = parseYaml(readFileSync(path.join(templates.dir, name, "sample.yaml"), "utf8"));
    return parsed && typeof parsed === "object" && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The data without its undefined fields: a field the planner may leave out (a customer's name) must be absent for
 * the strict render to notice a template printing it outside `{{#if}}` (an undefined one prints as "").
 */
function definedOnly(value: Record<string, unknown>): Record<string, unknown> {
  const strip = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(strip)
      : v && typeof v === "object" && !(v instanceof Date)
        ? Object.fromEntries(
            Object.entries(v)
              .filter(([, inner]) => inner !== undefined)
              .map(([key, inner]) => [key, strip(inner)]),
          )
        : v;
  return strip(value) as Record<string, unknown>;
}

/** The trigger as a message names it: "this campaign's inactive trigger". */
function triggerName(campaign: CompiledCampaign): string {
  const trigger = campaign.trigger;
  return `this campaign's ${trigger.kind === "event" ? `${trigger.event} event` : trigger.kind} trigger`;
}

/** Which trigger would give a missing expression, when one would. */
function provider(expression: string): string {
  const root = expression.split(".")[0];
  if (root === "order") return "only a purchase event trigger gives an order; ";
  if (root === "event") return "only an event trigger gives an event; ";
  return "";
}

/** The column of `{{expression` on a template file's line (1-based), or 1. */
function columnOf(error: TemplateError): number {
  const expression = /^\{\{([^}]+)\}\}/.exec(error.reason)?.[1];
  if (!error.file || !error.line || !expression) return 1;
  try {
    const line = readFileSync(error.file, "utf8").split("\n")[error.line - 1] ?? "";
    const at = line.search(new RegExp(`\\{\\{[~#]?\\s*${expression.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
    return at >= 0 ? at + 1 : 1;
  } catch {
    return 1;
  }
}

/**
 * Problems rendering the messages of a compiled campaign whose templates exist: see the module's comment. Each
 * template fault is reported once, however many channels and locales share it.
 */
export function renderIssues(
  campaign: CompiledCampaign,
  source: string,
  file: string,
  templates: TemplateFolder,
): CampaignIssue[] {
  const channels = channelsOf(campaign);
  const at = yamlPositions(source);
  const seen = new Set<string>();
  const issues: CampaignIssue[] = [];
  const event = triggerEvent(campaign);
  const messages = variantMessages(campaign);
  for (const [index, message] of messages.entries()) {
    const coupons = Object.fromEntries(message.coupons.map((slot) => [slot.key, `${slot.prefix}-CODE`]));
    const sample = sampleOf(templates, message.template);
    const given = definedOnly(
      buildTemplateData({
        data: {
          ...message.data,
          ...coupons,
          ...(Number(message.data.valid_days) > 0 && { validUntil: "2026-01-31T22:59:59.000Z" }),
        },
        // no name, no email: a template must print them inside {{#if}}, as many customers have neither
        customer: { name: null, email: null, locale: "en" },
        brand: { name: "Brand" },
        event,
      }),
    );
    // variantMessages lists the variants in their order: a variant with a template of its own is named there
    const own = message.variant !== null && campaign.variants?.[index]?.template !== undefined;
    const position = at(own ? ["variants", index, "template"] : ["message", "template"]);
    for (const channel of channels) {
      for (const locale of LOCALES) {
        const render = (data: Record<string, unknown>) =>
          renderDelivery(
            { templates: templates.store, publicUrl: "https://example.com", unsubscribeSecret: "validate" },
            previewChannel(channel),
            {
              id: "00000000-0000-4000-8000-000000000003",
              kind: campaign.kind,
              channel,
              customerId: "00000000-0000-4000-8000-000000000002",
              template: message.template,
              locale,
              data,
              recipient: null,
              customer: { timezone: "UTC" },
            },
          );
        const fault = (data: Record<string, unknown>) => {
          try {
            render(data);
            return undefined;
          } catch (error) {
            if (error instanceof TemplateError) return error;
            throw error;
          }
        };
        const typo = sample ? fault(sample) : undefined;
        if (typo) {
          const key = `sample ${typo.message}`; // once, whatever the channel and locale
          if (seen.has(key)) continue;
          seen.add(key);
          issues.push({
            file: typo.file ?? file,
            line: typo.line ?? 1,
            col: columnOf(typo),
            message: `${typo.reason} (rendered with ${templates.display}/${message.template}/sample.yaml)`,
          });
          continue;
        }
        const missing = fault(given);
        if (!missing) continue;
        // one issue per printed expression the trigger lacks, however many channels and locales print it
        const expression = /^\{\{([^}]+)\}\}/.exec(missing.reason)?.[1];
        const key = `given ${message.template} ${expression ?? missing.reason}`;
        if (seen.has(key)) continue;
        seen.add(key);
        issues.push({
          file,
          ...position,
          message: expression
            ? `template '${message.template}' prints {{${expression}}}, which ${triggerName(campaign)} does not give` +
              ` (${provider(expression)}printed at ${missing.file ?? message.template}:${missing.line ?? 1}): ` +
              `print it inside {{#if ${expression}}}…{{/if}}, or use another template or trigger`
            : `template '${message.template}' cannot be rendered for ${channel} in ${locale} with what ` +
              `${triggerName(campaign)} gives: ${missing.reason}`,
        });
      }
    }
  }
  return issues;
}

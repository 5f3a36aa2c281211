import { readFile } from "node:fs/promises";
import { isMap, isScalar, LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { SENDING_CHANNEL_NAMES, type SendingChannelName } from "../lib/channels.ts";
import type { CampaignIssue } from "../lib/errors.ts";
import { expected } from "./expected.ts";
import { campaignIssues, KnownKeys } from "./issues.ts";
import { positionOf } from "./positions.ts";
import { yamlIssues } from "./yaml-issues.ts";

/**
 * How marketing on a channel is allowed: `opt-in` needs the customer's `granted` consent (GDPR, Poland's
 * electronic-communications law, Indonesia's personal data protection law); `opt-out` is allowed until the
 * customer refuses.
 */
export type ConsentMode = "opt-in" | "opt-out";

/** An installation's consent policy (campaigns/consent.yaml), compiled. */
export interface ConsentPolicy {
  /** Every channel, unless a channel or country says otherwise. */
  default: ConsentMode;
  channels: Partial<Record<SendingChannelName, ConsentMode>>;
  /** By ISO 3166-1 alpha-2 country of the customer (upper case): overrides the above. */
  countries: Record<
    string,
    { default?: ConsentMode; channels?: Partial<Record<SendingChannelName, ConsentMode>> }
  >;
}

/** Without a consent.yaml: opt-in on every channel, everywhere. */
export const DEFAULT_CONSENT_POLICY: ConsentPolicy = Object.freeze({
  default: "opt-in",
  channels: {},
  countries: {},
});

/**
 * Channels whose own rules allow marketing only with the customer's opt-in, whatever consent.yaml says:
 * WhatsApp (Meta's Business Messaging Policy: only people who opted in to get your messages there).
 */
export const OPT_IN_ONLY: readonly SendingChannelName[] = ["whatsapp"];

const Mode = z.enum(["opt-in", "opt-out"], { error: expected("opt-in or opt-out") });
const Channels = z
  .partialRecord(z.enum(SENDING_CHANNEL_NAMES), Mode, {
    error: expected(`a map of channels (${SENDING_CHANNEL_NAMES.join(", ")}) to opt-in or opt-out`),
  })
  .superRefine((channels, ctx) => {
    for (const channel of OPT_IN_ONLY) {
      if (channels[channel] === "opt-out")
        ctx.addIssue({
          code: "custom",
          path: [channel],
          message: `${channel} allows marketing only to customers who opted in (Meta's Business Messaging Policy): remove ${channel}: opt-out`,
        });
    }
  });
const CountryRules = z.strictObject(
  { default: Mode.optional(), channels: Channels.optional() },
  { error: expected("a map with default and/or channels") },
);
const PolicyFile = z.strictObject(
  {
    default: Mode.optional(),
    channels: Channels.optional(),
    countries: z
      .record(
        z.string().regex(/^[A-Za-z]{2}$/, { error: "expected a two-letter country code like PL" }),
        CountryRules,
      )
      .optional(),
  },
  { error: expected("a map with default, channels and countries") },
);

/**
 * Compiles the text of a consent.yaml:
 * ```yaml
 * default: opt-in            # every channel (the default)
 * channels:
 *   telegram: opt-out        # a chat the customer started
 * countries:
 *   US:
 *     channels: { email: opt-out }
 * ```
 * @returns the policy (the default one when the file has problems) and every problem at file:line:col.
 */
export function compileConsentPolicy(
  source: string,
  file: string,
): { policy: ConsentPolicy; issues: CampaignIssue[] } {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false });
  const issues = yamlIssues(doc, lines, file);
  if (issues.length > 0) return { policy: DEFAULT_CONSENT_POLICY, issues };
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null))
    return { policy: DEFAULT_CONSENT_POLICY, issues };
  if (!isMap(root)) {
    const message = "expected a map with default, channels and countries, like default: opt-in";
    return { policy: DEFAULT_CONSENT_POLICY, issues: [{ file, ...positionOf(root, lines), message }] };
  }
  const known = new KnownKeys();
  const result = PolicyFile.safeParse(doc.toJS({ maxAliasCount: 100 }), { error: known.errorMap });
  if (!result.success) {
    return {
      policy: DEFAULT_CONSENT_POLICY,
      issues: campaignIssues(result.error.issues, doc, lines, file, known, false),
    };
  }
  const data = result.data;
  return {
    policy: {
      default: data.default ?? "opt-in",
      channels: { ...data.channels },
      countries: Object.fromEntries(
        Object.entries(data.countries ?? {}).map(([code, rules]) => [
          code.toUpperCase(),
          { ...(rules.default && { default: rules.default }), channels: { ...rules.channels } },
        ]),
      ),
    },
    issues,
  };
}

/** Reads a consent.yaml; a missing file is the default policy. Problems are returned, never thrown. */
export async function loadConsentPolicy(
  file: string,
): Promise<{ policy: ConsentPolicy; issues: CampaignIssue[] }> {
  let source: string;
  try {
    source = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT")
      return { policy: DEFAULT_CONSENT_POLICY, issues: [] };
    const message = `cannot read the file: ${(error as Error).message}`;
    return { policy: DEFAULT_CONSENT_POLICY, issues: [{ file, line: 1, col: 1, message }] };
  }
  return compileConsentPolicy(source, file);
}

/** The mode that applies to a customer of `country` (any case, or none) on `channel`. */
export function consentMode(
  policy: ConsentPolicy | undefined,
  channel: SendingChannelName,
  country: string | null | undefined,
): ConsentMode {
  if (OPT_IN_ONLY.includes(channel)) return "opt-in";
  const p = policy ?? DEFAULT_CONSENT_POLICY;
  const local = country ? p.countries[country.toUpperCase()] : undefined;
  return local?.channels?.[channel] ?? local?.default ?? p.channels[channel] ?? p.default;
}

/**
 * Whether marketing may go to a customer on a channel: under `opt-in` only with `granted` consent, under
 * `opt-out` unless `denied`. (Suppressions are checked apart.)
 */
export function marketingAllowed(
  policy: ConsentPolicy | undefined,
  channel: SendingChannelName,
  country: string | null | undefined,
  status: string | undefined,
): boolean {
  if (status === "denied") return false;
  return consentMode(policy, channel, country) === "opt-out" || status === "granted";
}

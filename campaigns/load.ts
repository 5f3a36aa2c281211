import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { LineCounter, parseDocument } from "yaml";
import { type CampaignIssue, CampaignSyntaxError, formatPosition } from "../lib/errors.ts";
import { compileCampaign } from "./compile.ts";
import { type ConsentPolicy, loadConsentPolicy } from "./consent-policy.ts";
import { type LoyaltyRules, loadLoyaltyRules } from "./loyalty.ts";
import { locate, positionOf } from "./positions.ts";
import type { CompiledCampaign } from "./schema.ts";
import {
  compileSegments,
  DEFAULT_BASE_CURRENCY,
  loadCurrencies,
  type MoneyContext,
  noSegments,
  type Segments,
} from "./segment/index.ts";

/** What {@link loadCampaigns} found: the campaigns that compiled, and every problem of the others. */
export interface LoadedCampaigns {
  campaigns: CompiledCampaign[];
  errors: CampaignIssue[];
  /** The named segments of the folder's segments.yaml (none without one); those that do not compile are left out. */
  segments: Segments;
  /** The folder's consent.yaml (opt-in on every channel without one, or when it has problems). */
  consent: ConsentPolicy;
  /** The folder's loyalty.yaml; undefined without one or when it has problems (then nothing earns). */
  loyalty: LoyaltyRules | undefined;
}

/** Files in the campaigns folder that are not campaigns: the named segments. */
const SEGMENT_FILES = ["segments.yaml", "segments.yml"];
/** The installation's consent policy: not a campaign either. */
const CONSENT_FILES = ["consent.yaml", "consent.yml"];
/** The exchange rates of money segments: not a campaign either. */
const CURRENCY_FILES = ["currencies.yaml", "currencies.yml"];
/** The loyalty programme: not a campaign either. */
const LOYALTY_FILES = ["loyalty.yaml", "loyalty.yml"];

/** A file's text, or undefined when it cannot be read (reported in `errors` at its line 1). */
async function readSource(file: string, errors: CampaignIssue[]): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    errors.push({ file, line: 1, col: 1, message: `cannot read the file: ${(error as Error).message}` });
    return undefined;
  }
}

/** The folder's segments.yaml (or .yml), compiled; problems go to `errors`. */
async function folderSegments(
  dir: string,
  names: string[],
  errors: CampaignIssue[],
  money: MoneyContext,
): Promise<Segments> {
  const name = SEGMENT_FILES.find((n) => names.includes(n));
  if (name === undefined) return noSegments(join(dir, SEGMENT_FILES[0]!), money);
  const file = join(dir, name);
  const source = await readSource(file, errors);
  if (source === undefined) return noSegments(file, money);
  const { segments, issues } = compileSegments(source, file, money);
  errors.push(...issues);
  return segments;
}

function idPosition(source: string, file: string): CampaignIssue {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines });
  return { file, ...positionOf(locate(doc, ["id"]).node, lines), message: "" };
}

/**
 * Compiles every `*.yaml` and `*.yml` campaign of a folder (all but `segments.yaml`), in file-name order,
 * against the named segments of the folder's `segments.yaml` (when there is one). A file that does not
 * compile never stops the others; `consent.yaml` is the installation's consent policy, not a campaign; a campaign whose id an earlier file already uses is left out and reported
 * on its `id` line. Problems of segments.yaml are reported too, first; the segments that compile still serve.
 * `currencies.yaml` holds the rates to `options.baseCurrency` (RAPPORT_BASE_CURRENCY, default EUR) that bare
 * `total_spent` converts with; with problems, only the base currency counts.
 */
export async function loadCampaigns(
  dir: string,
  options: { baseCurrency?: string; now?: Date } = {},
): Promise<LoadedCampaigns> {
  const files = await readdir(dir);
  const names = files
    .filter(
      (n) =>
        /\.ya?ml$/.test(n) &&
        !SEGMENT_FILES.includes(n) &&
        ![...CONSENT_FILES, ...CURRENCY_FILES, ...LOYALTY_FILES].includes(n),
    )
    .sort();
  const campaigns: CompiledCampaign[] = [];
  const errors: CampaignIssue[] = [];
  const consentFile = CONSENT_FILES.find((n) => files.includes(n)) ?? CONSENT_FILES[0]!;
  const consent = await loadConsentPolicy(join(dir, consentFile));
  errors.push(...consent.issues);
  const loyaltyFile = LOYALTY_FILES.find((n) => files.includes(n)) ?? LOYALTY_FILES[0]!;
  const loyalty = await loadLoyaltyRules(join(dir, loyaltyFile));
  errors.push(...loyalty.issues);
  const currencyFile = CURRENCY_FILES.find((n) => files.includes(n)) ?? CURRENCY_FILES[0]!;
  const base = options.baseCurrency ?? DEFAULT_BASE_CURRENCY;
  const currencies = await loadCurrencies(join(dir, currencyFile), base, options.now ?? new Date());
  errors.push(...currencies.issues);
  const segments = await folderSegments(dir, files, errors, currencies.money);
  const firstById = new Map<string, CampaignIssue>();
  for (const name of names) {
    const file = join(dir, name);
    const source = await readSource(file, errors);
    if (source === undefined) continue;
    let campaign: CompiledCampaign;
    try {
      campaign = compileCampaign(source, file, segments);
    } catch (error) {
      // Even a compiler bug stays this file's problem: the other campaigns still load.
      if (error instanceof CampaignSyntaxError) errors.push(...error.issues);
      else errors.push({ file, line: 1, col: 1, message: `could not compile: ${(error as Error).message}` });
      continue;
    }
    const here = idPosition(source, file);
    const first = firstById.get(campaign.id);
    if (first) {
      errors.push({
        ...here,
        message: `duplicate campaign id '${campaign.id}', already used at ${formatPosition(first)}: give each campaign its own id`,
      });
      continue;
    }
    firstById.set(campaign.id, here);
    campaigns.push(campaign);
  }
  return { campaigns, errors, segments, consent: consent.policy, loyalty: loyalty.rules };
}

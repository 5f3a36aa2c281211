import { existsSync, readdirSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  type CompiledCampaign,
  compileAudience,
  compileCampaign,
  compileConsentPolicy,
  compileLoyaltyRules,
  compileSegments,
  noSegments,
  type Segments,
  tierNames,
  unknownTiers,
} from "../campaigns/index.ts";
import {
  type CompiledCurrencies,
  DEFAULT_BASE_CURRENCY,
  loadCurrencies,
  missingRates,
  namedCurrencies,
} from "../campaigns/segment/index.ts";
import type { Config } from "../lib/config.ts";
import { type CampaignIssue, CampaignSyntaxError, formatPosition } from "../lib/errors.ts";
import { createTemplateStore } from "../templates/index.ts";
import { yamlCampaignId, yamlPositions } from "./campaigns-positions.ts";
import { renderIssues } from "./campaigns-render-check.ts";
import { type TemplateFolder, templateIssues } from "./campaigns-templates.ts";
import { couponWarnings } from "./coupon-warnings.ts";

/** The project folder, whatever the working directory. */
const PROJECT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Files of a campaigns folder that name segments rather than hold a campaign. */
const SEGMENT_FILES = ["segments.yaml", "segments.yml"];
/** The exchange rates of money segments: not a campaign either. */
const CURRENCY_FILES = ["currencies.yaml", "currencies.yml"];
/** The installation's consent policy: not a campaign either. */
const CONSENT_FILES = ["consent.yaml", "consent.yml"];
/** The loyalty programme: not a campaign either. */
const LOYALTY_FILES = ["loyalty.yaml", "loyalty.yml"];
const YAML = /\.ya?ml$/;

/** The campaigns folder: RAPPORT_CAMPAIGNS_DIR, or the project's campaigns/. */
export function campaignsDir(config: Config): string {
  return path.resolve(config.RAPPORT_CAMPAIGNS_DIR ?? path.join(PROJECT_DIR, "campaigns"));
}

/** The templates folder (RAPPORT_TEMPLATES_DIR, or the project's templates/) and a store reading it. */
export function templateFolder(config: Config): TemplateFolder {
  const dir = path.resolve(config.RAPPORT_TEMPLATES_DIR ?? path.join(PROJECT_DIR, "templates"));
  return { store: createTemplateStore({ dir }), display: displayPath(dir), dir };
}

/** A path as messages show it: relative to the working directory when inside it, so terminals can open it. */
export function displayPath(file: string, cwd = process.cwd()): string {
  const relative = path.relative(cwd, file);
  return relative && !relative.startsWith("..") && !path.isAbsolute(relative) ? relative : file;
}

/** One file checked: a campaign (compiled when it has no problem) or a folder's segments. */
export interface CheckedFile {
  /** The absolute path. */
  path: string;
  /** The path as messages show it. */
  file: string;
  kind: "campaign" | "segments" | "currencies" | "consent" | "loyalty";
  source?: string;
  /** The campaign, when the file compiled and its templates exist. */
  campaign?: CompiledCampaign;
  issues: CampaignIssue[];
}

/** The campaign files and segments files of some paths: folders stand for their YAML files. */
export function expandPaths(args: readonly string[]): { files: string[]; missing: string[] } {
  const files = new Set<string>();
  const missing: string[] = [];
  for (const arg of args) {
    const full = path.resolve(arg);
    let isDir: boolean;
    try {
      isDir = statSync(full).isDirectory();
    } catch {
      missing.push(arg);
      continue;
    }
    if (!isDir) files.add(full);
    else for (const name of readdirSync(full).filter((n) => YAML.test(n))) files.add(path.join(full, name));
  }
  return { files: [...files].sort(), missing };
}

/** The campaign files of a folder by campaign id (read from each file's `id:`, even a broken file's). */
export async function campaignFileIds(dir: string): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  let names: string[];
  try {
    names = readdirSync(dir).filter(
      (n) =>
        YAML.test(n) &&
        !SEGMENT_FILES.includes(n) &&
        !CURRENCY_FILES.includes(n) &&
        !CONSENT_FILES.includes(n) &&
        !LOYALTY_FILES.includes(n),
    );
  } catch {
    return ids;
  }
  for (const name of names.sort()) {
    const file = path.join(dir, name);
    const id = yamlCampaignId(await readFile(file, "utf8").catch(() => ""));
    if (id !== undefined && !ids.has(id)) ids.set(id, file);
  }
  return ids;
}

/** Options of {@link checkCampaignFiles}. */
export interface CheckOptions {
  templates: TemplateFolder;
  /** Whether a shop's coupon API is configured; else `unique()` codes get a warning (load them by hand). */
  shopConnected?: boolean;
  /** Called after each campaign file. */
  onFile?: (done: number, total: number, file: string) => void;
  /** RAPPORT_BASE_CURRENCY: what bare total_spent is in. Defaults to EUR. */
  baseCurrency?: string;
  /** When rates are judged stale from. Defaults to the current time. */
  now?: Date;
}

/** What {@link checkCampaignFiles} found. */
export interface CheckResult {
  /** Every file looked at, campaigns and the segments files they use, by path. */
  files: CheckedFile[];
  /** Every issue of every file, by file, line and column. */
  issues: CampaignIssue[];
  /** The named segments of each folder (by absolute folder path): those that compiled. */
  segments: Map<string, Segments>;
  /** What is worth knowing but stops nothing: stale rates, currencies segments name without a rate. */
  warnings: CampaignIssue[];
}

/** A folder's currencies.yaml (rates to the base currency), compiled; without one only the base counts. */
export async function folderCurrencies(
  dir: string,
  base?: string,
  now = new Date(),
): Promise<CompiledCurrencies> {
  const name = CURRENCY_FILES.find((n) => existingNames(dir).includes(n)) ?? CURRENCY_FILES[0]!;
  return loadCurrencies(displayPath(path.join(dir, name)), base ?? DEFAULT_BASE_CURRENCY, now);
}

function existingNames(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * Compiles campaign files as `rapport start` does (each against its folder's segments.yaml, a duplicate id
 * refused on the later file) and checks that every template they name exists for every channel they list.
 * Needs no database. A segments file among `files`, or used by one of them, is checked too.
 */
export async function checkCampaignFiles(
  files: readonly string[],
  options: CheckOptions,
): Promise<CheckResult> {
  const checked = new Map<string, CheckedFile>();
  const segments = new Map<string, Segments>();
  const warnings: CampaignIssue[] = [];
  // the tiers of each folder's loyalty.yaml: an audience comparing loyalty.tier with another name is a typo
  const tiers = new Map<string, string[]>();
  const campaignFiles = files.filter(
    (f) =>
      !SEGMENT_FILES.includes(path.basename(f)) &&
      !CURRENCY_FILES.includes(path.basename(f)) &&
      !CONSENT_FILES.includes(path.basename(f)) &&
      !LOYALTY_FILES.includes(path.basename(f)),
  );
  const folders = new Set(files.map((f) => path.dirname(f)));
  for (const dir of [...folders].sort()) {
    const currencies = await folderCurrencies(dir, options.baseCurrency, options.now);
    const currencyFile = currencies.issues[0]?.file ?? currencies.warnings[0]?.file;
    if (currencyFile !== undefined) {
      const full = path.resolve(currencyFile);
      checked.set(full, { path: full, file: currencyFile, kind: "currencies", issues: currencies.issues });
    }
    warnings.push(...currencies.warnings);
    const consentName = CONSENT_FILES.find((n) => existsSync(path.join(dir, n)));
    if (consentName !== undefined) {
      const full = path.join(dir, consentName);
      const entry: CheckedFile = { path: full, file: displayPath(full), kind: "consent", issues: [] };
      const source = await read(entry);
      if (source !== undefined) entry.issues.push(...compileConsentPolicy(source, entry.file).issues);
      checked.set(full, entry);
    }
    const loyaltyName = LOYALTY_FILES.find((n) => existsSync(path.join(dir, n)));
    if (loyaltyName !== undefined) {
      const full = path.join(dir, loyaltyName);
      const entry: CheckedFile = { path: full, file: displayPath(full), kind: "loyalty", issues: [] };
      const source = await read(entry);
      const compiled = source === undefined ? undefined : compileLoyaltyRules(source, entry.file);
      entry.issues.push(...(compiled?.issues ?? []));
      tiers.set(dir, tierNames(compiled?.rules));
      checked.set(full, entry);
    }
    const { money } = currencies;
    const name = SEGMENT_FILES.find((n) => files.includes(path.join(dir, n))) ?? existing(dir);
    if (name === undefined) {
      segments.set(dir, noSegments(displayPath(path.join(dir, SEGMENT_FILES[0]!)), money));
      continue;
    }
    const full = path.join(dir, name);
    const entry: CheckedFile = { path: full, file: displayPath(full), kind: "segments", issues: [] };
    const source = await read(entry);
    const compiled = compileSegments(source ?? "", entry.file, money);
    entry.issues.push(...compiled.issues);
    segments.set(dir, compiled.segments);
    const ratesFile = displayPath(path.join(dir, CURRENCY_FILES[0]!));
    warnings.push(...missingRates(namedCurrencies(compiled.segments), money, ratesFile));
    checked.set(full, entry);
  }
  const firstById = new Map<string, CampaignIssue>();
  for (const [i, full] of campaignFiles.entries()) {
    const entry: CheckedFile = { path: full, file: displayPath(full), kind: "campaign", issues: [] };
    checked.set(full, entry);
    const source = await read(entry);
    if (source !== undefined) {
      entry.source = source;
      const campaign = compile(entry, source, segments.get(path.dirname(full))!);
      if (campaign) {
        const here = { file: entry.file, ...yamlPositions(source)(["id"]), message: "" };
        const first = firstById.get(campaign.id);
        if (first) {
          entry.issues.push({
            ...here,
            message: `duplicate campaign id '${campaign.id}', already used at ${formatPosition(first)}: give each campaign its own id`,
          });
        } else {
          firstById.set(campaign.id, here);
          const missing = templateIssues(campaign, source, entry.file, options.templates);
          entry.issues.push(...missing);
          // every message rendered as it will be sent: a typo or data the trigger lacks fails here, not at send time
          if (missing.length === 0)
            entry.issues.push(...renderIssues(campaign, source, entry.file, options.templates));
          entry.issues.push(...tierIssues(campaign, source, entry.file, segments, tiers));
        }
        if (entry.issues.length === 0) entry.campaign = campaign;
        if (entry.issues.length === 0)
          warnings.push(...couponWarnings(campaign, source, entry.file, options.shopConnected === true));
      }
    }
    options.onFile?.(i + 1, campaignFiles.length, entry.file);
  }
  const all = [...checked.values()].sort((a, b) => a.path.localeCompare(b.path));
  const issues = all.flatMap((f) => f.issues).sort(byPosition);
  return { files: all, issues, segments, warnings: warnings.sort(byPosition) };
}

/** An audience comparing `loyalty.tier` with a name the folder's loyalty.yaml does not define, at `audience:`. */
function tierIssues(
  campaign: CompiledCampaign,
  source: string,
  file: string,
  segments: Map<string, Segments>,
  tiers: Map<string, string[]>,
): CampaignIssue[] {
  const dir = path.dirname(path.resolve(file));
  const folderSegments = segments.get(dir);
  if (campaign.audience === undefined || folderSegments === undefined) return [];
  const names = tiers.get(dir) ?? [];
  const unknown = unknownTiers(compileAudience(campaign.audience, folderSegments).condition, names);
  if (unknown.length === 0) return [];
  const expected = names.length ? `one of ${names.join(", ")}` : "a tier, but loyalty.yaml defines none";
  const message = `loyalty.tier ${unknown.map((t) => JSON.stringify(t)).join(", ")}: not a tier of loyalty.yaml, expected ${expected}`;
  return [{ file, ...yamlPositions(source)(["audience"]), message }];
}

/**
 * The named segments of a folder's segments.yaml (those that compile), or none without one, with the rates
 * of its currencies.yaml to `baseCurrency` (RAPPORT_BASE_CURRENCY).
 */
export async function folderSegments(dir: string, baseCurrency?: string): Promise<Segments> {
  const { money } = await folderCurrencies(dir, baseCurrency);
  const name = existing(dir);
  const file = displayPath(path.join(dir, name ?? SEGMENT_FILES[0]!));
  if (name === undefined) return noSegments(file, money);
  const source = await readFile(path.join(dir, name), "utf8").catch(() => "");
  return compileSegments(source, file, money).segments;
}

function existing(dir: string): string | undefined {
  try {
    const names = readdirSync(dir);
    return SEGMENT_FILES.find((n) => names.includes(n));
  } catch {
    return undefined;
  }
}

async function read(entry: CheckedFile): Promise<string | undefined> {
  try {
    return await readFile(entry.path, "utf8");
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message;
    entry.issues.push({ file: entry.file, line: 1, col: 1, message: `cannot read the file: ${reason}` });
    return undefined;
  }
}

function compile(entry: CheckedFile, source: string, segments: Segments): CompiledCampaign | undefined {
  try {
    return compileCampaign(source, entry.file, segments);
  } catch (error) {
    // Even a compiler bug stays this file's problem: the other files are still checked.
    if (error instanceof CampaignSyntaxError) entry.issues.push(...error.issues);
    else
      entry.issues.push({
        file: entry.file,
        line: 1,
        col: 1,
        message: `could not compile: ${(error as Error).message}`,
      });
    return undefined;
  }
}

/** By file, then line, then column. */
export function byPosition(a: CampaignIssue, b: CampaignIssue): number {
  return a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col;
}

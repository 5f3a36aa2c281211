import { connectedShop } from "../bots/index.ts";
import { formatPosition } from "../lib/errors.ts";
import type { CommandContext } from "./campaigns-context.ts";
import {
  type CheckResult,
  campaignsDir,
  checkCampaignFiles,
  expandPaths,
  templateFolder,
} from "./campaigns-files.ts";
import { plural } from "./format.ts";
import type { Style } from "./output.ts";
import { createProgress } from "./progress.ts";

/** From this many files on, validate shows its progress. */
const MANY_FILES = 20;

/**
 * `rapport campaigns validate [files…]`: compiles campaign files (default: the campaigns folder, with its
 * segments.yaml) and checks their templates, without a database. Prints every problem as
 * `file:line:col: message`, sorted, then a summary line.
 * @returns the exit code: 1 when anything is wrong, else 0.
 */
export async function validateCommand(ctx: CommandContext, args: readonly string[]): Promise<number> {
  const { out } = ctx;
  const { files, missing } = expandPaths(args.length > 0 ? args : [campaignsDir(ctx.config)]);
  const progress = files.length >= MANY_FILES ? createProgress({ stream: out.stderr }) : undefined;
  const result = await checkCampaignFiles(files, {
    templates: templateFolder(ctx.config),
    baseCurrency: ctx.config.RAPPORT_BASE_CURRENCY,
    now: new Date(ctx.clock.now()),
    shopConnected: connectedShop(ctx.config) !== undefined,
    onFile: (done, total, file) => {
      if (done === 1) progress?.start("validating", total);
      progress?.update(done, file);
    },
  });
  progress?.finish();
  for (const arg of missing) out.stdout.write(`${out.style.bold(arg)}: no such file or folder\n`);
  // a template's own fault is found through every campaign that uses it: print it once
  const printed = new Set<string>();
  for (const issue of result.issues) {
    const line = `${out.style.bold(formatPosition(issue))}: ${issue.message}\n`;
    if (printed.has(line)) continue;
    printed.add(line);
    out.stdout.write(line);
  }
  for (const warning of result.warnings)
    out.stdout.write(`${out.style.bold(formatPosition(warning))}: warning: ${warning.message}\n`);
  if (result.issues.length > 0 || result.warnings.length > 0 || missing.length > 0) out.stdout.write("\n");
  out.stdout.write(`${summary(result, out.style)}\n`);
  return result.issues.length > 0 || missing.length > 0 ? 1 : 0;
}

/** `3 campaigns ok, 1 with 2 errors`, and any segments file with problems. */
export function summary(result: CheckResult, style: Style): string {
  const campaigns = result.files.filter((f) => f.kind === "campaign");
  const ok = campaigns.filter((f) => f.issues.length === 0).length;
  const bad = campaigns.filter((f) => f.issues.length > 0);
  const errors = bad.reduce((sum, f) => sum + f.issues.length, 0);
  const parts = [style.green(`${plural(ok, "campaign")} ok`)];
  if (bad.length > 0) parts.push(style.red(`${bad.length} with ${plural(errors, "error")}`));
  for (const f of result.files.filter((f) => f.kind !== "campaign" && f.issues.length > 0))
    parts.push(style.red(`${f.file} with ${plural(f.issues.length, "error")}`));
  return parts.join(", ");
}

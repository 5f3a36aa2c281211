import {
  type CampaignReport,
  type CouponResults,
  campaignList,
  campaignReport,
  couponResults,
  type OutcomeCounts,
} from "../workers/index.ts";
import { CliError, type DbCommandContext } from "./campaigns-context.ts";
import { notShipped } from "./campaigns-resolve.ts";
import { formatCount, formatMoney, formatPercent } from "./format.ts";
import type { Style } from "./output.ts";
import { type Column, renderTable } from "./table.ts";

/**
 * `rapport campaigns status [campaign]`: every campaign with its status, version and totals; or one
 * campaign's results per step and variant, with reasons, conversions and revenue.
 * @returns the exit code.
 */
export async function statusCommand(ctx: DbCommandContext, id?: string): Promise<number> {
  const { db, out } = ctx;
  const { style } = out;
  if (id === undefined) {
    const list = await campaignList(db);
    if (list.length === 0) {
      out.stdout.write("No campaigns shipped yet: run `rapport campaigns ship <file>`.\n");
      return 0;
    }
    const right = (header: string): Column => ({ header, align: "right" });
    out.stdout.write(
      renderTable(
        [
          { header: "campaign" },
          { header: "status" },
          right("version"),
          right("pending"),
          right("sent"),
          right("failed"),
          right("skipped"),
          right("conversions"),
        ],
        list.map((c) => [
          c.id,
          statusText(c.status, style),
          c.version === null ? "-" : String(c.version),
          ...[c.pending, c.sent, c.failed, c.skipped, c.conversions].map(formatCount),
        ]),
        { style },
      ),
    );
    return 0;
  }
  const report = await campaignReport(db, id);
  if (!report) {
    const shipped = (await db.campaign.findMany({ select: { id: true } })).map((c) => c.id).sort();
    throw new CliError(await notShipped(ctx, [id], shipped));
  }
  out.stdout.write(renderReport(report, style));
  const coupons = await couponResults(db, id);
  if (coupons.codes > 0) out.stdout.write(renderCoupons(coupons));
  return 0;
}

/** A campaign's codes as text: sent, redeemed and their orders' revenue, and messages waiting for the shop. */
export function renderCoupons(coupons: CouponResults): string {
  const lines = [
    `Codes: ${formatCount(coupons.sent)} sent, ${formatCount(coupons.redeemed)} redeemed` +
      (coupons.redeemed > 0 ? `, revenue ${formatMoney(coupons.revenue)}` : "") +
      ` (${formatCount(coupons.confirmed)} of ${formatCount(coupons.codes)} confirmed by the shop)`,
  ];
  if (coupons.waiting > 0)
    lines.push(
      `Waiting for the shop (waiting_for_shop): ${formatCount(coupons.waiting)}: ${coupons.waitingError ?? ""}`,
    );
  return `${lines.join("\n")}\n`;
}

/** One campaign's results as text: a table per step and variant, then why messages were not sent. */
export function renderReport(report: CampaignReport, style: Style): string {
  const version = report.version === null ? "not shipped" : `version ${report.version}`;
  const lines = [
    `${style.bold(report.id)}: ${report.name} (${statusText(report.status, style)}, ${version})`,
    "",
  ];
  if (report.totals.total === 0) return `${lines.join("\n")}No messages yet.\n`;
  const withVariant = report.rows.some((r) => r.variant !== null);
  const label = (step: string, variant: string | null) => [step, ...(withVariant ? [variant ?? "-"] : [])];
  const numbers = (c: OutcomeCounts, held: boolean) => [
    formatCount(c.pending),
    formatCount(c.sent),
    formatCount(c.delivered),
    formatCount(c.opened),
    formatCount(c.clicked),
    formatCount(c.failed),
    formatCount(c.suppressed),
    formatCount(c.skipped),
    formatCount(held ? c.heldBackConversions : c.conversions),
    formatPercent(c.conversionRate),
    formatMoney(c.revenue),
  ];
  const right = (header: string): Column => ({ header, align: "right" });
  const table = renderTable(
    [
      { header: "step" },
      ...(withVariant ? [{ header: "variant" }] : []),
      ...["pending", "sent", "delivered", "opened", "clicked", "failed", "suppressed", "skipped"].map(right),
      right("conversions"),
      right("rate"),
      right("revenue"),
    ],
    report.rows.map((r) => [...label(r.step, r.variant), ...numbers(r, r.variant === "holdout")]),
    { style, footer: [[...label("total", withVariant ? "" : null), ...numbers(report.totals, false)]] },
  );
  lines.push(table.trimEnd(), "");
  const reasons = (list: ReadonlyArray<{ reason: string; count: number }>, top = list.length) =>
    list
      .slice(0, top)
      .map((r) => `${r.reason} ${formatCount(r.count)}`)
      .join(", ");
  if (report.totals.skippedBy.length > 0) lines.push(`Skipped: ${reasons(report.totals.skippedBy)}`);
  if (report.totals.suppressedBy.length > 0) lines.push(`Suppressed: ${reasons(report.totals.suppressedBy)}`);
  for (const row of report.rows.filter((r) => r.failedBy.length > 0)) {
    const where = withVariant ? `${row.step}/${row.variant ?? "-"}` : row.step;
    lines.push(`Failed (${where}), top reasons: ${reasons(row.failedBy, 3)}`);
  }
  const held = report.rows.find((r) => r.variant === "holdout");
  if (held && held.heldBack > 0) {
    lines.push(
      `Hold-out: ${formatPercent(held.conversionRate)} of the ${formatCount(held.heldBack)} held back converted anyway, ` +
        `against ${formatPercent(report.totals.conversionRate)} of those sent the message.`,
    );
  }
  lines.push(
    style.dim(
      "pending = planned or queued; rate = conversions / sent (hold-out: / held back); revenue = the goal events' value",
    ),
  );
  return `${lines.join("\n")}\n`;
}

function statusText(status: string, style: Style): string {
  if (status === "active") return style.green(status);
  if (status === "paused") return style.yellow(status);
  return style.dim(status);
}

import { SENDING_CHANNEL_NAMES } from "../../lib/channels.ts";
import { didYouMean } from "../suggest.ts";
import type { FieldRef } from "./ast.ts";
import { type EngagementMetric, engagementField, MAX_ENGAGEMENT_WINDOW_MS } from "./engagement.ts";
import type { ScalarField } from "./fields.ts";

const MAX_DAYS = MAX_ENGAGEMENT_WINDOW_MS / 86_400_000;

/**
 * Checks the arguments of `opened(30d)` / `opened(30d, "email")`: a window (a duration, 1 s to 365 d) and
 * optionally a channel in double quotes. @returns the count as a number field, or the first problem and where.
 */
export function engagementRef(
  ref: FieldRef,
  name: EngagementMetric,
): { kind: "field"; field: ScalarField } | { kind: "error"; col: number; message: string } {
  const example = `${name}(30d), or ${name}(30d, "email") for one channel`;
  const error = (col: number, message: string) => ({ kind: "error" as const, col, message });
  const args = ref.args;
  if (args === undefined) return error(ref.col, `${name} counts over a window: write ${example}`);
  const [window, channel, extra] = args;
  if (window === undefined) return error(ref.col, `expected a window in ${name}( ): write ${example}`);
  if (extra)
    return error(extra.col, `${name} takes a window and a channel, no more: like ${name}(30d, "email")`);
  if (window.kind !== "duration") {
    const hint =
      window.kind === "string"
        ? `the window comes first: ${name}(30d, ${window.text})`
        : /^\d+$/.test(window.text)
          ? `${window.text} needs a unit: write ${name}(${window.text}d)`
          : `expected a window like 30d or 2w, got ${JSON.stringify(window.text)}`;
    return error(window.col, hint);
  }
  if (window.ms <= 0)
    return error(window.col, `a window of ${window.text} counts nothing: write at least 1d`);
  if (window.ms > MAX_ENGAGEMENT_WINDOW_MS) {
    return error(window.col, `${name} looks back at most ${MAX_DAYS}d: write a window up to ${MAX_DAYS}d`);
  }
  if (channel === undefined) return { kind: "field", field: engagementField(name, window.ms) };
  if (channel.kind !== "string") {
    return error(channel.col, `the channel goes in double quotes, like ${name}(${window.text}, "email")`);
  }
  // engagement is counted on deliveries, which exist only where Rapport sends
  if (!(SENDING_CHANNEL_NAMES as readonly string[]).includes(channel.value)) {
    const hint = didYouMean(
      channel.value,
      SENDING_CHANNEL_NAMES,
      `: expected one of ${SENDING_CHANNEL_NAMES.join(", ")}`,
    );
    return error(channel.col, `unknown channel '${channel.value}'${hint}`);
  }
  return { kind: "field", field: engagementField(name, window.ms, channel.value) };
}

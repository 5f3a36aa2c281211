/**
 * Rapport's small error vocabulary. Each error carries the context needed to act on it, and its message
 * says how to fix the problem, not only what went wrong. Business outcomes (skipped, suppressed) are values,
 * not errors: throw only for bugs, bad input at an edge, and infrastructure.
 */

/** A position in a source file, 1-based. */
export interface SourcePosition {
  file: string;
  line: number;
  col: number;
}

/** Formats a position the way editors and terminals make clickable: `file:line:col`. */
export function formatPosition(pos: SourcePosition): string {
  return `${pos.file}:${pos.line}:${pos.col}`;
}

/** A configuration value is missing or malformed. Start-up stops with this one line. */
export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(
    message: string,
    /** The environment variable at fault. */
    readonly variable?: string,
  ) {
    super(message);
  }
}

/** One problem in a campaign file, with where it is. */
export interface CampaignIssue extends SourcePosition {
  message: string;
}

/** A campaign (or segments) file does not compile. Holds every problem of the file, not only the first. */
export class CampaignSyntaxError extends Error {
  override name = "CampaignSyntaxError";
  constructor(readonly issues: CampaignIssue[]) {
    super(issues.map((i) => `${formatPosition(i)}: ${i.message}`).join("\n"));
  }
}

/** A template is missing or fails to compile or render. */
export class TemplateError extends Error {
  override name = "TemplateError";
  constructor(
    /** What is wrong, without the file and line the message starts with. */
    readonly reason: string,
    readonly file?: string,
    readonly line?: number,
  ) {
    super(file ? `${file}${line ? `:${line}` : ""}: ${reason}` : reason);
  }
}

/** Context every send error carries. */
export interface SendContext {
  channel: string;
  deliveryId?: string;
  /** The provider's own error code or name, e.g. "rate_limit_exceeded" or "403". */
  providerCode?: string;
}

/** The provider asked us to slow down. Wait `retryAfterMs`, then try again: the message is not lost. */
export class RateLimitedError extends Error {
  override name = "RateLimitedError";
  constructor(
    readonly retryAfterMs: number,
    readonly context: SendContext,
    message = `${context.channel} rate limit hit: retrying in ${retryAfterMs} ms`,
  ) {
    super(message);
  }
}

/** The send can never succeed as it is (invalid address, blocked bot, bad credentials). Not retried. */
export class PermanentSendError extends Error {
  override name = "PermanentSendError";
  constructor(
    message: string,
    readonly context: SendContext,
  ) {
    super(message);
  }
}

/**
 * The send failed for a reason that may pass (timeout, 5xx, network). Retried with backoff, except on a
 * channel without idempotency key when the message may have gone out (`notSent` false): sending it again
 * could show it twice, so the deliverer records it failed with reason `unknown_outcome` instead.
 */
export class TransientSendError extends Error {
  override name = "TransientSendError";
  constructor(
    message: string,
    readonly context: SendContext,
    /**
     * True when the provider's side proves it did not take the message: the connection was refused before
     * the request was written, or the provider answered with an error (a 5xx with its error body). False when
     * the request may have reached it: no answer, the connection cut after the request, a timeout.
     */
    readonly notSent = false,
  ) {
    super(message);
  }
}

/** Input at an edge (webhook body, CSV line) does not match its schema. `path` names the field. */
export class InputError extends Error {
  override name = "InputError";
  constructor(
    message: string,
    readonly path?: string,
  ) {
    super(message);
  }
}

import { ResendApiError } from "./resend-validate.ts";

/** How long Resend remembers an idempotency key: 24 hours. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1_000;

/** A finished response Resend replays for a repeated key. */
export interface SavedResponse {
  status: number;
  body: unknown;
}

type Entry =
  | { state: "in_flight"; fingerprint: string; at: number }
  | { state: "done"; fingerprint: string; at: number; response: SavedResponse };

/** What to do with a request carrying an idempotency key. */
export type IdempotencyDecision = { kind: "proceed" } | { kind: "replay"; response: SavedResponse };

/** Resend's `Idempotency-Key` semantics: replay same requests, refuse changed or concurrent ones. */
export class IdempotencyStore {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly now: () => number) {}

  /** Claims `key` for a request, or says to replay, or throws Resend's 400/409 error. */
  begin(key: string, fingerprint: string): IdempotencyDecision {
    if (key.length < 1 || key.length > 256) {
      throw new ResendApiError(400, "invalid_idempotency_key", "The key must be between 1-256 chars.");
    }
    const entry = this.entries.get(key);
    if (entry !== undefined && this.now() - entry.at < IDEMPOTENCY_TTL_MS) {
      if (entry.fingerprint !== fingerprint) {
        throw new ResendApiError(
          409,
          "invalid_idempotent_request",
          "Same idempotency key used with a different request payload.",
        );
      }
      if (entry.state === "in_flight") {
        throw new ResendApiError(
          409,
          "concurrent_idempotent_requests",
          "Same idempotency key used while original request is still in progress.",
        );
      }
      return { kind: "replay", response: entry.response };
    }
    this.entries.set(key, { state: "in_flight", fingerprint, at: this.now() });
    return { kind: "proceed" };
  }

  /** Saves the response of an accepted request so retries get it back. */
  finish(key: string, response: SavedResponse): void {
    const entry = this.entries.get(key);
    if (entry !== undefined) this.entries.set(key, { ...entry, state: "done", response });
  }

  /** Frees a key whose request was refused, so it may be retried. */
  release(key: string): void {
    if (this.entries.get(key)?.state === "in_flight") this.entries.delete(key);
  }
}

/** A stable fingerprint of a request: path plus body with object keys sorted. */
export function fingerprint(path: string, body: unknown): string {
  const canonical = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(canonical);
    if (typeof value !== "object" || value === null) return value;
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => [k, canonical(v)]),
    );
  };
  return `${path} ${JSON.stringify(canonical(body))}`;
}

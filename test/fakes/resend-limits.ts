/** Resend's per-key request limit over a sliding one-second window, reported in `ratelimit-*` headers. */
export class RequestRateLimit {
  private readonly recent: number[] = [];

  /** @param perSecond Requests allowed per second; `Infinity` disables the limit and its headers. */
  constructor(
    private readonly perSecond: number,
    private readonly now: () => number,
  ) {}

  /** Counts a request if it fits. Returns the headers to send and whether the request may proceed. */
  take(): { allowed: boolean; headers: Record<string, string> } {
    if (!Number.isFinite(this.perSecond)) return { allowed: true, headers: {} };
    const at = this.now();
    while (this.recent.length > 0 && (this.recent[0] ?? 0) <= at - 1_000) this.recent.shift();
    const allowed = this.recent.length < this.perSecond;
    if (allowed) this.recent.push(at);
    const resetSeconds = Math.max(1, Math.ceil(((this.recent[0] ?? at) + 1_000 - at) / 1_000));
    const headers: Record<string, string> = {
      "ratelimit-limit": String(this.perSecond),
      "ratelimit-remaining": String(Math.max(0, this.perSecond - this.recent.length)),
      "ratelimit-reset": String(resetSeconds),
    };
    if (!allowed) headers["retry-after"] = String(resetSeconds);
    return { allowed, headers };
  }
}

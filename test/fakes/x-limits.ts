/** The routes the fake X serves, named as X's docs name them. Keys of `failNext` and `setRateLimit`. */
export const X_ROUTES = {
  me: "GET /2/users/me",
  mentions: "GET /2/users/:id/mentions",
  search: "GET /2/tweets/search/recent",
  dmEvents: "GET /2/dm_events",
  tweet: "POST /2/tweets",
  dm: "POST /2/dm_conversations/with/:participant_id/messages",
} as const;

/** One of {@link X_ROUTES}. */
export type XRoute = (typeof X_ROUTES)[keyof typeof X_ROUTES];

/** X's per-user limits per 15-minute window (Basic tier), the defaults of the fake. */
export const X_DEFAULT_LIMITS: Record<XRoute, number> = {
  [X_ROUTES.me]: 75,
  [X_ROUTES.mentions]: 300,
  [X_ROUTES.search]: 300,
  [X_ROUTES.dmEvents]: 300,
  [X_ROUTES.tweet]: 100,
  [X_ROUTES.dm]: 200,
};

const WINDOW_SECONDS = 15 * 60;

/** A route's window as X reports it: `x-rate-limit-limit`, `-remaining`, `-reset` (epoch seconds). */
export interface XRateLimit {
  limit: number;
  remaining: number;
  reset: number;
}

/** A failure to inject with `failNext`. */
export interface XFailure {
  /** HTTP status: 429, 401, 403, 500, 503, … */
  status: number;
  /** For 429: seconds until `x-rate-limit-reset`, from the fake's clock. Defaults to 60. */
  resetInSeconds?: number;
  /** The problem's `detail`. Defaults to X's wording for the status. */
  detail?: string;
  /** How many consecutive calls fail. Defaults to 1. */
  times?: number;
  /** Cut the connection instead of answering (a network error). */
  dropConnection?: boolean;
}

/** Per-route rate windows and injected failures. */
export class XLimits {
  private readonly windows = new Map<XRoute, XRateLimit>();
  private readonly failures = new Map<XRoute, XFailure[]>();

  constructor(private readonly now: () => number) {}

  private seconds(): number {
    return Math.floor(this.now() / 1000);
  }

  private window(route: XRoute): XRateLimit {
    let window = this.windows.get(route);
    if (!window || this.seconds() >= window.reset) {
      const limit = window?.limit ?? X_DEFAULT_LIMITS[route];
      window = { limit, remaining: limit, reset: this.seconds() + WINDOW_SECONDS };
      this.windows.set(route, window);
    }
    return window;
  }

  /** Counts a call against the route's window: whether it may proceed, and the headers to send either way. */
  take(route: XRoute): { allowed: boolean; headers: Record<string, string> } {
    const window = this.window(route);
    const allowed = window.remaining > 0;
    if (allowed) window.remaining -= 1;
    return { allowed, headers: this.headers(route) };
  }

  /** The `x-rate-limit-*` headers of the route's current window. */
  headers(route: XRoute): Record<string, string> {
    const window = this.window(route);
    return {
      "x-rate-limit-limit": String(window.limit),
      "x-rate-limit-remaining": String(window.remaining),
      "x-rate-limit-reset": String(window.reset),
    };
  }

  /** Sets a route's window, as if other calls had used it. */
  set(route: XRoute, limit: XRateLimit): void {
    this.windows.set(route, { ...limit });
  }

  /** Queues a failure for the next call(s) of a route. */
  failNext(route: XRoute, failure: XFailure): void {
    const list = this.failures.get(route) ?? [];
    for (let i = 0; i < (failure.times ?? 1); i += 1) list.push(failure);
    this.failures.set(route, list);
  }

  /** The failure due for this call, if any. A 429 also empties the window until its reset, as on X. */
  nextFailure(route: XRoute): XFailure | undefined {
    const failure = this.failures.get(route)?.shift();
    if (failure?.status === 429) {
      const window = this.window(route);
      this.set(route, {
        limit: window.limit,
        remaining: 0,
        reset: this.seconds() + (failure.resetInSeconds ?? 60),
      });
    }
    return failure;
  }
}

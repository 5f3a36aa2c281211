import { compareIds } from "./x-state.ts";

/** An X API error answered in X's problem format (`application/problem+json`). */
export class XProblem extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(`${status} ${String(body.title)}`);
  }
}

const TITLES: Record<number, string> = {
  400: "Invalid Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** X's problem body for a status: `{ title, detail, type, status }`. */
export function problem(status: number, detail?: string): XProblem {
  const title = TITLES[status] ?? "Error";
  return new XProblem(status, { title, detail: detail ?? title, type: "about:blank", status });
}

/** X's 400 for bad query parameters: one entry per parameter in `errors`. */
export function invalidRequest(parameter: string, value: string, message: string): XProblem {
  return new XProblem(400, {
    errors: [{ parameters: { [parameter]: [value] }, message }],
    title: "Invalid Request",
    detail: "One or more parameters to your request was invalid.",
    type: "https://api.twitter.com/2/problems/invalid-request",
  });
}

/** Rejects query parameters the route does not know, as X does. */
export function checkParams(query: URLSearchParams, allowed: readonly string[]): void {
  for (const [key, value] of query) {
    if (!allowed.includes(key)) {
      throw invalidRequest(key, value, `The query parameter [${key}] is not one of [${allowed.join(",")}]`);
    }
  }
}

/** `max_results` within the route's bounds, or X's 400. */
export function maxResults(query: URLSearchParams, min: number, max: number, fallback: number): number {
  const raw = query.get("max_results");
  if (raw === null) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalidRequest(
      "max_results",
      raw,
      `The \`max_results\` query parameter value [${raw}] is not between ${min} and ${max}`,
    );
  }
  return value;
}

/** The comma-separated list in a `*.fields` or `expansions` parameter. */
export function listParam(query: URLSearchParams, name: string): string[] {
  return (query.get(name) ?? "").split(",").filter(Boolean);
}

/** Keeps the default fields plus those requested, as X returns only what `*.fields` asks for. */
export function pick<T extends object>(
  entity: T,
  defaults: readonly string[],
  requested: string[],
): Partial<T> {
  const keep = new Set([...defaults, ...requested]);
  return Object.fromEntries(Object.entries(entity).filter(([key]) => keep.has(key))) as Partial<T>;
}

/** One page of a newest-first list, as X pages timelines. */
export interface Page<T> {
  items: T[];
  nextToken?: string;
}

/**
 * Pages a newest-first list: `since_id` keeps only newer items, and the opaque token carries the id the next
 * page starts below, so items added meanwhile never shift a page.
 */
export function paginate<T extends { id: string }>(
  all: T[],
  options: { sinceId?: string | null; token?: string | null; size: number },
): Page<T> {
  let below: string | undefined;
  if (options.token) {
    try {
      below = JSON.parse(Buffer.from(options.token, "base64url").toString("utf8")).below as string;
    } catch {
      throw invalidRequest("pagination_token", options.token, "The pagination token is invalid");
    }
  }
  const candidates = all.filter(
    (item) =>
      (!options.sinceId || compareIds(item.id, options.sinceId) > 0) &&
      (below === undefined || compareIds(item.id, below) < 0),
  );
  const items = candidates.slice(0, options.size);
  const last = items.at(-1);
  const nextToken =
    candidates.length > items.length && last
      ? Buffer.from(JSON.stringify({ below: last.id })).toString("base64url")
      : undefined;
  return { items, ...(nextToken ? { nextToken } : {}) };
}

/** The `meta` object of a timeline page. */
export function pageMeta(page: Page<{ id: string }>): Record<string, unknown> {
  const first = page.items[0];
  const last = page.items.at(-1);
  return {
    result_count: page.items.length,
    ...(first && last ? { newest_id: first.id, oldest_id: last.id } : {}),
    ...(page.nextToken ? { next_token: page.nextToken } : {}),
  };
}

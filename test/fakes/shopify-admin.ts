import { type LocalServer, parseJson, readText, sendJson, startLocalServer } from "./http.ts";

/** One call the fake Shopify Admin API received. */
export interface ShopifyAdminCall {
  /** discountCodeBasicCreate, discountRedeemCodeBulkAdd, discountRedeemCodeBulkCreation, or "unknown". */
  operation: string;
  variables: Record<string, unknown>;
  /** When it arrived, from the fake's clock. */
  at: number;
  /** HTTP status answered. */
  status: number;
}

/** A failure to inject for the next call: an HTTP status, or Shopify's GraphQL cost throttle (200). */
export type ShopifyAdminFailure =
  | { status: 401 | 500 | 502 | 503 }
  | { status: 429; retryAfterSeconds?: number }
  | { throttled: true; currentlyAvailable?: number };

/** A discount the fake holds. */
export interface FakeDiscount {
  id: string;
  title: string;
  input: Record<string, unknown>;
  codes: string[];
}

/** A running fake of Shopify's Admin GraphQL API, the discount operations only. */
export interface FakeShopifyAdmin {
  /** `http://127.0.0.1:<port>`: give it as `baseUrl`. */
  readonly url: string;
  readonly token: string;
  readonly calls: ShopifyAdminCall[];
  readonly discounts: Map<string, FakeDiscount>;
  /** Every code the shop holds (upper-cased), to its discount id. */
  readonly codes: Map<string, string>;
  /** Makes the next `count` calls fail with `failure`. */
  failNext(failure: ShopifyAdminFailure, count?: number): void;
  close(): Promise<void>;
}

/** Options of {@link startFakeShopifyAdmin}. */
export interface FakeShopifyAdminOptions {
  /** The only access token accepted (`X-Shopify-Access-Token`). Defaults to "shpat_test". */
  token?: string;
  /** How many status queries answer `done: false` before a bulk creation is done. Defaults to 1. */
  bulkLooksBeforeDone?: number;
  /** Clock for `at`. Defaults to `performance.now`. */
  now?: () => number;
}

const MAXIMUM = 2_000;
const RESTORE_RATE = 100;

/**
 * Starts a fake Admin GraphQL endpoint (`POST /admin/api/<version>/graphql.json`) speaking the documented
 * shapes: `discountCodeBasicCreate` (codeDiscountNode, userErrors with TAKEN/BLANK/INVALID codes),
 * `discountRedeemCodeBulkAdd` (bulkCreation id, at most 250 codes), the asynchronous
 * `discountRedeemCodeBulkCreation` (done, counts, per-code errors), 401 with Shopify's text, 429 with
 * Retry-After, and the cost throttle (`errors[].extensions.code: THROTTLED` with `extensions.cost`).
 */
export async function startFakeShopifyAdmin(
  options: FakeShopifyAdminOptions = {},
): Promise<FakeShopifyAdmin> {
  const token = options.token ?? "shpat_test";
  const now = options.now ?? (() => performance.now());
  const looksBeforeDone = options.bulkLooksBeforeDone ?? 1;
  const calls: ShopifyAdminCall[] = [];
  const discounts = new Map<string, FakeDiscount>();
  const codes = new Map<string, string>();
  const bulks = new Map<
    string,
    {
      discountId: string;
      results: Array<{ code: string; id: string | null; errors: unknown[] }>;
      looks: number;
    }
  >();
  const failures: ShopifyAdminFailure[] = [];
  let nextId = 1_000;

  const cost = (available = MAXIMUM - 10) => ({
    cost: {
      requestedQueryCost: 10,
      actualQueryCost: 10,
      throttleStatus: { maximumAvailable: MAXIMUM, currentlyAvailable: available, restoreRate: RESTORE_RATE },
    },
  });

  const server: LocalServer = await startLocalServer(async (req, res) => {
    const parsed = parseJson(await readText(req));
    const body = (parsed.ok ? parsed.value : {}) as { query?: string; variables?: Record<string, unknown> };
    const query = body.query ?? "";
    const operation =
      ["discountCodeBasicCreate", "discountRedeemCodeBulkAdd", "discountRedeemCodeBulkCreation"].find((op) =>
        query.includes(`${op}(`),
      ) ?? "unknown";
    const call: ShopifyAdminCall = { operation, variables: body.variables ?? {}, at: now(), status: 200 };
    calls.push(call);
    const answer = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      call.status = status;
      sendJson(res, status, payload, headers);
    };
    if (req.method !== "POST" || !/^\/admin\/api\/\d{4}-\d{2}\/graphql\.json$/.test(req.url ?? ""))
      return answer(404, { errors: "Not Found" });
    if (req.headers["x-shopify-access-token"] !== token)
      return answer(401, {
        errors: "[API] Invalid API key or access token (unrecognized login or wrong password)",
      });
    const failure = failures.shift();
    if (failure) {
      if ("throttled" in failure)
        return answer(200, {
          errors: [
            {
              message: "Throttled",
              extensions: { code: "THROTTLED", documentation: "https://shopify.dev/api/usage/rate-limits" },
            },
          ],
          extensions: cost(failure.currentlyAvailable ?? 0),
        });
      if (failure.status === 429)
        return answer(
          429,
          {
            errors:
              "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.",
          },
          {
            "retry-after": String(failure.retryAfterSeconds ?? 1),
          },
        );
      return answer(failure.status, {
        errors:
          failure.status === 401
            ? "[API] Invalid API key or access token (unrecognized login or wrong password)"
            : "Internal Server Error",
      });
    }
    if (!parsed.ok) return answer(400, { errors: { query: "Required parameter missing or invalid" } });
    const vars = call.variables;
    if (operation === "discountCodeBasicCreate") {
      const input = (vars.basicCodeDiscount ?? {}) as Record<string, unknown>;
      const userErrors: Array<{ field: string[]; code: string; message: string }> = [];
      const code = typeof input.code === "string" ? input.code : "";
      if (!input.title)
        userErrors.push({
          field: ["basicCodeDiscount", "title"],
          code: "BLANK",
          message: "Title can't be blank",
        });
      if (!code)
        userErrors.push({
          field: ["basicCodeDiscount", "code"],
          code: "BLANK",
          message: "Code can't be blank",
        });
      else if (codes.has(code.toUpperCase()))
        userErrors.push({
          field: ["basicCodeDiscount", "code"],
          code: "TAKEN",
          message: "Code must be unique. Please try a different code.",
        });
      const value = ((input.customerGets as Record<string, unknown> | undefined)?.value ?? {}) as Record<
        string,
        unknown
      >;
      const percentage = value.percentage;
      if (percentage !== undefined && (typeof percentage !== "number" || percentage <= 0 || percentage > 1))
        userErrors.push({
          field: ["basicCodeDiscount", "customerGets", "value", "percentage"],
          code: "VALUE_OUTSIDE_RANGE",
          message: "Value must be between 0.0 and 1.0",
        });
      if (percentage === undefined && !value.discountAmount)
        userErrors.push({
          field: ["basicCodeDiscount", "customerGets", "value"],
          code: "BLANK",
          message: "Value can't be blank",
        });
      if (userErrors.length > 0)
        return answer(200, {
          data: { discountCodeBasicCreate: { codeDiscountNode: null, userErrors } },
          extensions: cost(),
        });
      const id = `gid://shopify/DiscountCodeNode/${nextId++}`;
      discounts.set(id, { id, title: String(input.title), input, codes: [code] });
      codes.set(code.toUpperCase(), id);
      return answer(200, {
        data: { discountCodeBasicCreate: { codeDiscountNode: { id }, userErrors: [] } },
        extensions: cost(),
      });
    }
    if (operation === "discountRedeemCodeBulkAdd") {
      const discount = discounts.get(String(vars.discountId));
      const list = Array.isArray(vars.codes) ? (vars.codes as Array<{ code?: unknown }>) : [];
      if (!discount)
        return answer(200, {
          data: {
            discountRedeemCodeBulkAdd: {
              bulkCreation: null,
              userErrors: [{ field: ["discountId"], code: "INVALID", message: "Discount does not exist" }],
            },
          },
          extensions: cost(),
        });
      if (list.length === 0 || list.length > 250)
        return answer(200, {
          data: {
            discountRedeemCodeBulkAdd: {
              bulkCreation: null,
              userErrors: [
                {
                  field: ["codes"],
                  code: "TOO_MANY_ARGUMENTS",
                  message: "Codes must contain between 1 and 250 codes",
                },
              ],
            },
          },
          extensions: cost(),
        });
      const id = `gid://shopify/DiscountRedeemCodeBulkCreation/${nextId++}`;
      const results = list.map((item) => {
        const code = typeof item.code === "string" ? item.code : "";
        if (!code)
          return {
            code,
            id: null,
            errors: [{ field: ["code"], code: "BLANK", message: "Code can't be blank" }],
          };
        if (codes.has(code.toUpperCase()))
          return {
            code,
            id: null,
            errors: [
              {
                field: ["code"],
                code: "TAKEN",
                message: "Code must be unique. Please try a different code.",
              },
            ],
          };
        codes.set(code.toUpperCase(), discount.id);
        discount.codes.push(code);
        return { code, id: `gid://shopify/DiscountRedeemCode/${nextId++}`, errors: [] };
      });
      bulks.set(id, { discountId: discount.id, results, looks: 0 });
      return answer(200, {
        data: { discountRedeemCodeBulkAdd: { bulkCreation: { id }, userErrors: [] } },
        extensions: cost(),
      });
    }
    if (operation === "discountRedeemCodeBulkCreation") {
      const bulk = bulks.get(String(vars.id));
      if (!bulk) return answer(200, { data: { discountRedeemCodeBulkCreation: null }, extensions: cost() });
      const done = bulk.looks++ >= looksBeforeDone;
      const failed = bulk.results.filter((r) => !r.id).length;
      return answer(200, {
        data: {
          discountRedeemCodeBulkCreation: {
            id: vars.id,
            done,
            codesCount: bulk.results.length,
            importedCount: done ? bulk.results.length - failed : 0,
            failedCount: done ? failed : 0,
            codes: {
              nodes: done
                ? bulk.results.map((r) => ({
                    code: r.code,
                    discountRedeemCode: r.id ? { id: r.id, code: r.code } : null,
                    errors: r.errors,
                  }))
                : [],
            },
          },
        },
        extensions: cost(),
      });
    }
    return answer(200, {
      errors: [{ message: "Field doesn't exist on type 'Mutation'", extensions: { code: "undefinedField" } }],
    });
  });

  return {
    url: server.url,
    token,
    calls,
    discounts,
    codes,
    failNext(failure, count = 1) {
      for (let i = 0; i < count; i++) failures.push(failure);
    },
    close: () => server.close(),
  };
}

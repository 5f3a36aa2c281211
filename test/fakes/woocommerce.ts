import { type LocalServer, parseJson, readText, sendJson, startLocalServer } from "./http.ts";

/** One call the fake WooCommerce REST API received. */
export interface WooCommerceCall {
  path: string;
  body: unknown;
  at: number;
  status: number;
}

/** A coupon the fake store holds, in WooCommerce's shape. */
export interface WooCoupon {
  id: number;
  code: string;
  amount: string;
  discount_type: string;
  description: string;
  date_expires_gmt: string | null;
  usage_limit_per_user: number | null;
  email_restrictions: string[];
}

/** A running fake of WooCommerce's coupons batch endpoint. */
export interface FakeWooCommerce {
  /** The store's address: give it as WOOCOMMERCE_URL. */
  readonly url: string;
  readonly key: string;
  readonly secret: string;
  readonly calls: WooCommerceCall[];
  /** By code, lower-cased as WooCommerce stores it. */
  readonly coupons: Map<string, WooCoupon>;
  /** Makes the next `count` calls fail with this HTTP status (429 with Retry-After). */
  failNext(failure: { status: 401 | 429 | 500 | 503; retryAfterSeconds?: number }, count?: number): void;
  close(): Promise<void>;
}

const TYPES = new Set(["percent", "fixed_cart", "fixed_product"]);

/**
 * Starts a fake WooCommerce store answering `POST /wp-json/wc/v3/coupons/batch` as documented: HTTP Basic
 * auth with the consumer key and secret (401 `woocommerce_rest_cannot_create` otherwise), at most 100 items
 * (413), `{ create: [...] }` answered item by item with the coupon or `{ id: 0, error: { code, message,
 * data } }` (`woocommerce_rest_coupon_code_already_exists` for a code the store has), codes lower-cased.
 */
export async function startFakeWooCommerce(options: { now?: () => number } = {}): Promise<FakeWooCommerce> {
  const key = "ck_test";
  const secret = "cs_test";
  const now = options.now ?? (() => performance.now());
  const calls: WooCommerceCall[] = [];
  const coupons = new Map<string, WooCoupon>();
  const failures: Array<{ status: number; retryAfterSeconds?: number }> = [];
  let nextId = 500;
  const expectedAuth = `Basic ${Buffer.from(`${key}:${secret}`).toString("base64")}`;

  const server: LocalServer = await startLocalServer(async (req, res) => {
    const parsed = parseJson(await readText(req));
    const path = (req.url ?? "").split("?")[0]!;
    const call: WooCommerceCall = {
      path,
      body: parsed.ok ? parsed.value : undefined,
      at: now(),
      status: 200,
    };
    calls.push(call);
    const answer = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      call.status = status;
      sendJson(res, status, payload, headers);
    };
    if (req.method !== "POST" || path !== "/wp-json/wc/v3/coupons/batch")
      return answer(404, {
        code: "rest_no_route",
        message: "No route was found matching the URL and request method.",
        data: { status: 404 },
      });
    if (req.headers.authorization !== expectedAuth)
      return answer(401, {
        code: "woocommerce_rest_cannot_create",
        message: "Sorry, you are not allowed to create resources.",
        data: { status: 401 },
      });
    const failure = failures.shift();
    if (failure)
      return answer(
        failure.status,
        {
          code: "internal_server_error",
          message: "There has been a critical error on this website.",
          data: { status: failure.status },
        },
        failure.status === 429 ? { "retry-after": String(failure.retryAfterSeconds ?? 1) } : {},
      );
    if (!parsed.ok)
      return answer(400, {
        code: "rest_invalid_json",
        message: "Invalid JSON body passed.",
        data: { status: 400 },
      });
    const create = ((parsed.value as { create?: unknown } | undefined)?.create ?? []) as Array<
      Record<string, unknown>
    >;
    if (!Array.isArray(create))
      return answer(400, {
        code: "rest_invalid_param",
        message: "Invalid parameter(s): create",
        data: { status: 400 },
      });
    if (create.length > 100)
      return answer(413, {
        code: "woocommerce_rest_request_entity_too_large",
        message: "Unable to accept more than 100 items for this request.",
        data: { status: 413 },
      });
    const results = create.map((item) => {
      const code = typeof item.code === "string" ? item.code.trim().toLowerCase() : "";
      const error = (c: string, message: string) => ({
        id: 0,
        error: { code: c, message, data: { status: 400 } },
      });
      if (!code) return error("woocommerce_rest_empty_coupon_code", "The coupon code cannot be empty.");
      if (coupons.has(code))
        return error("woocommerce_rest_coupon_code_already_exists", "The coupon code already exists");
      const type = typeof item.discount_type === "string" ? item.discount_type : "fixed_cart";
      if (!TYPES.has(type)) return error("rest_invalid_param", "Invalid parameter(s): discount_type");
      const coupon: WooCoupon = {
        id: nextId++,
        code,
        amount: typeof item.amount === "string" ? item.amount : "0",
        discount_type: type,
        description: typeof item.description === "string" ? item.description : "",
        date_expires_gmt: typeof item.date_expires_gmt === "string" ? item.date_expires_gmt : null,
        usage_limit_per_user:
          typeof item.usage_limit_per_user === "number" ? item.usage_limit_per_user : null,
        email_restrictions: Array.isArray(item.email_restrictions)
          ? (item.email_restrictions as string[])
          : [],
      };
      coupons.set(code, coupon);
      return coupon;
    });
    return answer(200, { create: results });
  });

  return {
    url: server.url,
    key,
    secret,
    calls,
    coupons,
    failNext(failure, count = 1) {
      for (let i = 0; i < count; i++) failures.push(failure);
    },
    close: () => server.close(),
  };
}

import {
  type CodeToCreate,
  type CouponTerms,
  type CreatedCodes,
  retryAfterMs,
  ShopCallError,
  type ShopCoupons,
} from "./coupons.ts";

/** The Admin API version Rapport speaks. */
export const SHOPIFY_API_VERSION = "2025-01";

/** Options of {@link shopifyCoupons}. */
export interface ShopifyCouponsOptions {
  /** SHOPIFY_SHOP: `my-shop` or `my-shop.myshopify.com`. */
  shop: string;
  /** SHOPIFY_ADMIN_TOKEN: an Admin API access token with the write_discounts scope. */
  token: string;
  /** Where the Admin API is, for tests: defaults to `https://<shop>.myshopify.com`. */
  baseUrl?: string;
  /** How long to wait between looks at a bulk creation still running, in ms. Defaults to 500. */
  pollMs?: number;
  /** How many looks before giving up for now (the delivery tries again later). Defaults to 20. */
  polls?: number;
  fetch?: typeof fetch;
}

const CREATE = `mutation discountCodeBasicCreate($basicCodeDiscount: DiscountCodeBasicInput!) {
  discountCodeBasicCreate(basicCodeDiscount: $basicCodeDiscount) {
    codeDiscountNode { id }
    userErrors { field code message }
  }
}`;

const BULK_ADD = `mutation discountRedeemCodeBulkAdd($discountId: ID!, $codes: [DiscountRedeemCodeInput!]!) {
  discountRedeemCodeBulkAdd(discountId: $discountId, codes: $codes) {
    bulkCreation { id }
    userErrors { field code message }
  }
}`;

const BULK_STATUS = `query discountRedeemCodeBulkCreation($id: ID!) {
  discountRedeemCodeBulkCreation(id: $id) {
    id done codesCount importedCount failedCount
    codes(first: 250) { nodes { code discountRedeemCode { id } errors { field code message } } }
  }
}`;

interface UserError {
  field?: string[] | null;
  code?: string | null;
  message: string;
}

/**
 * Shopify's Admin GraphQL API as a {@link ShopCoupons}: one basic code discount per prefix
 * (`discountCodeBasicCreate`, created with the first code), the other codes added in bulk
 * (`discountRedeemCodeBulkAdd`, up to 250 a call) and confirmed once the bulk creation has run
 * (`discountRedeemCodeBulkCreation`). A code Shopify says is taken is ours from an earlier try: confirmed.
 */
export function shopifyCoupons(options: ShopifyCouponsOptions): ShopCoupons {
  const host = options.shop.includes(".") ? options.shop : `${options.shop}.myshopify.com`;
  const url = `${options.baseUrl ?? `https://${host}`}/admin/api/${SHOPIFY_API_VERSION}/graphql.json`;
  const doFetch = options.fetch ?? fetch;
  const pollMs = options.pollMs ?? 500;
  const polls = options.polls ?? 20;

  async function call<T>(query: string, variables: Record<string, unknown>): Promise<T> {
    let response: Response;
    try {
      response = await doFetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", "x-shopify-access-token": options.token },
        body: JSON.stringify({ query, variables }),
      });
    } catch (error) {
      throw new ShopCallError(
        `Shopify could not be reached at ${url}: ${(error as Error).message}`,
        undefined,
        { cause: error },
      );
    }
    if (response.status === 401 || response.status === 403)
      throw new ShopCallError(
        `SHOPIFY_ADMIN_TOKEN was refused by Shopify (${response.status}): create an Admin API access token with the write_discounts scope for ${host} and set it in .env`,
      );
    if (response.status === 429)
      throw new ShopCallError(
        "Shopify throttled the call (429)",
        retryAfterMs(response.headers.get("retry-after")) ?? 2_000,
      );
    if (!response.ok) throw new ShopCallError(`Shopify answered ${response.status} ${response.statusText}`);
    const body = (await response.json()) as {
      data?: T;
      errors?: Array<{ message: string; extensions?: { code?: string } }>;
      extensions?: {
        cost?: {
          requestedQueryCost?: number;
          throttleStatus?: { currentlyAvailable: number; restoreRate: number };
        };
      };
    };
    if (body.errors?.length) {
      if (body.errors.some((e) => e.extensions?.code === "THROTTLED")) {
        const cost = body.extensions?.cost;
        const missing = (cost?.requestedQueryCost ?? 10) - (cost?.throttleStatus?.currentlyAvailable ?? 0);
        const rate = cost?.throttleStatus?.restoreRate || 50;
        throw new ShopCallError(
          "Shopify throttled the call (query cost)",
          Math.max(1_000, Math.ceil((missing / rate) * 1000)),
        );
      }
      throw new ShopCallError(`Shopify refused the call: ${body.errors.map((e) => e.message).join("; ")}`);
    }
    if (!body.data) throw new ShopCallError("Shopify answered without data");
    return body.data;
  }

  const refusal = (errors: UserError[]) =>
    errors.map((e) => `${e.field?.join(".") ?? "(input)"}: ${e.message}`).join("; ");
  const taken = (errors: UserError[]) =>
    errors.length > 0 && errors.every((e) => e.code === "TAKEN" || /taken|already exists/i.test(e.message));

  async function createDiscount(terms: CouponTerms, first: string): Promise<string> {
    const value =
      terms.percentage !== undefined
        ? { percentage: terms.percentage / 100 }
        : { discountAmount: { amount: terms.amount, appliesOnEachItem: false } };
    const data = await call<{
      discountCodeBasicCreate: { codeDiscountNode: { id: string } | null; userErrors: UserError[] };
    }>(CREATE, {
      basicCodeDiscount: {
        title: terms.title,
        code: first,
        startsAt: new Date(0).toISOString(),
        ...(terms.endsAt && { endsAt: terms.endsAt }),
        customerSelection: { all: true },
        customerGets: { value, items: { all: true } },
        appliesOncePerCustomer: terms.oncePerCustomer,
        combinesWith: { orderDiscounts: false, productDiscounts: false, shippingDiscounts: true },
      },
    });
    const result = data.discountCodeBasicCreate;
    if (!result.codeDiscountNode)
      throw new ShopCallError(`Shopify refused the discount ${terms.title}: ${refusal(result.userErrors)}`);
    return result.codeDiscountNode.id;
  }

  return {
    shop: "shopify",
    maxCodes: 250,
    async createCodes(terms, codes, existing): Promise<CreatedCodes> {
      const out: CreatedCodes = { confirmed: [], refused: [] };
      let rest: readonly CodeToCreate[] = codes;
      let discountId = existing;
      if (!discountId) {
        const [first, ...others] = codes;
        if (!first) return out;
        discountId = await createDiscount(terms, first.code);
        out.confirmed.push({ code: first.code });
        rest = others;
      }
      out.discountId = discountId;
      if (rest.length === 0) return out;
      const added = await call<{
        discountRedeemCodeBulkAdd: { bulkCreation: { id: string } | null; userErrors: UserError[] };
      }>(BULK_ADD, { discountId, codes: rest.map((c) => ({ code: c.code })) });
      const bulk = added.discountRedeemCodeBulkAdd;
      if (!bulk.bulkCreation)
        throw new ShopCallError(`Shopify refused the codes for ${terms.title}: ${refusal(bulk.userErrors)}`);
      for (let look = 0; look < polls; look++) {
        const status = await call<{
          discountRedeemCodeBulkCreation: {
            done: boolean;
            codes: {
              nodes: Array<{ code: string; discountRedeemCode: { id: string } | null; errors: UserError[] }>;
            };
          } | null;
        }>(BULK_STATUS, { id: bulk.bulkCreation.id });
        const creation = status.discountRedeemCodeBulkCreation;
        if (creation?.done) {
          for (const node of creation.codes.nodes) {
            if (node.discountRedeemCode || taken(node.errors))
              out.confirmed.push({
                code: node.code,
                ...(node.discountRedeemCode && { shopCodeId: node.discountRedeemCode.id }),
              });
            else out.refused.push({ code: node.code, error: refusal(node.errors) || "not created" });
          }
          return out;
        }
        await new Promise((resolve) => setTimeout(resolve, pollMs));
      }
      throw new ShopCallError(
        `Shopify's bulk creation ${bulk.bulkCreation.id} is still running: looking again later`,
      );
    },
  };
}

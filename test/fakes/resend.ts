import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { dropConnection, parseJson, readText, sendJson, startLocalServer } from "./http.ts";
import { fingerprint, IdempotencyStore, type SavedResponse } from "./resend-idempotency.ts";
import {
  type ReceivedEmailInput,
  receivedEmailRecord,
  receivedWebhookData,
  retrieveReceivedBody,
  type StoredReceivedEmail,
} from "./resend-inbound.ts";
import { RequestRateLimit } from "./resend-limits.ts";
import { type EmailPayload, ResendApiError, validateBatch, validateEmail } from "./resend-validate.ts";
import {
  postSignedWebhook,
  type ResendWebhookEventInput,
  resendWebhookPayload,
  type WebhookCall,
  type WebhookSendOptions,
} from "./resend-webhooks.ts";

/** Options for {@link startFakeResend}. */
export interface FakeResendOptions {
  /** The only API key the fake accepts. Defaults to "re_test_rapport". */
  apiKey?: string;
  /** Requests per second per key, over a sliding window. Defaults to 5, Resend's default; `Infinity` disables it. */
  rateLimit?: number;
  /** How long each send stays in flight before it is answered, in ms. Defaults to 0. */
  latencyMs?: number;
  /** Clock in ms for rate limits, idempotency expiry and `created_at`. Defaults to `Date.now`. */
  now?: () => number;
}

/** An email the fake accepted, as the provider would deliver it. */
export interface StoredEmail extends EmailPayload {
  id: string;
  /** The `Idempotency-Key` of the request that created it. */
  idempotencyKey?: string;
  /** Position in its `POST /emails/batch`, if it came in one. */
  batchIndex?: number;
  created_at: string;
}

/** One request the fake received. */
export interface ResendRequest {
  method: string;
  path: string;
  /** Request headers, lower-cased. */
  headers: Record<string, string>;
  body: unknown;
  /** HTTP status answered; 0 while in flight, -1 when the connection was dropped on purpose. */
  status: number;
  /** When the request arrived, in ms on the fake's clock. */
  receivedAt: number;
  /** When it was answered (or its connection dropped), in ms on the fake's clock; unset while in flight. */
  answeredAt?: number;
}

/** A failure to inject with {@link FakeResend.failNext}. */
export interface ResendFailure {
  /** HTTP status. Defaults to 500. */
  status?: number;
  /** Error name, e.g. "rate_limit_exceeded". Defaults to Resend's name for the status. */
  name?: string;
  message?: string;
  /** How many consecutive requests fail. Defaults to 1. */
  times?: number;
  /** Seconds, sent as `retry-after` with a 429. Defaults to 1. */
  retryAfter?: number;
  /** Accept and store the email(s) and the idempotency key first, then fail: the response is "lost". */
  acceptThenFail?: boolean;
  /** Cut the connection instead of answering. */
  dropConnection?: boolean;
  /**
   * Never answer: the connection stays open until the client gives up (a provider that hangs). With
   * `acceptThenFail`, the email(s) and the idempotency key are stored first: the answer is what is lost.
   */
  hang?: boolean;
}

/** A running fake Resend API. */
export interface FakeResend {
  /** Pass as `new Resend(apiKey, { baseUrl })`. */
  readonly baseUrl: string;
  readonly apiKey: string;
  /** Every accepted email, once each, in order. */
  readonly emails: StoredEmail[];
  /** Every request, in arrival order. */
  readonly requests: ResendRequest[];
  /** Makes the next request(s) fail. */
  failNext(failure: ResendFailure): void;
  /**
   * From now on, `fraction` of the requests (0 to 1, spread evenly: with 0.05, every twentieth) not already
   * failed by {@link failNext} fail with `failure`; 0 stops it.
   */
  failSome(fraction: number, failure: ResendFailure): void;
  /** Changes how long each send stays in flight, in ms. */
  setLatency(ms: number): void;
  /** Every email received for our domains ({@link receive}), as `GET /emails/receiving/{id}` serves it. */
  readonly received: StoredReceivedEmail[];
  /** An email arrives for one of our receiving addresses: stored, ready to be retrieved; returns it. */
  receive(email: ReceivedEmailInput): StoredReceivedEmail;
  /**
   * POSTs a Resend webhook event to `url`, signed with `secret` (`whsec_…`) the way Svix signs it. Fields of
   * `event.data` left out (from, to, subject, created_at) are taken from the stored email with that `email_id`;
   * for `email.received`, from the received email, with exactly the fields Resend sends (metadata, no body).
   */
  sendWebhook(
    url: string,
    secret: string,
    event: ResendWebhookEventInput,
    options?: WebhookSendOptions,
  ): Promise<WebhookCall>;
  /** Every webhook call made with {@link sendWebhook}, in order. */
  readonly webhooks: WebhookCall[];
  close(): Promise<void>;
}

const DEFAULT_ERRORS: Record<number, [string, string]> = {
  400: ["validation_error", "We found an error with one or more fields in the request."],
  401: ["missing_api_key", "Missing API key in the authorization header."],
  403: ["invalid_api_key", "API key is invalid."],
  404: ["not_found", "The requested endpoint does not exist."],
  422: ["validation_error", "We found an error with one or more fields in the request."],
  429: ["rate_limit_exceeded", "Too many requests. Please limit the number of requests per second."],
  500: ["application_error", "An unexpected error occurred."],
};

function failureError(failure: ResendFailure): ResendApiError {
  const status = failure.status ?? 500;
  const [name, message] = DEFAULT_ERRORS[status] ?? ["application_error", "An unexpected error occurred."];
  return new ResendApiError(status, failure.name ?? name, failure.message ?? message);
}

/** Starts a fake Resend API on 127.0.0.1 that speaks the real wire format. */
export async function startFakeResend(options: FakeResendOptions = {}): Promise<FakeResend> {
  const apiKey = options.apiKey ?? "re_test_rapport";
  const now = options.now ?? Date.now;
  const perSecond = options.rateLimit ?? 5;
  const limiter = new RequestRateLimit(perSecond, now);
  const idempotency = new IdempotencyStore(now);
  const emails: StoredEmail[] = [];
  const requests: ResendRequest[] = [];
  const failures: ResendFailure[] = [];
  const webhooks: WebhookCall[] = [];
  const received: StoredReceivedEmail[] = [];
  let latencyMs = options.latencyMs ?? 0;
  let some: { fraction: number; failure: ResendFailure; seen: number } | undefined;
  /** The failure of the requests {@link FakeResend.failSome} picks: one whenever the running share steps up. */
  const sometimes = (): ResendFailure | undefined => {
    if (some === undefined) return undefined;
    some.seen += 1;
    const due = Math.floor(some.seen * some.fraction) > Math.floor((some.seen - 1) * some.fraction);
    return due ? some.failure : undefined;
  };

  function store(payload: EmailPayload, key: string | undefined, batchIndex?: number): StoredEmail {
    const email: StoredEmail = { ...payload, id: randomUUID(), created_at: new Date(now()).toISOString() };
    if (key !== undefined) email.idempotencyKey = key;
    if (batchIndex !== undefined) email.batchIndex = batchIndex;
    emails.push(email);
    return email;
  }

  /** Validates and stores a send; returns the success body. Throws ResendApiError for refusals. */
  function accept(path: string, body: unknown, key: string | undefined, permissive: boolean): unknown {
    if (path === "/emails") return { id: store(validateEmail(body), key).id };
    const batch = validateBatch(body);
    const valid: { index: number; email: EmailPayload }[] = [];
    const errors: { index: number; message: string }[] = [];
    batch.forEach((item, index) => {
      try {
        if (typeof item === "object" && item !== null && "attachments" in item && item.attachments != null) {
          throw new ResendApiError(422, "validation_error", "Attachments are not supported in batch emails.");
        }
        valid.push({ index, email: validateEmail(item) });
      } catch (error) {
        if (!(error instanceof ResendApiError) || !permissive) throw error;
        errors.push({ index, message: error.message });
      }
    });
    const data = valid.map(({ index, email }) => ({ id: store(email, key, index).id }));
    return permissive ? { data, errors } : { data };
  }

  async function handleSend(path: string, text: string, record: ResendRequest): Promise<SavedResponse> {
    const parsed = parseJson(text);
    if (!parsed.ok) throw new ResendApiError(400, "validation_error", `Invalid JSON body: ${parsed.reason}`);
    const key = record.headers["idempotency-key"];
    const permissive = record.headers["x-batch-validation"] === "permissive";
    if (key !== undefined) {
      const decision = idempotency.begin(key, fingerprint(path, parsed.value));
      if (decision.kind === "replay") return decision.response;
    }
    try {
      if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
      const response = { status: 200, body: accept(path, parsed.value, key, permissive) };
      if (key !== undefined) idempotency.finish(key, response);
      return response;
    } catch (error) {
      if (key !== undefined) idempotency.release(key);
      throw error;
    }
  }

  function lookup(id: string): SavedResponse {
    const email = emails.find((e) => e.id === id);
    if (email === undefined) throw new ResendApiError(404, "not_found", "Email not found");
    const { idempotencyKey: _key, batchIndex: _index, ...wire } = email;
    return { status: 200, body: { object: "email", ...wire, last_event: "delivered" } };
  }

  function lookupReceived(id: string, htmlFormat: string | null): SavedResponse {
    const email = received.find((e) => e.id === id);
    if (email === undefined) throw new ResendApiError(404, "not_found", "Email not found");
    return { status: 200, body: retrieveReceivedBody(email, htmlFormat) };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? "GET";
    const url = new URL(req.url ?? "/", "http://localhost");
    const path = url.pathname.replace(/\/$/, "");
    const headers = Object.fromEntries(
      Object.entries(req.headers).flatMap(([k, v]) => (typeof v === "string" ? [[k, v]] : [])),
    );
    const text = await readText(req);
    const parsed = parseJson(text);
    const record: ResendRequest = {
      method,
      path,
      headers,
      body: parsed.ok ? parsed.value : text,
      status: 0,
      receivedAt: now(),
    };
    requests.push(record);
    let limitHeaders: Record<string, string> = {};
    const answer = (status: number, body: unknown) => {
      sendJson(res, status, body, limitHeaders);
      record.status = status;
      record.answeredAt = now();
    };
    try {
      const auth = /^Bearer\s+(\S+)$/i.exec(headers.authorization ?? "")?.[1];
      if (auth === undefined) throw failureError({ status: 401 });
      if (auth !== apiKey) throw failureError({ status: 403 });
      const rate = limiter.take();
      limitHeaders = rate.headers;
      if (!rate.allowed) {
        const message = `Too many requests. You can only make ${perSecond} requests per second. See rate limit response headers for more information. Or contact support to increase rate limit.`;
        throw new ResendApiError(429, "rate_limit_exceeded", message);
      }
      const failure = failures.shift() ?? sometimes();
      const fail = (f: ResendFailure) => {
        if (f.hang) {
          res.once("close", () => {
            record.status = -1;
            record.answeredAt = now();
          });
          return;
        }
        if (f.dropConnection) {
          dropConnection(res);
          record.status = -1;
          record.answeredAt = now();
          return;
        }
        if ((f.status ?? 500) === 429)
          limitHeaders = { ...limitHeaders, "retry-after": String(f.retryAfter ?? 1) };
        const error = failureError(f);
        answer(error.statusCode, error.toBody());
      };
      if (failure !== undefined && !failure.acceptThenFail) return fail(failure);
      let response: SavedResponse;
      if (path === "/emails" || path === "/emails/batch") {
        if (method !== "POST") {
          throw new ResendApiError(
            405,
            "method_not_allowed",
            "Method is not allowed for the requested path.",
          );
        }
        response = await handleSend(path, text, record);
      } else if (method === "GET" && /^\/emails\/receiving\/[^/]+$/.test(path)) {
        response = lookupReceived(
          path.slice("/emails/receiving/".length),
          url.searchParams.get("html_format"),
        );
      } else if (method === "GET" && /^\/emails\/[^/]+$/.test(path)) {
        response = lookup(path.slice("/emails/".length));
      } else {
        throw failureError({ status: 404 });
      }
      if (failure !== undefined) return fail(failure);
      answer(response.status, response.body);
    } catch (error) {
      if (!(error instanceof ResendApiError)) throw error;
      answer(error.statusCode, error.toBody());
    }
  }

  const local = await startLocalServer(handle);
  return {
    baseUrl: local.url,
    apiKey,
    emails,
    requests,
    failNext(failure) {
      for (let i = 0; i < (failure.times ?? 1); i += 1) failures.push(failure);
    },
    failSome(fraction, failure) {
      some = fraction > 0 ? { fraction, failure, seen: 0 } : undefined;
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    webhooks,
    received,
    receive(input) {
      const email = receivedEmailRecord(input, now());
      received.push(email);
      return email;
    },
    async sendWebhook(url, secret, event, sendOptions = {}) {
      const inbound = received.find((e) => e.id === event.data.email_id);
      const nowIso = new Date(now()).toISOString();
      const payload =
        event.type === "email.received" && inbound
          ? {
              type: event.type,
              created_at: event.created_at ?? nowIso,
              data: { ...receivedWebhookData(inbound), ...event.data },
            }
          : resendWebhookPayload(
              event,
              emails.find((e) => e.id === event.data.email_id),
              nowIso,
            );
      const body = sendOptions.rawBody ?? JSON.stringify(payload);
      const call = await postSignedWebhook(url, secret, body, { ...sendOptions, nowMs: now() });
      webhooks.push(call);
      return call;
    },
    close: () => local.close(),
  };
}

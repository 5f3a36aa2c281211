import { randomUUID } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, it } from "vitest";
import { recordUpload, uploadPathOf } from "../../console/import-store.ts";
import { createApiToken } from "../../lib/api-tokens.ts";
import { addStaff, PASSWORD } from "../console/support.ts";
import { assertAlive, clientIp, type RawResponse, send, sendChecked, useFuzzApp } from "./support/app.ts";
import { checkProperty, useFuzzSummary } from "./support/run.ts";
import { hostileString, jsonText, mutate, mutation } from "./support/values.ts";

const fuzz = useFuzzApp();
const summary = useFuzzSummary("console-forms");
const BROWSER = "text/html,application/xhtml+xml,*/*;q=0.8";
let session: { cookie: string; csrf: string };
const ids: Record<
  | "conversation"
  | "customer"
  | "other"
  | "canned"
  | "delivery"
  | "token"
  | "webhook"
  | "message"
  | "import"
  | "hit",
  string
> = {
  conversation: "",
  customer: "",
  other: "",
  canned: "",
  delivery: "",
  token: "",
  webhook: "",
  message: "",
  import: "",
  hit: "",
};

const cookiesOf = (response: RawResponse) =>
  ([response.headers["set-cookie"] ?? []].flat() as string[]).map((c) => c.split(";")[0]!).join("; ");

/** Signs in through the login form over HTTP, as a browser does, and reads the session's CSRF token. */
async function signIn(email: string): Promise<{ cookie: string; csrf: string }> {
  const url = fuzz.app.url!;
  const headers = { accept: BROWSER, "x-forwarded-for": "192.0.2.10" };
  const page = await send(url, { method: "GET", path: "/console/login", headers });
  const formCsrf = /name="_csrf" value="([^"]+)"/.exec(page.body.toString())?.[1] ?? "";
  const login = await send(url, {
    method: "POST",
    path: "/console/login",
    headers: { ...headers, "content-type": "application/x-www-form-urlencoded", cookie: cookiesOf(page) },
    body: Buffer.from(new URLSearchParams({ email, password: PASSWORD, _csrf: formCsrf }).toString()),
  });
  if (login.status !== 303) throw new Error(`sign-in answered ${login.status}`);
  const cookie = cookiesOf(login)
    .split("; ")
    .filter((c) => c.startsWith("rapport_session="))
    .join("; ");
  const inbox = await send(url, { method: "GET", path: "/console/inbox", headers: { ...headers, cookie } });
  const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(inbox.body.toString())?.[1];
  if (!csrf) throw new Error(`no CSRF token on the inbox (${inbox.status})`);
  return { cookie, csrf };
}

beforeAll(async () => {
  const db = fuzz.db;
  const email = `admin.${randomUUID()}@example.com`;
  await addStaff(db, email, "admin", { name: "Adi Admin" });
  session = await signIn(email);
  const customer = await db.customer.create({
    data: {
      name: "Siti Rahma",
      email: "siti.fuzz@example.com",
      locale: "id",
      identities: { create: { channel: "telegram", externalId: "704555" } },
    },
  });
  const other = await db.customer.create({
    data: { name: "Siti R.", email: "siti.r@example.com", locale: "id" },
  });
  const conversation = await db.conversation.create({
    data: {
      customerId: customer.id,
      channel: "telegram",
      threadRef: "704555",
      status: "open",
      handedOver: true,
    },
  });
  const canned = await db.cannedResponse.create({
    data: { shortcut: "greet", locale: "en", title: "Greeting", body: "Hi {{customer.firstName}}!" },
  });
  const delivery = await db.delivery.create({
    data: {
      key: `fuzz/${randomUUID()}`,
      customerId: customer.id,
      channel: "telegram",
      recipient: "704555",
      status: "failed",
      conversationId: conversation.id,
    },
  });
  const token = await createApiToken(db, { name: "till", scopes: ["events:write"], createdBy: email });
  const webhook = await db.webhookSubscription.create({
    data: {
      name: "ERP",
      url: "https://127.0.0.1:9/hooks",
      events: ["*"],
      fields: [],
      secret: "whsec_x",
      createdBy: email,
    },
  });
  const message = await db.webhookMessage.create({
    data: { subscriptionId: webhook.id, msgId: "msg_fuzz", type: "purchase.created", payload: { data: {} } },
  });
  // an uploaded import waiting for its mapping, as POST /console/import leaves it
  const importId = randomUUID();
  const upload = uploadPathOf(
    { dir: path.join(fuzz.app.dataDir, "imports"), maxBytes: 0, keepDays: 7 },
    importId,
  );
  mkdirSync(path.dirname(upload), { recursive: true });
  writeFileSync(upload, "\uFEFFImię;E-mail;Telefon\r\nZofia;zofia.fuzz@example.com;601 234 567\r\n");
  const adminUser = await db.staffUser.findUniqueOrThrow({ where: { email } });
  // a keyword hit on the listening desk, as capture leaves it
  const post = await db.interaction.create({
    data: {
      customerId: other.id,
      channel: "x",
      direction: "inbound",
      author: "customer",
      externalId: "1890000000000000001",
      text: "kopi senja?",
      sentAt: new Date(),
      raw: { tweet: { id: "1890000000000000001", author_id: "2244994945" } },
    },
  });
  await db.listeningHit.create({
    data: { interactionId: post.id, channel: "x", keywords: ["kopi senja"], sentAt: post.sentAt },
  });
  await recordUpload(db, {
    id: importId,
    kind: "customers",
    name: "klienci.csv",
    size: 60,
    staffUserId: adminUser.id,
    at: new Date(),
  });
  Object.assign(ids, {
    hit: post.id,
    import: importId,
    token: token.id,
    webhook: webhook.id,
    message: message.id,
    conversation: conversation.id,
    customer: customer.id,
    other: other.id,
    canned: canned.id,
    delivery: delivery.id,
  });
});
afterAll(async () => {
  await assertAlive(fuzz.app.url!);
});

type IdKind = keyof typeof ids;
/** Every form a signed-in admin can post, with a valid sample of its fields (placeholders filled in at run time). */
const FORMS: { path: (id: string) => string; id: IdKind | undefined; sample: Record<string, string> }[] = [
  {
    path: (id) => `/console/conversations/${id}/reply`,
    id: "conversation",
    sample: { text: "Sudah dikirim kemarin.", formId: "@UUID@", seen: "", shown: "" },
  },
  {
    path: (id) => `/console/conversations/${id}/note`,
    id: "conversation",
    sample: { text: "VIP, be kind", formId: "@UUID@" },
  },
  { path: (id) => `/console/conversations/${id}/assign`, id: "conversation", sample: { assignee: "me" } },
  {
    path: (id) => `/console/conversations/${id}/snooze`,
    id: "conversation",
    sample: { choice: "custom", at: "2026-12-24T09:00" },
  },
  { path: (id) => `/console/conversations/${id}/status`, id: "conversation", sample: { status: "pending" } },
  { path: (id) => `/console/conversations/${id}/close`, id: "conversation", sample: {} },
  { path: (id) => `/console/conversations/${id}/presence`, id: "conversation", sample: { state: "typing" } },
  { path: (id) => `/console/deliveries/${id}/retry`, id: "delivery", sample: {} },
  {
    path: () => "/console/canned",
    id: undefined,
    sample: { shortcut: "thanks", locale: "pl", title: "Dzięki", body: "Dziękujemy, {{customer.name}}!" },
  },
  {
    path: (id) => `/console/canned/${id}`,
    id: "canned",
    sample: { shortcut: "greet", locale: "en", title: "Hello", body: "Hello!" },
  },
  { path: (id) => `/console/canned/${id}/delete`, id: "canned", sample: {} },
  {
    path: () => "/console/staff",
    id: undefined,
    sample: {
      email: "ayu@example.com",
      name: "Ayu",
      role: "agent",
      locale: "id",
      password: "a long enough password",
    },
  },
  { path: (id) => `/console/customers/${id}/export`, id: "customer", sample: {} },
  { path: (id) => `/console/customers/${id}/merge`, id: "customer", sample: { other: "@OTHER@" } },
  {
    path: (id) => `/console/customers/${id}/erase`,
    id: "customer",
    sample: { confirm: "nobody@example.com" },
  },
  { path: (id) => `/console/campaigns/${id}/pause`, id: undefined, sample: {} },
  { path: (id) => `/console/campaigns/${id}/resume`, id: undefined, sample: {} },
  { path: (id) => `/console/campaigns/${id}/test`, id: undefined, sample: { customer: "@UUID@" } },
  { path: () => "/console/me/locale", id: undefined, sample: { locale: "en", next: "/console/inbox" } },
  { path: () => "/console/tokens", id: undefined, sample: { name: "call centre", scopes: "customers:read" } },
  { path: (id) => `/console/tokens/${id}/revoke`, id: "token", sample: {} },
  {
    path: () => "/console/webhooks",
    id: undefined,
    sample: {
      name: "ERP",
      url: "https://erp.example.com/hooks",
      events: "purchase.created",
      fields: "orderId, total",
    },
  },
  { path: () => "/console/import", id: undefined, sample: { kind: "customers" } },
  {
    path: (id) => `/console/import/${id}/preview`,
    id: "import",
    sample: { map_0: "firstName", map_1: "", map_2: "ignore", country: "PL", dryRun: "1" },
  },
  {
    path: (id) => `/console/import/${id}/start`,
    id: "import",
    sample: { map_0: "", map_1: "email", country: "pl", dryRun: "1" },
  },
  {
    path: (id) => `/console/listening/${id}/reply`,
    id: "hit",
    sample: { text: "Terima kasih!", formId: "@UUID@", mode: "public" },
  },
  { path: (id) => `/console/listening/${id}/assign`, id: "hit", sample: { assignee: "me" } },
  { path: (id) => `/console/listening/${id}/status`, id: "hit", sample: { status: "escalated" } },
  { path: (id) => `/console/listening/${id}/conversation`, id: "hit", sample: {} },
  { path: (id) => `/console/webhooks/${id}/pause`, id: "webhook", sample: {} },
  { path: (id) => `/console/webhooks/${id}/resume`, id: "webhook", sample: {} },
  { path: (id) => `/console/webhooks/${id}/remove`, id: "webhook", sample: {} },
  {
    path: (id) => `/console/webhooks/${ids.webhook}/messages/${id}/replay`,
    id: "message",
    sample: {},
  },
];

/** Percent-encodes every byte, so any string (lone surrogates too) can stand in a path or a form. */
const encodeBytes = (text: string) => Buffer.from(text, "utf8").toString("hex").replace(/../g, "%$&");

const pathId = fc.oneof(
  { weight: 4, arbitrary: fc.constant<string | undefined>(undefined) },
  {
    weight: 1,
    arbitrary: fc.constantFrom("thank-you", "win-back-60d", "00000000-0000-4000-8000-000000000000"),
  },
  { weight: 1, arbitrary: hostileString.filter((s) => s.length > 0 && s.length < 2_000).map(encodeBytes) },
);

const request = fc.record({
  form: fc.constantFrom(...FORMS.keys()),
  id: pathId,
  changes: fc.array(mutation, { maxLength: 2 }),
  encoding: fc.oneof(
    { weight: 6, arbitrary: fc.constant("form") },
    { weight: 2, arbitrary: fc.constant("json") },
    { weight: 1, arbitrary: fc.constantFrom("text/plain", "none") },
  ),
  csrf: fc.oneof(
    { weight: 6, arbitrary: fc.constant("field") },
    { weight: 2, arbitrary: fc.constant("header") },
    { weight: 1, arbitrary: fc.constantFrom("missing", "wrong") },
  ),
  accept: fc.constantFrom(BROWSER, "application/json", "*/*"),
});

it("answers every generated console form 2xx/3xx or a 4xx saying what was wrong, never 5xx; a refusal writes nothing", async () => {
  await checkProperty(
    summary,
    "console forms",
    request,
    async (generated) => {
      const form = FORMS[generated.form]!;
      const id = generated.id ?? (form.id ? ids[form.id] : "thank-you");
      const fields = JSON.parse(
        JSON.stringify(form.sample).replaceAll("@UUID@", randomUUID()).replaceAll("@OTHER@", ids.other),
      ) as Record<string, unknown>;
      if (generated.csrf === "field") fields._csrf = session.csrf;
      if (generated.csrf === "wrong") fields._csrf = `${session.csrf}x`;
      const changed = mutate(fields, generated.changes);
      const { body, contentType } = encode(changed, generated.encoding);
      const path = form.path(id);
      const response = await sendChecked(
        fuzz.db,
        fuzz.app.url!,
        {
          method: "POST",
          path,
          headers: {
            accept: generated.accept,
            cookie: session.cookie,
            "content-type": contentType,
            "x-csrf-token": generated.csrf === "header" ? session.csrf : undefined,
            "x-forwarded-for": clientIp(generated.form),
          },
          body,
        },
        { html: true },
      );
      summary.count(`POST ${form.path(":id")}`, response.status);
      if ((generated.csrf === "missing" || generated.csrf === "wrong") && response.status < 400)
        throw new Error(`a form without its CSRF token was accepted with ${response.status}`);
    },
    100,
  );
});

/** A generated form as the body of a POST: form-encoded as a browser would, JSON as a script would, or other. */
function encode(fields: unknown, encoding: string): { body: Buffer; contentType: string | undefined } {
  if (encoding === "json")
    return { body: Buffer.from(jsonText(fields as never)), contentType: "application/json" };
  const flat =
    typeof fields === "object" && fields !== null && !Array.isArray(fields)
      ? Object.entries(fields).map(([key, value]) => [
          key,
          typeof value === "string" ? value : jsonText(value as never),
        ])
      : [["value", jsonText(fields as never)]];
  const text = flat.map(([key, value]) => `${encodeBytes(key!)}=${encodeBytes(value!)}`).join("&");
  if (encoding === "form")
    return { body: Buffer.from(text), contentType: "application/x-www-form-urlencoded" };
  return { body: Buffer.from(text), contentType: encoding === "none" ? undefined : encoding };
}

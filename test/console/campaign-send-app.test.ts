import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { compileCampaign } from "../../campaigns/index.ts";
import { shipCampaign } from "../../workers/index.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { useTestDatabase } from "../support/db.ts";
import { readEml } from "../support/eml.ts";
import { TEST_REDIS_URL, useTestRedis } from "../support/redis.ts";
import { FLASH } from "./campaign-send-support.ts";
import { addStaff, PASSWORD, uniqueEmail } from "./support.ts";

/**
 * "Send me a test" in the whole app as `rapport start` wires it, with no email credentials: the test goes
 * through the email channel's outbox transport into `.data/outbox/email/`, and no Delivery is written.
 */
const database = useTestDatabase();
const redis = useTestRedis();
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({
    databaseUrl: database.url,
    redisUrl: TEST_REDIS_URL,
    prefix: redis.prefix,
    workers: false,
  });
}, 60_000);
afterAll(() => app?.close());

const cookies = (response: Response) =>
  response.headers
    .getSetCookie()
    .map((c) => c.split(";")[0]!)
    .join("; ");

it("writes the marketer's test email to the outbox, with no Delivery", async () => {
  await shipCampaign(database.db, compileCampaign(FLASH, "flash.yaml"), FLASH, { activate: true });
  const siti = await database.db.customer.create({
    data: { name: "Siti Rahma", email: "siti@example.com", locale: "id" },
  });
  const email = uniqueEmail("marketer");
  await addStaff(database.db, email, "marketer", { locale: "id" });
  const url = app.url!;
  const login = await fetch(`${url}/console/login`);
  const formCsrf = /name="_csrf" value="([^"]+)"/.exec(await login.text())?.[1] ?? "";
  const signedIn = await fetch(`${url}/console/login`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: cookies(login) },
    body: new URLSearchParams({ email, password: PASSWORD, _csrf: formCsrf }),
  });
  expect(signedIn.status).toBe(303);
  const cookie = cookies(signedIn)
    .split("; ")
    .filter((c) => c.startsWith("rapport_session="))
    .join("; ");
  const preview = await fetch(`${url}/console/campaigns/flash/preview?customer=${siti.id}`, {
    headers: { cookie },
  });
  const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(await preview.text())?.[1] ?? "";
  const sent = await fetch(`${url}/console/campaigns/flash/test`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie },
    body: new URLSearchParams({ customer: siti.id, _csrf: csrf }),
  });
  expect(sent.status).toBe(303);
  expect(sent.headers.get("location")).toContain("test=sent");
  const folder = path.join(app.dataDir, "outbox", "email");
  const files = readdirSync(folder);
  expect(files).toHaveLength(1);
  const eml = readEml(readFileSync(path.join(folder, files[0]!), "utf8"));
  expect(eml.to).toBe(email);
  // the marketer reads Indonesian: the subject is marked [Uji]
  expect(eml.subject).toBe("[Uji] Flash sale");
  expect(eml.body).toContain("Siti Rahma");
  expect(await database.db.delivery.count()).toBe(0);
}, 30_000);

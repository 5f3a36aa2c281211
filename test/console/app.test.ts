import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { useTestDatabase } from "../support/db.ts";
import { useTestRedis } from "../support/redis.ts";

const database = useTestDatabase();
const { prefix, url: redisUrl } = useTestRedis();
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({ databaseUrl: database.url, redisUrl, prefix });
});
afterAll(async () => {
  await app?.close();
});

describe("rapport start", () => {
  it("serves the console under /console", async () => {
    const login = await fetch(`${app.url}/console/login`, { headers: { accept: "text/html" } });
    expect(login.status).toBe(200);
    expect(await login.text()).toContain("Rapport Shop staff console");
    const inbox = await fetch(`${app.url}/console/inbox`, {
      headers: { accept: "text/html" },
      redirect: "manual",
    });
    expect(inbox.status).toBe(302);
    expect(inbox.headers.get("location")).toBe("/console/login");
  });
});

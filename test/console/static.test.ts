import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "../support/db.ts";
import { BROWSER, startConsole } from "./support.ts";

const database = useTestDatabase();
let http: FastifyInstance;

beforeAll(async () => {
  ({ http } = await startConsole({ db: database.db }));
});
afterAll(async () => {
  await http.close();
});

describe("console assets", () => {
  it("are linked from every page by a content-hashed URL and cached for good there", async () => {
    const login = await http.inject({ url: "/console/login", headers: BROWSER });
    const css = /href="(\/console\/assets\/console\.css\?v&#x3D;[0-9a-f]{12})"/.exec(login.body)?.[1];
    const js = /src="(\/console\/assets\/console\.js\?v&#x3D;[0-9a-f]{12})" defer/.exec(login.body)?.[1];
    expect(css && js).toBeTruthy();
    for (const [url, type] of [
      [css!, "text/css; charset=utf-8"],
      [js!, "text/javascript; charset=utf-8"],
    ] as const) {
      const response = await http.inject({ url: url.replace("&#x3D;", "=") });
      expect(response.statusCode).toBe(200);
      expect(response.headers["content-type"]).toBe(type);
      expect(response.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
      expect(response.headers["set-cookie"]).toBeUndefined();
    }
  });

  it("are revalidated by ETag at an unversioned URL, without signing in", async () => {
    const first = await http.inject({ url: "/console/assets/console.css" });
    expect(first.statusCode).toBe(200);
    expect(first.headers["cache-control"]).toBe("public, max-age=300");
    expect(first.body).toContain(":focus-visible");
    const again = await http.inject({
      url: "/console/assets/console.css",
      headers: { "if-none-match": String(first.headers.etag) },
    });
    expect(again.statusCode).toBe(304);
    expect((await http.inject({ url: "/console/assets/nope.css" })).statusCode).toBe(404);
    expect((await http.inject({ url: "/console/assets/..%2Fi18n.ts" })).statusCode).toBe(404);
  });

  it("include the script that adds the CSRF header and the keyboard shortcuts", async () => {
    const js = await http.inject({ url: "/console/assets/console.js" });
    expect(js.body).toContain('meta[name="csrf-token"]');
    expect(js.body).toContain("x-csrf-token");
    expect(js.body).toContain("htmx:configRequest");
    expect(js.body).toContain("data-shortcut");
  });
});

import { describe, expect, it } from "vitest";
import { createHttpServer, jsonOnly, jsonOrForm, trustProxyOption } from "../../lib/http.ts";
import { silentLogger } from "../../lib/logger.ts";

async function clientIp(trustProxy: string | undefined, forwardedFor: string): Promise<string> {
  const app = createHttpServer({ log: silentLogger, trustProxy: trustProxyOption(trustProxy) });
  app.get("/ip", async (request) => ({ ip: request.ip }));
  try {
    const response = await app.inject({
      url: "/ip",
      remoteAddress: "10.0.0.5",
      headers: { "x-forwarded-for": forwardedFor },
    });
    return response.json().ip;
  } finally {
    await app.close();
  }
}

describe("TRUST_PROXY", () => {
  it("ignores X-Forwarded-For by default, so a client cannot choose its address", async () => {
    expect(await clientIp(undefined, "198.51.100.1")).toBe("10.0.0.5");
  });

  it("believes the nearest hops, or the listed proxies, when told to", async () => {
    expect(await clientIp("1", "203.0.113.9, 198.51.100.1")).toBe("198.51.100.1");
    expect(await clientIp("10.0.0.0/8", "198.51.100.1")).toBe("198.51.100.1");
    expect(await clientIp("192.168.0.0/16", "198.51.100.1")).toBe("10.0.0.5");
  });
});

describe("bodies", () => {
  async function echo(contentType: string, payload: string) {
    const app = createHttpServer({ log: silentLogger });
    app.post("/echo", async (request) => ({ body: request.body }));
    try {
      return await app.inject({
        method: "POST",
        url: "/echo",
        headers: { "content-type": contentType },
        payload,
      });
    } finally {
      await app.close();
    }
  }

  it("refuses JSON nested 100 000 deep with 400 instead of overflowing the stack", async () => {
    const deep = `${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}`;
    const response = await echo("application/json", deep);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: "invalid_body" });
    expect(response.json().message).toMatch(/nested deeper than 64 levels of objects and arrays at a\.a\.a/);
    expect(response.json().issues).toEqual([
      { path: Array(64).fill("a").join("."), message: "nested deeper than 64 levels of objects and arrays" },
    ]);
    const fine = await echo("application/json", `${"[".repeat(64)}${"]".repeat(64)}`);
    expect(fine.statusCode).toBe(200);
  });

  it("drops U+0000 and lone surrogates from JSON strings and keys, and from form fields", async () => {
    const json = await echo(
      "application/json",
      '{"te\\u0000xt": ["a\\u0000b", "c\\ud800d", "\\ud83d\\ude00"]}',
    );
    expect(json.statusCode).toBe(200);
    expect(json.json().body).toEqual({ text: ["ab", "cd", "😀"] });
    const form = await echo("application/x-www-form-urlencoded", "na%00me=Ada%00+Lovelace&note=%ED%A0%80ok");
    expect(form.json().body).toEqual({ name: "Ada Lovelace", note: "\uFFFD\uFFFD\uFFFDok" });
  });

  it("drops U+0000 and lone surrogates from query strings, keeping repeated keys as arrays", async () => {
    const app = createHttpServer({ log: silentLogger });
    app.get("/q", async (request) => ({ query: request.query }));
    try {
      const response = await app.inject({ url: "/q?na%00me=a%00b&x=1&x=2&x=3&__proto__=p&q=J%C3%B3zef+K" });
      expect(response.json().query).toEqual({
        name: "ab",
        x: ["1", "2", "3"],
        ["__proto__"]: "p",
        q: "Józef K",
      });
    } finally {
      await app.close();
    }
  });

  it("drops U+0000 from path parameters (a console route once answered 500 to %00; a percent-encoded surrogate is not valid UTF-8 and gets 400)", async () => {
    const app = createHttpServer({ log: silentLogger });
    app.get("/campaigns/:id/pause", async (request) => ({ params: request.params }));
    try {
      const response = await app.inject({ url: "/campaigns/win%00back/pause" });
      expect(response.statusCode).toBe(200);
      expect(response.json().params).toEqual({ id: "winback" });
    } finally {
      await app.close();
    }
  });

  it("answers 415 'send application/json' on a JSON-only route, before reading the body", async () => {
    const app = createHttpServer({ log: silentLogger });
    app.post("/signed", { onRequest: jsonOnly }, async (request) => ({ bytes: request.rawBody?.length }));
    app.post("/shop", { onRequest: jsonOrForm }, async () => ({ ok: true }));
    try {
      const post = (url: string, contentType: string | undefined) =>
        app.inject({
          method: "POST",
          url,
          headers: contentType ? { "content-type": contentType } : {},
          payload: '{"a":1}',
        });
      for (const type of ["text/plain", "text/plain; charset=utf-8", "application/xml", undefined]) {
        const response = await post("/signed", type);
        expect(response.statusCode, type).toBe(415);
        expect(response.json().error).toBe("unsupported_media_type");
        expect(response.json().message).toMatch(/^send application\/json/);
      }
      expect((await post("/signed", "application/json; charset=utf-8")).json()).toEqual({ bytes: 7 });
      expect((await post("/shop", "application/x-www-form-urlencoded")).statusCode).toBe(200);
      expect((await post("/shop", "text/plain")).statusCode).toBe(415);
    } finally {
      await app.close();
    }
  });
});

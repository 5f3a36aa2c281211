import { describe, expect, it } from "vitest";
import { createHttpServer, trustProxyOption } from "../../lib/http.ts";
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

import { ApiResponseError } from "twitter-api-v2";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createXClient } from "../../bots/x/index.ts";
import { type FakeX, startFakeX, X_ROUTES } from "./x.ts";

let fake: FakeX;
beforeEach(async () => {
  fake = await startFakeX();
});
afterEach(() => fake.close());

const client = () => createXClient({ ...fake.credentials, apiRoot: fake.apiRoot });

describe("fake X API v2", () => {
  it("answers a request signed with other secrets with 401 in X's problem format", async () => {
    const bad = createXClient({ ...fake.credentials, appSecret: "not-it", apiRoot: fake.apiRoot });
    const error = await bad.v2.get("users/me").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiResponseError);
    expect((error as ApiResponseError).data).toEqual({
      title: "Unauthorized",
      detail: "Unauthorized",
      type: "about:blank",
      status: 401,
    });
  });

  it("rejects parameters X rejects: unknown names and max_results out of bounds", async () => {
    const mentions = `users/${fake.brand.id}/mentions`;
    await expect(client().v2.get(mentions, { max_results: 4 })).rejects.toMatchObject({ code: 400 });
    await expect(client().v2.get(mentions, { next_token: "x" })).rejects.toMatchObject({ code: 400 });
  });

  it("puts an expansion's id in each post, and leaves both out when no expansion is asked for", async () => {
    const mention = fake.addMention({ username: "expanded_only", text: "who am I?" });
    const mentions = `users/${fake.brand.id}/mentions`;

    const expanded = await client().v2.get(mentions, { expansions: "author_id" });
    const bare = await client().v2.get(mentions, {});

    const post = (page: { data: Array<{ id: string }> }) => page.data.find((t) => t.id === mention.id);
    expect(post(expanded)).toMatchObject({ author_id: mention.author_id });
    expect(expanded.includes.users).toContainEqual(expect.objectContaining({ id: mention.author_id }));
    expect(post(bare)).not.toHaveProperty("author_id");
    expect(bare).not.toHaveProperty("includes");
  });

  it("returns only posts newer than since_id, newest first, with the requested fields and rate headers", async () => {
    const older = fake.addMention({ username: "a", text: "one" });
    const newer = fake.addMention({ username: "b", text: "two", lang: "pl" });
    const newest = fake.addMention({ username: "c", text: "three" });

    const page = await client().v2.get(
      `users/${fake.brand.id}/mentions`,
      { since_id: older.id, "tweet.fields": "lang", expansions: "author_id" },
      { fullResponse: true },
    );

    expect(page.data.data.map((t: { id: string }) => t.id)).toEqual([newest.id, newer.id]);
    expect(page.data.data[1]).toEqual({
      id: newer.id,
      text: newer.text,
      edit_history_tweet_ids: [newer.id],
      lang: "pl",
      author_id: newer.author_id,
    });
    expect(page.data.includes.users.map((u: { username: string }) => u.username)).toEqual(["c", "b"]);
    expect(page.data.meta).toEqual({ result_count: 2, newest_id: newest.id, oldest_id: newer.id });
    expect(page.rateLimit).toMatchObject({ limit: 300, remaining: 299 });
  });

  it("answers 429 with the reset header once a window is spent", async () => {
    const reset = Math.floor(Date.now() / 1000) + 900;
    fake.setRateLimit(X_ROUTES.me, { limit: 75, remaining: 0, reset });
    const error = (await client()
      .v2.get("users/me")
      .catch((e: unknown) => e)) as ApiResponseError;
    expect(error.code).toBe(429);
    expect(error.rateLimit).toEqual({ limit: 75, remaining: 0, reset });
    expect(error.data).toMatchObject({ title: "Too Many Requests", status: 429 });
  });
});

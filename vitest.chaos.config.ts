import { defineConfig } from "vitest/config";

/**
 * The chaos suite (`npm run test:chaos`): real `rapport worker` processes, PostgreSQL behind a proxy the tests
 * cut, a Redis of its own they kill, fake providers that hang and refuse. One file at a time: each scenario
 * runs several processes flat out on a 2-core machine, and their timings are part of what it reports.
 */
export default defineConfig({
  test: {
    include: ["test/chaos/**/*.test.ts"],
    testTimeout: 150_000,
    hookTimeout: 60_000,
    pool: "forks",
    fileParallelism: false,
    globalSetup: ["test/chaos/support/global-setup.ts"],
  },
});

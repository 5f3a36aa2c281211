import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // the chaos suite has its own config and command (vitest.chaos.config.ts, `npm run test:chaos`)
    exclude: [...configDefaults.exclude, "test/chaos/**"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // two files at a time: many tests wait on PostgreSQL, Redis, child processes and timers rather than the
    // CPU; one at a time (vitest's default on 2 cores) took 15.7 min of the CI machine, two 13 min
    maxWorkers: 2,
    globalSetup: ["test/setup/global-setup.ts"],
  },
});

import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // the chaos suite has its own config and command (vitest.chaos.config.ts, `npm run test:chaos`)
    exclude: [...configDefaults.exclude, "test/chaos/**"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // three files at a time on 2 cores: many tests wait on PostgreSQL, Redis and child processes rather than
    // the CPU; one at a time (vitest's default on 2 cores) took 15.7 min of the CI machine, two 13–15.6 min as
    // tests were added. The SIGKILL test of 10 000 emails runs in the chaos suite, alone: it must land its kill
    // while a batch is at the provider, which a machine this busy can miss
    maxWorkers: 3,
    globalSetup: ["test/setup/global-setup.ts"],
  },
});

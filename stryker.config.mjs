// Mutation testing of the send path's rules. Stryker is not a dependency: run it with
//   npm install --no-save @stryker-mutator/core@9 @stryker-mutator/vitest-runner@9 && npx stryker run
// (add `--mutate workers/send-checks.ts` to do one file). The report lands in reports/mutation/.
/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  vitest: { configFile: "vitest.mutation.config.ts", related: false },
  mutate: [
    "workers/deliver-record.ts",
    "workers/send-checks.ts",
    "workers/schedule.ts",
    "workers/plan.ts",
    "campaigns/segment/sql.ts",
  ],
  coverageAnalysis: "perTest",
  // module-level constants would need every test re-run in a fresh process for each mutant
  ignoreStatic: true,
  concurrency: 1,
  timeoutMS: 60_000,
  // the dry run runs every test once with coverage: on a busy machine it needs more than the 5 minutes default
  dryRunTimeoutMinutes: 20,
  incremental: false,
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: "reports/mutation/index.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  ignorePatterns: [".data", "reports", "test/artifacts", "bench"],
};

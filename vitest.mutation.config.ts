import { defineConfig } from "vitest/config";
import base from "./vitest.config.ts";

/**
 * The tests the mutation run uses (stryker.config.mjs): those that reach the send path's rules (planning,
 * the campaign clock, the send-time checks, recording) and the segment SQL. The segment property test is
 * left out: its 2 400 evaluations take minutes per mutant, and sql.test.ts covers the same SQL.
 */
export default defineConfig({
  test: {
    ...base.test,
    include: [
      "test/workers/{planner,schedule,fanout,quiet-hours,deliver,deliver-batch}.test.ts",
      "test/workers/*-mutants.test.ts",
      "test/campaigns/segment/{sql,campaign}.test.ts",
      "test/campaigns/segment/*-mutants.test.ts",
      "test/e2e/purchase-to-email.test.ts",
    ],
  },
});

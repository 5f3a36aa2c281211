import { defineConfig } from "vitest/config";
import base from "./vitest.config.ts";

/**
 * The tests the mutation run uses (stryker.config.mjs): those that reach the send path's rules (planning,
 * the campaign clock, the send-time checks, recording) and the segment SQL. The segment property test is
 * left out: its 2 400 evaluations take minutes per mutant, and sql.test.ts covers the same SQL; so are
 * deliver.test.ts (200 sends through a stalled database, 30 s) and the end-to-end purchase test.
 */
export default defineConfig({
  test: {
    ...base.test,
    include: [
      "test/workers/{planner,schedule,fanout,quiet-hours,deliver-batch}.test.ts",
      "test/workers/*-mutants.test.ts",
      "test/campaigns/segment/{sql,campaign}.test.ts",
      "test/campaigns/segment/*-mutants.test.ts",
    ],
  },
});

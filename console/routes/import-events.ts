import type { FastifyInstance, preHandlerAsyncHookHandler } from "fastify";
import { eventStreams } from "../../lib/sse.ts";
import type { ConsoleDeps } from "../deps.ts";
import { findImport, type ImportRun } from "../import-store.ts";
import { sendProblem } from "../problems.ts";

/** How often the stream looks at the job, in ms. */
export const IMPORT_POLL_MS = 500;

/** What a progress event carries: the page's progress bar and its state. */
const progressOf = (run: ImportRun) => ({
  state: run.state,
  rows: run.progress?.rows ?? 0,
  bytes: run.progress?.bytes ?? 0,
  size: run.progress?.size ?? run.size,
  percent: run.progress?.percent ?? 0,
});

/**
 * `GET /console/import/:id/events`: the import's progress as Server-Sent Events, like the inbox's stream
 * (console/routes/events.ts): `event: progress` (state, rows, bytes, size, percent) whenever it changes, then one
 * `event: done` (the summary, or `failed` and the reason) and the end of the stream. The page reloads on done.
 */
export function registerImportEvents(
  scope: FastifyInstance,
  deps: ConsoleDeps,
  importers: { preHandler: preHandlerAsyncHookHandler },
  options: { pollMs?: number; heartbeatMs?: number } = {},
): void {
  const streams = eventStreams(scope, options);
  scope.get<{ Params: { id: string } }>("/import/:id/events", importers, async (request, reply) => {
    const { imports, queues } = deps;
    if (!imports || !queues) return reply.status(503).send({ error: "unavailable" });
    const first = await findImport(deps.db, queues, imports, request.params.id);
    if (!first) return sendProblem(reply, { kind: "not_found" });
    let closed = false;
    const stream = streams.open(reply, () => {
      closed = true;
    });
    let last = "";
    const send = (run: ImportRun) => {
      if (run.state === "done" || run.state === "failed") {
        const done = {
          state: run.state,
          summary: run.summary,
          reason: run.reason,
          hasRejects: run.hasRejects,
        };
        stream.send("done", done);
        stream.end();
        return false;
      }
      const progress = progressOf(run);
      const json = JSON.stringify(progress);
      if (json !== last) stream.send("progress", progress);
      last = json;
      return true;
    };
    let going = send(first);
    while (going && !closed) {
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? IMPORT_POLL_MS));
      if (closed) break;
      const run = await findImport(deps.db, queues, imports, first.id).catch((err) => {
        request.log.warn({ err }, "import progress not read");
        return undefined;
      });
      if (run) going = send(run);
    }
  });
}

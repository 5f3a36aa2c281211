import { Readable } from "node:stream";
import type { FastifyInstance } from "fastify";
import type { Segments } from "../../campaigns/index.ts";
import { type Db, Prisma } from "../../lib/db/index.ts";
import { recordAudit } from "../auth/audit.ts";
import { requireRole } from "../auth/guard.ts";
import { customerSource, exportLines, rowsOf } from "../customers/rows-export.ts";
import type { ConsoleDeps } from "../deps.ts";
import { sendProblem } from "../problems.ts";
import { render } from "../views/render.ts";

/** Marketers build audiences; admins too. Agents answer customers and have no use for lists of them. */
const MARKETERS = { preHandler: requireRole("admin", "marketer") };
/** A segment's name as segments.yaml allows it, so it can stand in a URL and a file name. */
const SEGMENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** Who refused to have their data shared (`consent.data_sharing.status` = `denied`): never in a list that leaves. */
const SHARES = Prisma.sql`COALESCE(c.consent #>> '{data_sharing,status}', '') <> 'denied'`;

/**
 * `GET /console/segments`: the named segments of campaigns/segments.yaml with how many customers each holds
 * now; `GET /console/segments/<name>.csv`: a segment's customers as CSV (the columns of `rapport export
 * customers`), streamed a page at a time, for an ad audience or a partner: customers who refused data
 * sharing are left out, and each download is an audit row (`export.segment`, who, how many). Admins and
 * marketers.
 */
export function registerSegments(scope: FastifyInstance, deps: ConsoleDeps): void {
  scope.get("/segments", MARKETERS, async (_request, reply) => {
    const segments = deps.segments?.();
    return render(
      reply,
      "segments",
      {
        segments: segments ? await listSegments(deps.db, segments, new Date(deps.clock.now())) : [],
        unavailable: !segments,
      },
      { title: "segments.title" },
    );
  });

  scope.get<{ Params: { file: string } }>("/segments/:file", MARKETERS, async (request, reply) => {
    const name = /^(.+)\.csv$/.exec(request.params.file)?.[1];
    const segment = name && SEGMENT_NAME.test(name) ? deps.segments?.().byName.get(name) : undefined;
    if (!name || !segment) return sendProblem(reply, { kind: "not_found" });
    const now = new Date(deps.clock.now());
    const source = customerSource(deps.db, (at) => Prisma.sql`${segment.sql(at)} AND ${SHARES}`, now);
    let rows = 0;
    const lines = exportLines(
      source,
      "csv",
      rowsOf(source, 2_000, (n) => {
        rows += n;
      }),
    );
    // the audit row is written when the last row is, before the download ends: it says how many went
    const audited = Readable.from(
      (async function* () {
        yield* lines;
        await recordAudit(deps.db, {
          staffUserId: request.staff!.id,
          action: "export.segment",
          data: { segment: name, rows, format: "csv", to: "console" },
          at: now,
        });
      })(),
    );
    const day = now.toISOString().slice(0, 10);
    return reply
      .header("content-type", "text/csv; charset=utf-8")
      .header("content-disposition", `attachment; filename="segment-${name}-${day}.csv"`)
      .header("cache-control", "no-store")
      .send(audited);
  });
}

/** Each segment of the file in its order, with its members now; a broken one is listed as such. */
async function listSegments(db: Db, segments: Segments, now: Date) {
  const compiled = await Promise.all(
    [...segments.byName.values()].map(async (segment) => {
      const [row] = await db.$queryRaw<{ n: number }[]>`
        SELECT count(*)::int AS n FROM "Customer" c WHERE c."mergedIntoId" IS NULL AND ${segment.sql(now)}`;
      return {
        name: segment.name,
        description: segment.description,
        expression: segment.expression,
        members: row?.n ?? 0,
        broken: false,
      };
    }),
  );
  const broken = [...segments.broken].map((name) => ({ name, broken: true }));
  return [...compiled, ...broken];
}

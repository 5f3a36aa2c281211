import { randomBytes } from "node:crypto";
import { hostname, tmpdir } from "node:os";
import pg from "pg";
import { createDb, type Db, migrate, redactUrl, withDatabase } from "../lib/db/index.ts";
import { createRedis, deletePrefix, type Redis, redisAnswers } from "../lib/redis.ts";
import { closeQueues, type QueueContext } from "../workers/index.ts";

/** The PostgreSQL server the bench creates its database on: DATABASE_URL's server, else the local one. */
export const ADMIN_URL = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

/** The Redis the bench queues on. */
export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** Prefix of the bench's databases, so leftovers of a killed run (`kill -9`) are easy to find and drop. */
export const BENCH_DB_PREFIX = "rapport_bench_";

/** Something that must stop before the scratch space goes away (a running worker). */
export interface Closable {
  close(): Promise<void>;
}

/** A migrated database of its own and a random queue prefix, both removed by {@link Scratch.cleanup}. */
export interface Scratch {
  /** `postgresql://…/rapport_bench_<random>`. */
  readonly url: string;
  readonly db: Db;
  /** Connections in `db`'s pool (createDb's default): the size of the fair baselines' pools. */
  readonly poolSize: number;
  /** A plain node-postgres client on the same database: seeding and the raw SQL ceilings. */
  readonly sql: pg.Client;
  readonly redis: Redis;
  /** `{ connection, prefix }` with a random `rb-<hex>` prefix. */
  readonly queues: QueueContext;
  /** Closes `resource` at cleanup if it is still open then (a Ctrl+C in the middle of a run). */
  hold<T extends Closable>(resource: T): T;
  /** Closes `resource` now and forgets it. */
  release(resource: Closable): Promise<void>;
  /** Deletes every Redis key under the prefix: an empty set of queues. Workers must be closed first. */
  clearQueues(): Promise<void>;
  /**
   * Empties what a run writes (Delivery, Coupon and Interaction rows, the queues), so every measured run
   * starts from the same state: the seeded customers and nothing else.
   */
  resetRuns(): Promise<void>;
  /** Closes what is held, deletes the queue keys and drops the database. Safe to call twice. */
  cleanup(): Promise<void>;
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `Cannot reach PostgreSQL at ${redactUrl(ADMIN_URL)} (${(error as Error).message}): start it, or set ` +
        "DATABASE_URL to a server where this role may CREATE DATABASE",
    );
  }
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** What a bench database's comment records: who made it, so a later run can tell a leftover from a live one. */
const ownerComment = (prefix: string) =>
  `rapport bench host=${hostname()} pid=${process.pid} prefix=${prefix}`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Drops the bench databases (and their queue keys) of runs on this host whose process is gone: a run killed
 * with SIGKILL, or by tsx, which SIGKILLs its child when a Ctrl+C finds the event loop busy for 60 ms.
 * @returns how many it dropped.
 */
async function reapLeftovers(admin: pg.Client, redis: Redis): Promise<number> {
  const { rows } = await admin.query<{ name: string; comment: string | null }>(
    `SELECT datname AS name, shobj_description(oid, 'pg_database') AS comment FROM pg_database
     WHERE datname LIKE '${BENCH_DB_PREFIX}%'`,
  );
  let dropped = 0;
  for (const { name, comment } of rows) {
    const owner = /^rapport bench host=(\S+) pid=(\d+) prefix=(\S+)$/.exec(comment ?? "");
    if (!owner || owner[1] !== hostname() || alive(Number(owner[2]))) continue;
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await deletePrefix(redis, owner[3]!);
    dropped++;
  }
  return dropped;
}

/**
 * Creates `rapport_bench_<random>` on the server, migrates it with the project's migrations (as the test
 * suite's global setup does), and opens Prisma, node-postgres and Redis on it. `onCreated` gets the cleanup
 * as soon as the database exists, so a Ctrl+C during the migration still drops it. Leftovers of killed runs
 * on this host are dropped first.
 */
export async function createScratch(onCreated: (cleanup: () => Promise<void>) => void): Promise<Scratch> {
  const name = `${BENCH_DB_PREFIX}${randomBytes(6).toString("hex")}`;
  const url = withDatabase(ADMIN_URL, name);
  const prefix = `rb-${randomBytes(6).toString("hex")}`;
  if (!(await redisAnswers(REDIS_URL))) {
    throw new Error(`Redis does not answer at ${REDIS_URL}: start it, or set REDIS_URL to a running Redis`);
  }
  const redis = createRedis(REDIS_URL);
  const reaped = await withAdmin(async (admin) => {
    const count = await reapLeftovers(admin, redis);
    await admin.query(`CREATE DATABASE "${name}"`);
    await admin.query(`COMMENT ON DATABASE "${name}" IS '${ownerComment(prefix)}'`);
    return count;
  });
  if (reaped > 0) console.log(`dropped ${reaped} leftover bench database(s) of killed runs`);
  const held = new Set<Closable>();
  let handle: Awaited<ReturnType<typeof createDb>> | undefined;
  let sql: pg.Client | undefined;
  let done: Promise<void> | undefined;
  const cleanup = () => {
    done ??= (async () => {
      await Promise.allSettled([...held].map((r) => r.close()));
      held.clear();
      await closeQueues({ connection: redis, prefix }).catch(() => {});
      await deletePrefix(redis, prefix).catch(() => {});
      redis.disconnect();
      await sql?.end().catch(() => {});
      await handle?.close().catch(() => {});
      await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    })();
    return done;
  };
  onCreated(cleanup);
  try {
    await migrate(url);
    handle = await createDb({ url, dataDir: tmpdir() });
    sql = new pg.Client({ connectionString: url });
    await sql.connect();
  } catch (error) {
    await cleanup();
    throw error;
  }
  const connection = redis;
  const client = sql;
  return {
    url,
    db: handle.db,
    poolSize: handle.poolSize,
    sql: client,
    redis: connection,
    queues: { connection, prefix },
    hold(resource) {
      held.add(resource);
      return resource;
    },
    async release(resource) {
      held.delete(resource);
      await resource.close();
    },
    clearQueues: () => deletePrefix(connection, prefix),
    async resetRuns() {
      // the runs' rows, with what refers to them (a listening hit to its post and its answer)
      await client.query('TRUNCATE "Delivery", "Coupon", "Interaction", "ListeningHit"');
      await deletePrefix(connection, prefix);
    },
    cleanup,
  };
}

/**
 * The set-based half of an import: a batch of validated rows is loaded into a TEMP staging table, then
 * merged into the real tables with a handful of statements (UPDATE … FROM staging, INSERT … SELECT … ON
 * CONFLICT), never row by row. Keys seen earlier in the file are kept in a second TEMP table, so a duplicate
 * is found across batches without holding the file in memory.
 */
import { randomBytes } from "node:crypto";
import type { ImportKind } from "./columns.ts";
import type { Cell, Reject } from "./rows.ts";
import { STAGING_COLUMNS } from "./rows.ts";
import type { ImportSql } from "./sql.ts";

/** What a batch did. */
export interface BatchCounts {
  inserted: number;
  updated: number;
  unchanged: number;
  /** Customers created for orders, events or consent rows that named one not yet known. */
  customersCreated: number;
  rejects: Reject[];
}

/** Tables of one import run. */
export interface Staging {
  stage: string;
  seen: string;
  kind: ImportKind;
  /** Whether the staging table has statistics yet. */
  analysed?: boolean;
}

/** The contact columns of a kind's staging table. */
const CONTACT: Record<ImportKind, { ext: string; email: string; phone: string; name: string } | undefined> = {
  customers: { ext: "external_id", email: "email", phone: "phone", name: "name" },
  orders: { ext: "c_external", email: "c_email", phone: "c_phone", name: "c_name" },
  events: { ext: "c_external", email: "c_email", phone: "c_phone", name: "c_name" },
  consent: { ext: "c_external", email: "c_email", phone: "c_phone", name: "c_name" },
  suppressions: undefined,
};

/** Keys that must be unique within a file, as SQL over the staging row `s`, and the field each names. */
const FILE_KEYS: Record<ImportKind, { sql: string; field: string }[]> = {
  customers: [
    { sql: "'x:' || s.external_id", field: "externalId" },
    { sql: "'e:' || s.email", field: "email" },
    { sql: "'p:' || s.phone", field: "phone" },
  ],
  orders: [{ sql: "'o:' || s.order_id", field: "orderId" }],
  events: [{ sql: "'v:' || s.type || ':' || s.event_id", field: "id" }],
  consent: [],
  suppressions: [{ sql: "'s:' || s.channel || ':' || s.address", field: "address" }],
};

/** Creates the run's TEMP tables. */
export async function createStaging(sql: ImportSql, kind: ImportKind): Promise<Staging> {
  const suffix = randomBytes(4).toString("hex");
  const staging = { stage: `import_stage_${suffix}`, seen: `import_seen_${suffix}`, kind };
  const columns = STAGING_COLUMNS[kind].map(([name, type]) => `${name} ${type}`).join(", ");
  await sql.query(
    `CREATE TEMP TABLE ${staging.stage} (${columns}, customer_id uuid, row_id uuid, created boolean NOT NULL DEFAULT false)`,
  );
  await sql.query(`CREATE TEMP TABLE ${staging.seen} (k text PRIMARY KEY, line int NOT NULL)`);
  return staging;
}

export async function dropStaging(sql: ImportSql, staging: Staging): Promise<void> {
  await sql.query(`DROP TABLE IF EXISTS ${staging.stage}, ${staging.seen}`);
}

/** Context of a batch: the time of the import, the file's name, and the header of each field. */
export interface BatchContext {
  now: Date;
  file: string;
  commit: boolean;
  columnOf(field: string): string;
}

/**
 * Loads and merges one batch: stage, reject duplicates, match customers, then write in one transaction
 * (rolled back on a dry run). Statements before the transaction touch only the TEMP tables.
 */
export async function loadBatch(
  sql: ImportSql,
  staging: Staging,
  rows: readonly Cell[][],
  context: BatchContext,
): Promise<BatchCounts> {
  const { stage } = staging;
  const kind = staging.kind;
  await sql.query(`TRUNCATE ${stage}`);
  await sql.load(
    stage,
    STAGING_COLUMNS[kind].map(([name]) => name),
    rows,
  );
  if (kind === "events") {
    // an event without the source's id gets one from what it is, so the same file imported twice adds nothing
    await sql.query(`UPDATE ${stage} SET event_id = 'import:' || md5(concat_ws('|', type, c_external, c_email, c_phone,
      to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS'), value::text, currency, properties::text))
      WHERE event_id IS NULL`);
  }
  // statistics once: later batches are alike, and ANALYZE of each would cost as much as a merge step
  if (!staging.analysed) await sql.query(`ANALYZE ${stage}`);
  staging.analysed = true;
  // customers: each id, email and phone once a batch here; across batches a repeat finds the customer the
  // earlier row made or matched, and is caught by the same-customer check below (one key a row, not three)
  const rejects = await rejectDuplicates(sql, staging, FILE_KEYS[kind], context, {
    check: kind !== "customers",
    record: kind !== "customers",
  });
  const contact = CONTACT[kind];
  if (contact) await indexJoins(sql, (tx) => matchCustomers(tx, stage, contact));
  const sameCustomer = [{ sql: "'c:' || s.customer_id", field: "" }];
  if (kind === "customers") {
    // two rows naming one customer by different keys: the later one is refused, as for any duplicate
    rejects.push(
      ...(await rejectDuplicates(sql, staging, sameCustomer, context, { check: true, record: false })),
    );
  }
  const counts = await sql.transaction(context.commit, async (tx) => {
    await indexJoinsOnly(tx); // SET LOCAL: until the end of this transaction
    if (kind === "customers") return mergeCustomers(tx, stage, context);
    if (kind === "suppressions") return mergeSuppressions(tx, stage);
    return mergeWithCustomers(tx, stage, kind, context);
  });
  if (kind === "customers") {
    // the customers this batch made or matched
    await rememberKeys(
      sql,
      staging,
      `SELECT s.line, 'c:' || s.customer_id AS k FROM ${stage} s WHERE s.customer_id IS NOT NULL`,
    );
  }
  return { ...counts, rejects: [...rejects, ...counts.rejects] };
}

/** Deletes the rows whose key an earlier line of the file had, returning them as rejects; records the rest. */
async function rejectDuplicates(
  sql: ImportSql,
  { stage, seen }: Staging,
  keys: { sql: string; field: string }[],
  context: BatchContext,
  across: { check: boolean; record: boolean },
): Promise<Reject[]> {
  if (keys.length === 0) return [];
  const values = keys.map((k, i) => `(${k.sql}, ${i})`).join(", ");
  const keyed = `SELECT s.line, v.k, v.i FROM ${stage} s CROSS JOIN LATERAL (VALUES ${values}) v(k, i) WHERE v.k IS NOT NULL`;
  const earlier = across.check ? `LEFT JOIN ${seen} seen ON seen.k = keyed.k` : "";
  const { rows } = await sql.query<{ line: number; k: string; i: number; first: number }>(
    `WITH keyed AS (${keyed}),
     firsts AS (SELECT k, min(line) AS line FROM keyed GROUP BY k),
     dups AS (SELECT DISTINCT ON (keyed.line) keyed.line, keyed.k, keyed.i,
         ${across.check ? "COALESCE(seen.line, firsts.line)" : "firsts.line"} AS first
       FROM keyed JOIN firsts USING (k) ${earlier}
       WHERE ${across.check ? "seen.k IS NOT NULL OR " : ""}firsts.line < keyed.line ORDER BY keyed.line, keyed.i)
     DELETE FROM ${stage} s USING dups WHERE s.line = dups.line RETURNING dups.line, dups.k, dups.i, dups.first`,
  );
  if (across.record) await rememberKeys(sql, { stage, seen }, keyed);
  return rows.map((row) => {
    const field = keys[row.i]!.field;
    const value = row.k.slice(row.k.indexOf(":") + 1);
    return {
      line: row.line,
      column: field ? context.columnOf(field) : "",
      value: field ? value : "",
      reason:
        field === "orderId"
          ? // the rows of one order in one batch are one order (orders.ts): this one is a batch or more later
            `the same order id as line ${row.first}, too far before it to be one order: the rows of an order go together`
          : field
            ? `the same ${field === "externalId" ? "customer id" : field} as line ${row.first}: a file names each once`
            : `names the same customer as line ${row.first} (by its id, email or phone): a file names each once`,
    };
  });
}

/**
 * SET LOCAL: every join of the merge goes from a batch (thousands of rows) to a table of maybe millions by a unique
 * index. Without fresh statistics the planner picks hash joins that scan the whole table once a batch, which
 * makes an import quadratic (a 20 000-row batch took 1 s against 250 000 customers, 4 s against 1 000 000);
 * nested loops over the indexes take the same time whatever the table's size.
 */
async function indexJoinsOnly(tx: ImportSql): Promise<void> {
  await tx.query("SET LOCAL enable_hashjoin = off");
  await tx.query("SET LOCAL enable_mergejoin = off");
}

/** Runs `fn` (statements joining the batch to the big tables) in a transaction with {@link indexJoinsOnly}. */
async function indexJoins(sql: ImportSql, fn: (tx: ImportSql) => Promise<void>): Promise<void> {
  await sql.transaction(true, async (tx) => {
    await indexJoinsOnly(tx);
    await fn(tx);
  });
}

/** Keeps a batch's keys (`keyed`: SQL of line, k) for the checks of later batches. */
async function rememberKeys(sql: ImportSql, { seen }: Pick<Staging, "seen" | "stage">, keyed: string) {
  await sql.query(
    `INSERT INTO ${seen} (k, line) SELECT k, min(line) FROM (${keyed}) keyed GROUP BY k ON CONFLICT (k) DO NOTHING`,
  );
}

/** Finds each row's customer: by the brand's own id, else the email, else the phone; merged ones lead to their survivor. */
async function matchCustomers(
  sql: ImportSql,
  stage: string,
  contact: { ext: string; email: string; phone: string },
): Promise<void> {
  for (const [column, field] of [
    [contact.ext, `"externalId"`],
    [contact.email, "email"],
    [contact.phone, "phone"],
  ] as const) {
    await sql.query(
      `UPDATE ${stage} s SET customer_id = COALESCE(c."mergedIntoId", c.id) FROM "Customer" c
       WHERE s.customer_id IS NULL AND s.${column} IS NOT NULL AND c.${field} = s.${column}`,
    );
  }
}

/** The email identity of customers whose email the import set (as resolveCustomerByEmail attaches it). */
async function attachEmailIdentities(sql: ImportSql, stage: string, email: string): Promise<void> {
  await sql.query(
    `INSERT INTO "Identity" (channel, "externalId", "customerId")
     SELECT 'email', s.${email}, s.customer_id FROM ${stage} s JOIN "Customer" c ON c.id = s.customer_id AND c.email = s.${email}
     WHERE s.${email} IS NOT NULL ON CONFLICT DO NOTHING`,
  );
}

/**
 * Customers: new ones inserted whole; known ones get the file's non-empty values (attributes merged), and
 * their missing email, phone or id when no other customer holds it; a row whose values are all the stored
 * ones is left alone (its `updatedAt` too). An email consent column becomes a ConsentEvent.
 */
async function mergeCustomers(sql: ImportSql, stage: string, context: BatchContext): Promise<BatchCounts> {
  const now = context.now.toISOString();
  await sql.query(
    `UPDATE ${stage} SET customer_id = gen_random_uuid(), created = true WHERE customer_id IS NULL`,
  );
  await sql.query(
    `INSERT INTO "Customer" (id, "externalId", email, phone, name, locale, timezone, country, attributes, address, source, "createdAt", "updatedAt")
     SELECT customer_id, external_id, email, phone, name, COALESCE(locale, 'en'), timezone, country, attributes, address, 'import', $1, $1
     FROM ${stage} WHERE created ON CONFLICT DO NOTHING`,
    [now],
  );
  // a row another writer beat to its email or phone meanwhile (its insert did nothing)
  const { rows: lost } = await sql.query<{ line: number }>(
    `DELETE FROM ${stage} s WHERE s.created AND NOT EXISTS (SELECT 1 FROM "Customer" c WHERE c.id = s.customer_id) RETURNING s.line`,
  );
  const free = (column: string, field: string) =>
    `(c.${field} IS NULL AND s.${column} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "Customer" o WHERE o.${field} = s.${column}))`;
  const merged = `COALESCE(s.name, c.name), COALESCE(s.locale, c.locale), COALESCE(s.timezone, c.timezone),
    COALESCE(s.country, c.country), c.attributes || s.attributes, COALESCE(s.address, c.address)`;
  const { rows: updated } = await sql.query<{ line: number }>(
    `UPDATE "Customer" c SET (name, locale, timezone, country, attributes, address) = (${merged}),
       email = CASE WHEN ${free("email", "email")} THEN s.email ELSE c.email END,
       phone = CASE WHEN ${free("phone", "phone")} THEN s.phone ELSE c.phone END,
       "externalId" = CASE WHEN ${free("external_id", `"externalId"`)} THEN s.external_id ELSE c."externalId" END,
       "updatedAt" = $1
     FROM ${stage} s WHERE c.id = s.customer_id AND NOT s.created
       AND (ROW(${merged}) IS DISTINCT FROM ROW(c.name, c.locale, c.timezone, c.country, c.attributes, c.address)
         OR ${free("email", "email")} OR ${free("phone", "phone")} OR ${free("external_id", `"externalId"`)})
     RETURNING s.line`,
    [now],
  );
  await attachEmailIdentities(sql, stage, "email");
  const consented = await recordConsents(
    sql,
    `SELECT customer_id, 'email' AS channel, email_consent AS status, $1::timestamptz AS at, 'import' AS source,
       jsonb_build_object('file', $2::text, 'line', line) AS evidence, line FROM ${stage} WHERE email_consent IS NOT NULL`,
    [now, context.file],
  );
  const { rows: counted } = await sql.query<{ inserted: number; total: number }>(
    `SELECT count(*) FILTER (WHERE created)::int AS inserted, count(*)::int AS total FROM ${stage}`,
  );
  const changed = new Set([...updated.map((r) => r.line), ...consented]);
  const inserted = counted[0]!.inserted;
  for (const row of await sql
    .query<{ line: number }>(`SELECT line FROM ${stage} WHERE created`)
    .then((r) => r.rows))
    changed.delete(row.line);
  return {
    inserted,
    updated: changed.size,
    unchanged: counted[0]!.total - inserted - changed.size,
    customersCreated: 0,
    rejects: lost.map((r) => ({
      line: r.line,
      column: "",
      value: "",
      reason: "another customer took this email, phone or id during the import: import the file again",
    })),
  };
}

/**
 * Applies marketing answers as recordConsent (bots/consent.ts) does, set-based: per customer and channel the
 * latest answer of the batch, recorded (a ConsentEvent, and `Customer.consent`) unless it is the current
 * answer or older than it. `input` selects customer_id, channel, status, at, source, evidence, line.
 * @returns the lines recorded.
 */
async function recordConsents(sql: ImportSql, input: string, params: unknown[]): Promise<number[]> {
  const { rows } = await sql.query<{ line: number }>(
    `WITH input AS (${input}),
     latest AS (SELECT DISTINCT ON (customer_id, channel) * FROM input ORDER BY customer_id, channel, at DESC, line DESC),
     changes AS (SELECT l.* FROM latest l JOIN "Customer" c ON c.id = l.customer_id
       WHERE (c.consent -> l.channel ->> 'status') IS DISTINCT FROM l.status
         AND (NULLIF(c.consent -> l.channel ->> 'at', '') IS NULL OR (c.consent -> l.channel ->> 'at')::timestamptz <= l.at)),
     patches AS (SELECT customer_id, jsonb_object_agg(channel, jsonb_build_object('status', status,
         'at', to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'via', source)) AS patch
       FROM changes GROUP BY customer_id),
     updated AS (UPDATE "Customer" c SET consent = c.consent || p.patch, "updatedAt" = now()
       FROM patches p WHERE c.id = p.customer_id),
     events AS (INSERT INTO "ConsentEvent" ("customerId", channel, status, source, evidence, at)
       SELECT customer_id, channel::"Channel", status, source, evidence, at FROM changes)
     SELECT line FROM changes`,
    params,
  );
  return rows.map((r) => r.line);
}

/**
 * Orders, events and consent rows: the customers they name are found or made (as the events API makes them),
 * then each order or event is inserted once — `(type, externalId)` is unique, so a row already stored (by an
 * earlier import, the events API or a shop webhook) is left as it is.
 */
async function mergeWithCustomers(
  sql: ImportSql,
  stage: string,
  kind: ImportKind,
  context: BatchContext,
): Promise<BatchCounts> {
  const now = context.now.toISOString();
  const { count: customersCreated } = await sql.query(
    `INSERT INTO "Customer" ("externalId", email, phone, name, source, "createdAt", "updatedAt")
     SELECT DISTINCT ON (COALESCE('x:' || c_external, 'e:' || c_email, 'p:' || c_phone))
       c_external, c_email, c_phone, c_name, 'import', $1::timestamptz, $1::timestamptz
     FROM ${stage} WHERE customer_id IS NULL
     ORDER BY COALESCE('x:' || c_external, 'e:' || c_email, 'p:' || c_phone), line
     ON CONFLICT DO NOTHING`,
    [now],
  );
  if (customersCreated > 0) {
    await matchCustomers(sql, stage, CONTACT[kind]!);
    await attachEmailIdentities(sql, stage, "c_email");
  }
  const { rows: orphans } = await sql.query<{ line: number }>(
    `DELETE FROM ${stage} WHERE customer_id IS NULL RETURNING line`,
  );
  const rejects = orphans.map((r) => ({
    line: r.line,
    column: "",
    value: "",
    reason: "its customer could not be found or made (another row holds that email or phone with another id)",
  }));
  const total = Number(
    (await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${stage}`)).rows[0]!.n,
  );
  if (kind === "consent") {
    const recorded = await recordConsents(
      sql,
      `SELECT customer_id, channel, status, at, source, evidence, line FROM ${stage}`,
      [],
    );
    return {
      inserted: recorded.length,
      updated: 0,
      unchanged: total - recorded.length,
      customersCreated,
      rejects,
    };
  }
  const type = kind === "orders" ? "'purchase'" : "s.type";
  const externalId = kind === "orders" ? "s.order_id" : "s.event_id";
  const value = kind === "orders" ? "s.total" : "s.value";
  await sql.query(`UPDATE ${stage} s SET row_id = gen_random_uuid(), created = true`);
  await sql.query(
    `INSERT INTO "Event" (id, "customerId", type, "externalId", source, value, currency, properties, "occurredAt", "createdAt")
     SELECT s.row_id, s.customer_id, ${type}, ${externalId}, 'import', ${value}, s.currency, s.properties, s.occurred_at, $1
     FROM ${stage} s ON CONFLICT (type, "externalId") DO NOTHING`,
    [now],
  );
  // already stored (an earlier import, the events API, a shop webhook): left as it is
  const { rows: stored } = await sql.query<{ line: number }>(
    `UPDATE ${stage} s SET created = false WHERE NOT EXISTS (SELECT 1 FROM "Event" e WHERE e.id = s.row_id) RETURNING s.line`,
  );
  if (kind === "orders") {
    await sql.query(
      `INSERT INTO "Purchase" ("eventId", "customerId", sku, name, quantity, "unitPrice", currency, "occurredAt")
       SELECT s.row_id, s.customer_id, i.sku, i.name, COALESCE(i.quantity, 1), i.price, s.currency, s.occurred_at
       FROM ${stage} s CROSS JOIN LATERAL jsonb_to_recordset(s.items) AS i(sku text, name text, quantity int, price numeric)
       WHERE s.created`,
    );
    await sql.query(
      `UPDATE "Customer" c SET "lastPurchaseAt" = m.at, "updatedAt" = $1
       FROM (SELECT customer_id, max(occurred_at) AS at FROM ${stage} WHERE created GROUP BY customer_id) m
       WHERE c.id = m.customer_id AND (c."lastPurchaseAt" IS NULL OR c."lastPurchaseAt" < m.at)`,
      [now],
    );
  }
  const inserted = total - stored.length;
  return { inserted, updated: 0, unchanged: stored.length, customersCreated, rejects };
}

/** Suppressions: each (channel, address) once; one already there is left as it is. */
async function mergeSuppressions(sql: ImportSql, stage: string): Promise<BatchCounts> {
  const { count: inserted } = await sql.query(
    `INSERT INTO "Suppression" (channel, address, reason, source, "customerId")
     SELECT s.channel::"Channel", s.address, s.reason::"SuppressionReason", s.source,
       COALESCE((SELECT c.id FROM "Customer" c WHERE s.channel = 'email' AND c.email = s.address),
                (SELECT i."customerId" FROM "Identity" i WHERE i.channel = s.channel::"Channel" AND i."externalId" = s.address))
     FROM ${stage} s ON CONFLICT (channel, address) DO NOTHING`,
  );
  const total = Number(
    (await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${stage}`)).rows[0]!.n,
  );
  return { inserted, updated: 0, unchanged: total - inserted, customersCreated: 0, rejects: [] };
}

-- CreateTable
CREATE TABLE "CampaignStat" (
    "campaignId" TEXT NOT NULL,
    "step" TEXT NOT NULL,
    "variant" TEXT NOT NULL,
    "status" "DeliveryStatus" NOT NULL,
    "reason" TEXT NOT NULL,
    "currency" TEXT NOT NULL,
    "shard" SMALLINT NOT NULL,
    "deliveries" INTEGER NOT NULL DEFAULT 0,
    "delivered" INTEGER NOT NULL DEFAULT 0,
    "opened" INTEGER NOT NULL DEFAULT 0,
    "clicked" INTEGER NOT NULL DEFAULT 0,
    "converted" INTEGER NOT NULL DEFAULT 0,
    "withRevenue" INTEGER NOT NULL DEFAULT 0,
    "revenue" DECIMAL(20,2) NOT NULL DEFAULT 0,

    CONSTRAINT "CampaignStat_pkey" PRIMARY KEY ("campaignId","step","variant","status","reason","currency","shard")
);

-- CreateTable
CREATE TABLE "DeliveryHourStat" (
    "hour" TIMESTAMP(3) NOT NULL,
    "channel" "Channel" NOT NULL,
    "status" "DeliveryStatus" NOT NULL,
    "holdout" BOOLEAN NOT NULL,
    "shard" SMALLINT NOT NULL,
    "deliveries" INTEGER NOT NULL DEFAULT 0,
    "delivered" INTEGER NOT NULL DEFAULT 0,
    "converted" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "DeliveryHourStat_pkey" PRIMARY KEY ("hour","channel","status","holdout","shard")
);

-- A campaign's results, and the dashboard's funnel, are sums over Deliveries. Reading them from "Delivery"
-- scans every row of the campaign (100 000 rows: ~200 ms) or of the period; "CampaignStat" and
-- "DeliveryHourStat" keep the sums, moved by the deltas of each statement that writes "Delivery".
-- Statement-level triggers with transition tables: a fan-out inserting 2 000 rows runs one grouped upsert per
-- table, not 2 000. Rows are upserted in key order, so two statements never take the same rows' locks in
-- opposite orders; the shard (the backend's pid) keeps concurrent workers on different rows.
CREATE FUNCTION "rapport_delivery_stat_delta"() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  changed text;
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NOT EXISTS (SELECT 1 FROM new_rows WHERE "campaignId" IS NOT NULL) THEN RETURN NULL; END IF;
    changed := 'SELECT r.*, 1 AS sign FROM new_rows r';
  ELSIF TG_OP = 'DELETE' THEN
    IF NOT EXISTS (SELECT 1 FROM old_rows WHERE "campaignId" IS NOT NULL) THEN RETURN NULL; END IF;
    changed := 'SELECT r.*, -1 AS sign FROM old_rows r';
  ELSE
    IF NOT EXISTS (SELECT 1 FROM new_rows WHERE "campaignId" IS NOT NULL)
       AND NOT EXISTS (SELECT 1 FROM old_rows WHERE "campaignId" IS NOT NULL) THEN
      RETURN NULL;
    END IF;
    changed := 'SELECT r.*, 1 AS sign FROM new_rows r UNION ALL SELECT r.*, -1 AS sign FROM old_rows r';
  END IF;
  EXECUTE format($sql$
    INSERT INTO "CampaignStat" AS s ("campaignId", step, variant, status, reason, currency, shard,
      deliveries, delivered, opened, clicked, converted, "withRevenue", revenue)
    SELECT d."campaignId", COALESCE(d.step, ''), COALESCE(d.variant, ''), d.status, COALESCE(d.reason, ''),
      COALESCE(e.currency, ''), (pg_backend_pid() %% 16)::smallint,
      sum(d.sign), sum(d.sign * (d."deliveredAt" IS NOT NULL)::int), sum(d.sign * (d."openedAt" IS NOT NULL)::int),
      sum(d.sign * (d."clickedAt" IS NOT NULL)::int), sum(d.sign * (d."convertedAt" IS NOT NULL)::int),
      sum(d.sign * (d.revenue IS NOT NULL)::int), COALESCE(sum(d.sign * d.revenue), 0)
    FROM (%s) d LEFT JOIN "Event" e ON e.id = d."conversionEventId"
    WHERE d."campaignId" IS NOT NULL
    GROUP BY 1, 2, 3, 4, 5, 6
    HAVING sum(d.sign) <> 0 OR sum(d.sign * (d."deliveredAt" IS NOT NULL)::int) <> 0
      OR sum(d.sign * (d."openedAt" IS NOT NULL)::int) <> 0 OR sum(d.sign * (d."clickedAt" IS NOT NULL)::int) <> 0
      OR sum(d.sign * (d."convertedAt" IS NOT NULL)::int) <> 0 OR sum(d.sign * (d.revenue IS NOT NULL)::int) <> 0
      OR COALESCE(sum(d.sign * d.revenue), 0) <> 0
    ORDER BY 1, 2, 3, 4, 5, 6
    ON CONFLICT ("campaignId", step, variant, status, reason, currency, shard) DO UPDATE SET
      deliveries = s.deliveries + excluded.deliveries, delivered = s.delivered + excluded.delivered,
      opened = s.opened + excluded.opened, clicked = s.clicked + excluded.clicked,
      converted = s.converted + excluded.converted, "withRevenue" = s."withRevenue" + excluded."withRevenue",
      revenue = s.revenue + excluded.revenue
  $sql$, changed);
  EXECUTE format($sql$
    INSERT INTO "DeliveryHourStat" AS s (hour, channel, status, holdout, shard, deliveries, delivered, converted)
    SELECT date_trunc('hour', d."scheduledAt"), d.channel, d.status,
      d.status = 'skipped' AND d.reason IS NOT DISTINCT FROM 'holdout', (pg_backend_pid() %% 16)::smallint,
      sum(d.sign), sum(d.sign * (d."deliveredAt" IS NOT NULL)::int), sum(d.sign * (d."convertedAt" IS NOT NULL)::int)
    FROM (%s) d
    WHERE d."campaignId" IS NOT NULL
    GROUP BY 1, 2, 3, 4
    HAVING sum(d.sign) <> 0 OR sum(d.sign * (d."deliveredAt" IS NOT NULL)::int) <> 0
      OR sum(d.sign * (d."convertedAt" IS NOT NULL)::int) <> 0
    ORDER BY 1, 2, 3, 4
    ON CONFLICT (hour, channel, status, holdout, shard) DO UPDATE SET
      deliveries = s.deliveries + excluded.deliveries, delivered = s.delivered + excluded.delivered,
      converted = s.converted + excluded.converted
  $sql$, changed);
  RETURN NULL;
END
$fn$;

CREATE TRIGGER "Delivery_stat_insert" AFTER INSERT ON "Delivery"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "rapport_delivery_stat_delta"();
CREATE TRIGGER "Delivery_stat_update" AFTER UPDATE ON "Delivery"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION "rapport_delivery_stat_delta"();
CREATE TRIGGER "Delivery_stat_delete" AFTER DELETE ON "Delivery"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "rapport_delivery_stat_delta"();

-- The Deliveries written before this migration.
INSERT INTO "CampaignStat" ("campaignId", step, variant, status, reason, currency, shard,
  deliveries, delivered, opened, clicked, converted, "withRevenue", revenue)
SELECT d."campaignId", COALESCE(d.step, ''), COALESCE(d.variant, ''), d.status, COALESCE(d.reason, ''),
  COALESCE(e.currency, ''), 0::smallint,
  count(*), count(d."deliveredAt"), count(d."openedAt"), count(d."clickedAt"), count(d."convertedAt"),
  count(d.revenue), COALESCE(sum(d.revenue), 0)
FROM "Delivery" d LEFT JOIN "Event" e ON e.id = d."conversionEventId"
WHERE d."campaignId" IS NOT NULL
GROUP BY 1, 2, 3, 4, 5, 6;

INSERT INTO "DeliveryHourStat" (hour, channel, status, holdout, shard, deliveries, delivered, converted)
SELECT date_trunc('hour', d."scheduledAt"), d.channel, d.status,
  d.status = 'skipped' AND d.reason IS NOT DISTINCT FROM 'holdout', 0::smallint,
  count(*), count(d."deliveredAt"), count(d."convertedAt")
FROM "Delivery" d
WHERE d."campaignId" IS NOT NULL
GROUP BY 1, 2, 3, 4;

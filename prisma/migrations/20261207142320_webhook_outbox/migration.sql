-- AlterTable
ALTER TABLE "WebhookMessage" ADD COLUMN     "queuedAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "WebhookOutbox" (
    "id" BIGSERIAL NOT NULL,
    "type" TEXT NOT NULL,
    "customerId" UUID,
    "sharingDenied" BOOLEAN NOT NULL DEFAULT false,
    "occurredAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "data" JSONB NOT NULL,

    CONSTRAINT "WebhookOutbox_pkey" PRIMARY KEY ("id")
);

-- The webhooks' transactional outbox. Statement-level triggers (one call per statement, however many rows)
-- write what happened into "WebhookOutbox" in the same transaction as the change, so an event is never lost
-- to a crash and never emitted for a change that rolled back. Each first asks which event types active
-- subscriptions want: with none (the usual case) a trigger costs one lookup in a table of a few rows, and
-- writes nothing. The relay (workers/webhooks.ts) turns the rows into signed messages per subscription.

-- The event types some active, unpaused subscription asks for ("*": every one).
CREATE OR REPLACE FUNCTION "rapport_webhook_types"() RETURNS text[] LANGUAGE sql STABLE AS $fn$
  SELECT COALESCE(array_agg(DISTINCT e), '{}') FROM "WebhookSubscription" s, unnest(s.events) e
  WHERE s.active AND s."pausedAt" IS NULL
$fn$;

CREATE OR REPLACE FUNCTION "rapport_webhook_wants"(wanted text[], type text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $fn$ SELECT type = ANY(wanted) OR '*' = ANY(wanted) $fn$;

-- A UTC timestamp column as ISO 8601 with Z, as the events API and the webhook bodies write times.
CREATE OR REPLACE FUNCTION "rapport_iso"(t timestamp) RETURNS text LANGUAGE sql IMMUTABLE AS $fn$
  SELECT to_char(t, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$fn$;

-- The profile a customer.* event carries.
CREATE OR REPLACE FUNCTION "rapport_customer_profile"(c "Customer") RETURNS jsonb LANGUAGE sql IMMUTABLE AS $fn$
  SELECT jsonb_build_object('id', c.id, 'name', c.name, 'email', c.email, 'phone', c.phone,
    'externalId', c."externalId", 'locale', c.locale, 'timezone', c.timezone, 'country', c.country,
    'attributes', c.attributes, 'createdAt', "rapport_iso"(c."createdAt"))
$fn$;

CREATE OR REPLACE FUNCTION "rapport_webhook_customer"() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE wanted text[] := "rapport_webhook_types"();
BEGIN
  IF cardinality(wanted) = 0 THEN RETURN NULL; END IF;
  IF TG_OP = 'INSERT' THEN
    IF "rapport_webhook_wants"(wanted, 'customer.created') THEN
      INSERT INTO "WebhookOutbox" (type, "customerId", data)
      SELECT 'customer.created', n.id, "rapport_customer_profile"(n) FROM new_rows n WHERE n."mergedIntoId" IS NULL;
    END IF;
  ELSIF TG_OP = 'DELETE' THEN
    -- an erasure deletes the customer and the records merged into it: one event, for the surviving record
    IF "rapport_webhook_wants"(wanted, 'customer.erased') THEN
      INSERT INTO "WebhookOutbox" (type, "customerId", "sharingDenied", data)
      SELECT 'customer.erased', o.id, COALESCE(o.consent #>> '{data_sharing,status}' = 'denied', false),
        jsonb_build_object('id', o.id, 'externalId', o."externalId")
      FROM old_rows o WHERE o."mergedIntoId" IS NULL;
    END IF;
  ELSE
    IF "rapport_webhook_wants"(wanted, 'customer.updated') THEN
      INSERT INTO "WebhookOutbox" (type, "customerId", data)
      SELECT 'customer.updated', n.id, "rapport_customer_profile"(n)
      FROM new_rows n JOIN old_rows o ON o.id = n.id
      WHERE n."mergedIntoId" IS NULL AND "rapport_customer_profile"(n) IS DISTINCT FROM "rapport_customer_profile"(o);
    END IF;
    IF "rapport_webhook_wants"(wanted, 'customer.merged') THEN
      INSERT INTO "WebhookOutbox" (type, "customerId", data)
      SELECT 'customer.merged', n."mergedIntoId", jsonb_build_object('id', n."mergedIntoId", 'mergedId', n.id)
      FROM new_rows n JOIN old_rows o ON o.id = n.id
      WHERE o."mergedIntoId" IS NULL AND n."mergedIntoId" IS NOT NULL;
    END IF;
    IF "rapport_webhook_wants"(wanted, 'loyalty.tier_changed') THEN
      INSERT INTO "WebhookOutbox" (type, "customerId", data)
      SELECT 'loyalty.tier_changed', n.id, jsonb_build_object('customerId', n.id, 'from', o."loyaltyTier",
        'to', n."loyaltyTier", 'points', n."loyaltyPoints")
      FROM new_rows n JOIN old_rows o ON o.id = n.id
      WHERE n."mergedIntoId" IS NULL AND n."loyaltyTier" IS DISTINCT FROM o."loyaltyTier";
    END IF;
  END IF;
  RETURN NULL;
END
$fn$;

CREATE TRIGGER "rapport_webhook_customer_insert" AFTER INSERT ON "Customer"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "rapport_webhook_customer"();
CREATE TRIGGER "rapport_webhook_customer_update" AFTER UPDATE ON "Customer"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "rapport_webhook_customer"();
CREATE TRIGGER "rapport_webhook_customer_delete" AFTER DELETE ON "Customer"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "rapport_webhook_customer"();

CREATE OR REPLACE FUNCTION "rapport_webhook_conversation"() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE wanted text[] := "rapport_webhook_types"();
BEGIN
  IF cardinality(wanted) = 0 THEN RETURN NULL; END IF;
  IF TG_OP = 'INSERT' THEN
    IF "rapport_webhook_wants"(wanted, 'conversation.created') THEN
      INSERT INTO "WebhookOutbox" (type, "customerId", data)
      SELECT 'conversation.created', n."customerId", jsonb_build_object('id', n.id, 'customerId', n."customerId",
        'channel', n.channel, 'status', n.status, 'createdAt', "rapport_iso"(n."createdAt"))
      FROM new_rows n;
    END IF;
  ELSIF "rapport_webhook_wants"(wanted, 'conversation.closed') THEN
    INSERT INTO "WebhookOutbox" (type, "customerId", data)
    SELECT 'conversation.closed', n."customerId", jsonb_build_object('id', n.id, 'customerId', n."customerId",
      'channel', n.channel, 'closedAt', "rapport_iso"(n."closedAt"), 'assigneeId', n."assigneeId",
      'rating', n.rating)
    FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE n.status = 'closed' AND o.status <> 'closed';
  END IF;
  RETURN NULL;
END
$fn$;

CREATE TRIGGER "rapport_webhook_conversation_insert" AFTER INSERT ON "Conversation"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "rapport_webhook_conversation"();
CREATE TRIGGER "rapport_webhook_conversation_update" AFTER UPDATE ON "Conversation"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "rapport_webhook_conversation"();

CREATE OR REPLACE FUNCTION "rapport_webhook_interaction"() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE wanted text[] := "rapport_webhook_types"();
BEGIN
  IF NOT "rapport_webhook_wants"(wanted, 'message.received') THEN RETURN NULL; END IF;
  INSERT INTO "WebhookOutbox" (type, "customerId", data)
  SELECT 'message.received', n."customerId", jsonb_build_object('id', n.id, 'customerId', n."customerId",
    'conversationId', n."conversationId", 'channel', n.channel, 'text', n.text,
    'attachments', n.attachments, 'sentAt', "rapport_iso"(n."sentAt"))
  FROM new_rows n WHERE n.direction = 'inbound' AND NOT n.internal;
  RETURN NULL;
END
$fn$;

CREATE TRIGGER "rapport_webhook_interaction_insert" AFTER INSERT ON "Interaction"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "rapport_webhook_interaction"();

CREATE OR REPLACE FUNCTION "rapport_webhook_delivery"() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE wanted text[] := "rapport_webhook_types"();
BEGIN
  IF NOT ("rapport_webhook_wants"(wanted, 'delivery.sent') OR "rapport_webhook_wants"(wanted, 'delivery.failed'))
  THEN RETURN NULL; END IF;
  INSERT INTO "WebhookOutbox" (type, "customerId", data)
  SELECT 'delivery.' || n.status, n."customerId", jsonb_build_object('id', n.id, 'customerId', n."customerId",
    'channel', n.channel, 'kind', n.kind, 'campaignId', n."campaignId", 'step', n.step, 'variant', n.variant,
    'status', n.status, 'reason', n.reason, 'providerId', n."providerId",
    'at', "rapport_iso"(COALESCE(n."sentAt", n."failedAt", n."updatedAt")))
  FROM new_rows n JOIN old_rows o ON o.id = n.id
  WHERE n.status IN ('sent', 'failed') AND o.status IS DISTINCT FROM n.status
    AND "rapport_webhook_wants"(wanted, 'delivery.' || n.status);
  RETURN NULL;
END
$fn$;

CREATE TRIGGER "rapport_webhook_delivery_update" AFTER UPDATE ON "Delivery"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "rapport_webhook_delivery"();

CREATE OR REPLACE FUNCTION "rapport_webhook_consent"() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF NOT "rapport_webhook_wants"("rapport_webhook_types"(), 'consent.changed') THEN RETURN NULL; END IF;
  INSERT INTO "WebhookOutbox" (type, "customerId", data)
  SELECT 'consent.changed', n."customerId", jsonb_build_object('customerId', n."customerId", 'channel', n.channel,
    'status', n.status, 'source', n.source, 'at', "rapport_iso"(n.at))
  FROM new_rows n;
  RETURN NULL;
END
$fn$;

CREATE TRIGGER "rapport_webhook_consent_insert" AFTER INSERT ON "ConsentEvent"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "rapport_webhook_consent"();

CREATE OR REPLACE FUNCTION "rapport_webhook_segment"() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE wanted text[] := "rapport_webhook_types"();
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF "rapport_webhook_wants"(wanted, 'segment.entered') THEN
      INSERT INTO "WebhookOutbox" (type, "customerId", data)
      SELECT 'segment.entered', n."customerId", jsonb_build_object('segment', n.segment,
        'customerId', n."customerId", 'at', "rapport_iso"(n."enteredAt"))
      FROM new_rows n;
    END IF;
  ELSIF "rapport_webhook_wants"(wanted, 'segment.left') THEN
    INSERT INTO "WebhookOutbox" (type, "customerId", data)
    SELECT 'segment.left', o."customerId", jsonb_build_object('segment', o.segment, 'customerId', o."customerId",
      'enteredAt', "rapport_iso"(o."enteredAt"))
    FROM old_rows o;
  END IF;
  RETURN NULL;
END
$fn$;

CREATE TRIGGER "rapport_webhook_segment_insert" AFTER INSERT ON "SegmentMember"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "rapport_webhook_segment"();
CREATE TRIGGER "rapport_webhook_segment_delete" AFTER DELETE ON "SegmentMember"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "rapport_webhook_segment"();

-- CreateEnum
CREATE TYPE "ListeningStatus" AS ENUM ('new', 'answered', 'ignored', 'escalated');

-- CreateTable
CREATE TABLE "ListeningHit" (
    "interactionId" UUID NOT NULL,
    "channel" "Channel" NOT NULL,
    "keywords" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "status" "ListeningStatus" NOT NULL DEFAULT 'new',
    "assigneeId" UUID,
    "sentAt" TIMESTAMP(3) NOT NULL,
    "answeredAt" TIMESTAMP(3),
    "answeredById" UUID,
    "answerDeliveryId" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ListeningHit_pkey" PRIMARY KEY ("interactionId")
);

-- CreateIndex
CREATE INDEX "ListeningHit_sentAt_interactionId_idx" ON "ListeningHit"("sentAt" DESC, "interactionId" DESC);

-- CreateIndex
CREATE INDEX "ListeningHit_status_sentAt_idx" ON "ListeningHit"("status", "sentAt" DESC);

-- CreateIndex
CREATE INDEX "ListeningHit_keywords_idx" ON "ListeningHit" USING GIN ("keywords");

-- AddForeignKey
ALTER TABLE "ListeningHit" ADD CONSTRAINT "ListeningHit_interactionId_fkey" FOREIGN KEY ("interactionId") REFERENCES "Interaction"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ListeningHit" ADD CONSTRAINT "ListeningHit_assigneeId_fkey" FOREIGN KEY ("assigneeId") REFERENCES "StaffUser"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- Backfill: every public X post already stored (not a DM, whose ids are "dm:<id>") is a listening hit. A post in
-- a conversation addressed the brand (a mention); one outside any conversation was a keyword-search hit, whose
-- keyword was not kept. A mention a staff member answered in its conversation afterwards counts as answered.
INSERT INTO "ListeningHit" ("interactionId", "channel", "keywords", "status", "sentAt", "answeredAt")
SELECT i.id, i.channel,
  CASE WHEN i."conversationId" IS NULL THEN ARRAY[]::TEXT[] ELSE ARRAY['mention'] END,
  CASE WHEN answer.at IS NULL THEN 'new'::"ListeningStatus" ELSE 'answered'::"ListeningStatus" END,
  i."sentAt", answer.at
FROM "Interaction" i
LEFT JOIN LATERAL (
  SELECT min(o."sentAt") AS at FROM "Interaction" o
  WHERE i."conversationId" IS NOT NULL AND o."conversationId" = i."conversationId"
    AND o.direction = 'outbound' AND o.author = 'staff' AND NOT o.internal AND o."sentAt" >= i."sentAt"
) answer ON true
WHERE i.channel = 'x' AND i.direction = 'inbound' AND i.author = 'customer' AND NOT i.internal
  AND i."externalId" IS NOT NULL AND i."externalId" NOT LIKE 'dm:%'
ON CONFLICT DO NOTHING;

-- CreateTable
CREATE TABLE "InboundFailure" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "channel" TEXT NOT NULL,
    "sourceKey" TEXT NOT NULL,
    "payload" TEXT NOT NULL,
    "error" TEXT NOT NULL,
    "firstSeenAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "count" INTEGER NOT NULL DEFAULT 1,
    "resolvedAt" TIMESTAMP(3),
    "discardedAt" TIMESTAMP(3),
    "discardedBy" UUID,

    CONSTRAINT "InboundFailure_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "InboundFailure_lastSeenAt_idx" ON "InboundFailure"("lastSeenAt");

-- CreateIndex
CREATE UNIQUE INDEX "InboundFailure_channel_sourceKey_key" ON "InboundFailure"("channel", "sourceKey");

-- AlterTable
ALTER TABLE "Customer" ADD COLUMN     "loyaltyTier" TEXT;

-- CreateTable
CREATE TABLE "LoyaltyEntry" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "customerId" UUID NOT NULL,
    "points" INTEGER NOT NULL,
    "reason" TEXT NOT NULL,
    "eventId" UUID,
    "ref" TEXT,
    "expiresAt" TIMESTAMP(3),
    "staffUserId" UUID,
    "note" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "LoyaltyEntry_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "LoyaltyEntry_customerId_createdAt_idx" ON "LoyaltyEntry"("customerId", "createdAt");

-- CreateIndex
CREATE INDEX "LoyaltyEntry_expiresAt_idx" ON "LoyaltyEntry"("expiresAt");

-- CreateIndex
CREATE UNIQUE INDEX "LoyaltyEntry_reason_eventId_key" ON "LoyaltyEntry"("reason", "eventId");

-- CreateIndex
CREATE UNIQUE INDEX "LoyaltyEntry_reason_ref_key" ON "LoyaltyEntry"("reason", "ref");

-- AddForeignKey
ALTER TABLE "LoyaltyEntry" ADD CONSTRAINT "LoyaltyEntry_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "Customer"("id") ON DELETE CASCADE ON UPDATE CASCADE;

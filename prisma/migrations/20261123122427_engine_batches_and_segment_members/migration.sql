-- AlterTable
ALTER TABLE "Delivery" ADD COLUMN     "batchKey" TEXT;

-- CreateTable
CREATE TABLE "SegmentMember" (
    "segment" TEXT NOT NULL,
    "customerId" UUID NOT NULL,
    "enteredAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SegmentMember_pkey" PRIMARY KEY ("segment","customerId")
);

-- CreateIndex
CREATE INDEX "SegmentMember_customerId_idx" ON "SegmentMember"("customerId");

-- CreateIndex
CREATE INDEX "Delivery_batchKey_idx" ON "Delivery"("batchKey");

-- CreateIndex
CREATE INDEX "Delivery_customerId_kind_scheduledAt_idx" ON "Delivery"("customerId", "kind", "scheduledAt");

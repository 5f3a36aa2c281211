-- DropIndex
DROP INDEX "Purchase_sku_idx";

-- CreateIndex
CREATE INDEX "Purchase_sku_occurredAt_idx" ON "Purchase"("sku", "occurredAt" DESC);

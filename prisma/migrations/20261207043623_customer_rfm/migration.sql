-- CreateTable
CREATE TABLE "CustomerRfm" (
    "customerId" UUID NOT NULL,
    "recency" INTEGER,
    "frequency" INTEGER,
    "monetary" INTEGER,
    "segment" TEXT NOT NULL,
    "computedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "CustomerRfm_pkey" PRIMARY KEY ("customerId")
);

-- CreateIndex
CREATE INDEX "CustomerRfm_segment_idx" ON "CustomerRfm"("segment");

-- AddForeignKey
ALTER TABLE "CustomerRfm" ADD CONSTRAINT "CustomerRfm_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "Customer"("id") ON DELETE CASCADE ON UPDATE CASCADE;

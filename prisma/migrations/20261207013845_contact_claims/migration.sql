-- CreateTable
CREATE TABLE "ContactClaim" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "customerId" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "evidence" JSONB NOT NULL DEFAULT '{}',
    "verifiedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ContactClaim_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ContactVerification" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "customerId" UUID NOT NULL,
    "claimId" UUID NOT NULL,
    "value" TEXT NOT NULL,
    "codeHash" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "usedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ContactVerification_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ContactClaim_kind_value_idx" ON "ContactClaim"("kind", "value");

-- CreateIndex
CREATE UNIQUE INDEX "ContactClaim_customerId_kind_value_key" ON "ContactClaim"("customerId", "kind", "value");

-- CreateIndex
CREATE INDEX "ContactVerification_customerId_createdAt_idx" ON "ContactVerification"("customerId", "createdAt");

-- CreateIndex
CREATE INDEX "ContactVerification_value_createdAt_idx" ON "ContactVerification"("value", "createdAt");

-- AddForeignKey
ALTER TABLE "ContactClaim" ADD CONSTRAINT "ContactClaim_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "Customer"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ContactVerification" ADD CONSTRAINT "ContactVerification_claimId_fkey" FOREIGN KEY ("claimId") REFERENCES "ContactClaim"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AlterTable
ALTER TABLE "Coupon" ADD COLUMN     "redeemedOrderId" TEXT,
ADD COLUMN     "shop" TEXT,
ADD COLUMN     "shopCodeId" TEXT,
ADD COLUMN     "shopConfirmedAt" TIMESTAMP(3),
ADD COLUMN     "shopError" TEXT;

-- CreateTable
CREATE TABLE "ShopDiscount" (
    "shop" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "campaignId" TEXT,
    "step" TEXT,
    "discountId" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ShopDiscount_pkey" PRIMARY KEY ("shop","prefix")
);

-- CreateTable
CREATE TABLE "FirstTouch" (
    "customerId" UUID NOT NULL,
    "source" TEXT NOT NULL,
    "medium" TEXT,
    "campaign" TEXT,
    "referrer" TEXT,
    "landingPage" TEXT,
    "via" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "FirstTouch_pkey" PRIMARY KEY ("customerId")
);

-- CreateIndex
CREATE INDEX "FirstTouch_source_idx" ON "FirstTouch"("source");

-- CreateIndex
CREATE INDEX "Coupon_prefix_shopConfirmedAt_idx" ON "Coupon"("prefix", "shopConfirmedAt");

-- AddForeignKey
ALTER TABLE "FirstTouch" ADD CONSTRAINT "FirstTouch_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "Customer"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AlterTable
ALTER TABLE "Delivery" ADD COLUMN     "sendStartedAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "Customer" ADD COLUMN     "address" JSONB;

-- AlterEnum
ALTER TYPE "Channel" ADD VALUE 'whatsapp';

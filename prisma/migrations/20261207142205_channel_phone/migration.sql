-- AlterEnum
ALTER TYPE "Channel" ADD VALUE 'phone';

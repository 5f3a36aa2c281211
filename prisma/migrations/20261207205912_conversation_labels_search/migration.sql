-- AlterTable
ALTER TABLE "Conversation" ADD COLUMN     "labels" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- CreateIndex
CREATE INDEX "Conversation_labels_idx" ON "Conversation" USING GIN ("labels");

-- The inbox's message search (websearch_to_tsquery('simple', q)): the `simple` configuration, which neither
-- stems nor drops stop words, so Indonesian and Polish words are found as written. Prisma has no expression
-- indexes: this one is written by hand.
CREATE INDEX "Interaction_text_search_idx" ON "Interaction" USING GIN (to_tsvector('simple', "text"));

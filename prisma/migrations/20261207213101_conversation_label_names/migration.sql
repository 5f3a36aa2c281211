-- CreateTable
CREATE TABLE "ConversationLabel" (
    "name" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ConversationLabel_pkey" PRIMARY KEY ("name")
);

-- The names of the labels conversations carry already.
INSERT INTO "ConversationLabel" ("name")
SELECT DISTINCT unnest("labels") FROM "Conversation" WHERE "labels" IS NOT NULL
ON CONFLICT DO NOTHING;

-- One row, inserted at first start (workers/installation.ts) rather than here, so that databases copied
-- from a migrated template that never ran (the test suite's) each get their own id. A restored backup
-- keeps its source's id: give such a copy RAPPORT_QUEUE_PREFIX, or delete the row before its first start.

-- CreateTable
CREATE TABLE "Installation" (
    "singleton" INTEGER NOT NULL DEFAULT 1,
    "id" UUID NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Installation_pkey" PRIMARY KEY ("singleton")
);

-- CreateIndex
CREATE UNIQUE INDEX "Installation_id_key" ON "Installation"("id");

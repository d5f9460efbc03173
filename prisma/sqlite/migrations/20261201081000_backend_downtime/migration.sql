-- CreateTable
CREATE TABLE "backend_downtime" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "startedAt" DATETIME NOT NULL,
    "endedAt" DATETIME,
    "cause" TEXT NOT NULL
);

-- CreateTable
CREATE TABLE "backend_instances" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "startedAt" DATETIME NOT NULL,
    "aliveAt" DATETIME NOT NULL
);

-- CreateIndex
CREATE INDEX "backend_downtime_startedAt_idx" ON "backend_downtime"("startedAt");

-- CreateIndex
CREATE INDEX "backend_instances_aliveAt_idx" ON "backend_instances"("aliveAt");

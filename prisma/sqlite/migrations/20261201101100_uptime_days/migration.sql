-- CreateTable
CREATE TABLE "uptime_days" (
    "serverId" TEXT NOT NULL,
    "day" DATETIME NOT NULL,
    "upMs" INTEGER NOT NULL,
    "downMs" INTEGER NOT NULL,
    "endStatus" TEXT NOT NULL,

    PRIMARY KEY ("serverId", "day"),
    CONSTRAINT "uptime_days_serverId_fkey" FOREIGN KEY ("serverId") REFERENCES "monitored_servers" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "fleet_uptime_days" (
    "day" DATETIME NOT NULL PRIMARY KEY,
    "upMs" BIGINT NOT NULL,
    "downMs" BIGINT NOT NULL,
    "servers" INTEGER NOT NULL
);

-- CreateIndex
CREATE INDEX "status_changes_at_idx" ON "status_changes"("at");

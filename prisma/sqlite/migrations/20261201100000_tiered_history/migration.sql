-- Tiered history (issue 10): metric rollups, version changes, the rollup cursor.
-- CreateTable
-- Edited by hand: WITHOUT ROWID, so the rows live in the primary key's b-tree (no second copy of
-- the key per row): the rollups are most of the database.
CREATE TABLE "metric_rollups" (
    "serverId" TEXT NOT NULL,
    "tier" INTEGER NOT NULL,
    "bucketStart" DATETIME NOT NULL,
    "cpuPctCount" INTEGER NOT NULL DEFAULT 0,
    "cpuPctSum" REAL,
    "cpuPctMin" REAL,
    "cpuPctMax" REAL,
    "memPctCount" INTEGER NOT NULL DEFAULT 0,
    "memPctSum" REAL,
    "memPctMin" REAL,
    "memPctMax" REAL,
    "diskPctCount" INTEGER NOT NULL DEFAULT 0,
    "diskPctSum" REAL,
    "diskPctMin" REAL,
    "diskPctMax" REAL,
    "swapPctCount" INTEGER NOT NULL DEFAULT 0,
    "swapPctSum" REAL,
    "swapPctMin" REAL,
    "swapPctMax" REAL,
    "load1Count" INTEGER NOT NULL DEFAULT 0,
    "load1Sum" REAL,
    "load1Min" REAL,
    "load1Max" REAL,
    "load5Count" INTEGER NOT NULL DEFAULT 0,
    "load5Sum" REAL,
    "load5Min" REAL,
    "load5Max" REAL,
    "load15Count" INTEGER NOT NULL DEFAULT 0,
    "load15Sum" REAL,
    "load15Min" REAL,
    "load15Max" REAL,

    PRIMARY KEY ("serverId", "tier", "bucketStart"),
    CONSTRAINT "metric_rollups_serverId_fkey" FOREIGN KEY ("serverId") REFERENCES "monitored_servers" ("id") ON DELETE CASCADE ON UPDATE CASCADE
) WITHOUT ROWID;

-- CreateTable
-- Edited by hand: INTEGER PRIMARY KEY (the rowid), as for heartbeats.
CREATE TABLE "version_changes" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "serverId" TEXT NOT NULL,
    "at" DATETIME NOT NULL,
    "openclawVersion" TEXT,
    "pluginVersion" TEXT,
    "agents" TEXT,
    CONSTRAINT "version_changes_serverId_fkey" FOREIGN KEY ("serverId") REFERENCES "monitored_servers" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "history_cursors" (
    "name" TEXT NOT NULL PRIMARY KEY,
    "lastId" BIGINT NOT NULL DEFAULT 0,
    "updatedAt" DATETIME NOT NULL
);

-- CreateIndex
CREATE INDEX "version_changes_serverId_at_idx" ON "version_changes"("serverId", "at");

-- Upgrade: the versions and agents of the existing history become change events (the first
-- heartbeat of each server, then each heartbeat whose values differ from the one before it).
-- The metrics of the existing history are folded into the tiers by the rollup job: its cursor
-- starts at 0, before every existing heartbeat.
INSERT INTO "version_changes" ("serverId", "at", "openclawVersion", "pluginVersion", "agents")
SELECT "serverId", "receivedAt", "openclawVersion", "pluginVersion", "agents" FROM (
    SELECT "serverId", "receivedAt", "openclawVersion", "pluginVersion", "agents", "id",
           ROW_NUMBER() OVER w AS n,
           LAG("openclawVersion") OVER w AS pOpenclaw, LAG("pluginVersion") OVER w AS pPlugin, LAG("agents") OVER w AS pAgents
    FROM "heartbeats" WINDOW w AS (PARTITION BY "serverId" ORDER BY "id")
) WHERE n = 1 OR "openclawVersion" IS NOT pOpenclaw OR "pluginVersion" IS NOT pPlugin OR "agents" IS NOT pAgents
ORDER BY "id";

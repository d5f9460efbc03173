-- Tiered history (issue 10): metric rollups, version changes, the rollup cursor.
-- CreateTable
CREATE TABLE "metric_rollups" (
    "serverId" TEXT NOT NULL,
    "tier" INTEGER NOT NULL,
    "bucketStart" TIMESTAMP(3) NOT NULL,
    "cpuPctCount" INTEGER NOT NULL DEFAULT 0,
    "cpuPctSum" DOUBLE PRECISION,
    "cpuPctMin" DOUBLE PRECISION,
    "cpuPctMax" DOUBLE PRECISION,
    "memPctCount" INTEGER NOT NULL DEFAULT 0,
    "memPctSum" DOUBLE PRECISION,
    "memPctMin" DOUBLE PRECISION,
    "memPctMax" DOUBLE PRECISION,
    "diskPctCount" INTEGER NOT NULL DEFAULT 0,
    "diskPctSum" DOUBLE PRECISION,
    "diskPctMin" DOUBLE PRECISION,
    "diskPctMax" DOUBLE PRECISION,
    "swapPctCount" INTEGER NOT NULL DEFAULT 0,
    "swapPctSum" DOUBLE PRECISION,
    "swapPctMin" DOUBLE PRECISION,
    "swapPctMax" DOUBLE PRECISION,
    "load1Count" INTEGER NOT NULL DEFAULT 0,
    "load1Sum" DOUBLE PRECISION,
    "load1Min" DOUBLE PRECISION,
    "load1Max" DOUBLE PRECISION,
    "load5Count" INTEGER NOT NULL DEFAULT 0,
    "load5Sum" DOUBLE PRECISION,
    "load5Min" DOUBLE PRECISION,
    "load5Max" DOUBLE PRECISION,
    "load15Count" INTEGER NOT NULL DEFAULT 0,
    "load15Sum" DOUBLE PRECISION,
    "load15Min" DOUBLE PRECISION,
    "load15Max" DOUBLE PRECISION,

    CONSTRAINT "metric_rollups_pkey" PRIMARY KEY ("serverId","tier","bucketStart")
);

-- CreateTable
CREATE TABLE "version_changes" (
    "id" BIGSERIAL NOT NULL,
    "serverId" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "openclawVersion" TEXT,
    "pluginVersion" TEXT,
    "agents" TEXT,

    CONSTRAINT "version_changes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "history_cursors" (
    "name" TEXT NOT NULL,
    "lastId" BIGINT NOT NULL DEFAULT 0,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "history_cursors_pkey" PRIMARY KEY ("name")
);

-- CreateIndex
CREATE INDEX "version_changes_serverId_at_idx" ON "version_changes"("serverId", "at");

-- AddForeignKey
ALTER TABLE "metric_rollups" ADD CONSTRAINT "metric_rollups_serverId_fkey" FOREIGN KEY ("serverId") REFERENCES "monitored_servers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "version_changes" ADD CONSTRAINT "version_changes_serverId_fkey" FOREIGN KEY ("serverId") REFERENCES "monitored_servers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Upgrade: the versions and agents of the existing history become change events (the first
-- heartbeat of each server, then each heartbeat whose values differ from the one before it).
-- The metrics of the existing history are folded into the tiers by the rollup job: its cursor
-- starts at 0, before every existing heartbeat.
INSERT INTO "version_changes" ("serverId", "at", "openclawVersion", "pluginVersion", "agents")
SELECT "serverId", "receivedAt", "openclawVersion", "pluginVersion", "agents" FROM (
    SELECT "serverId", "receivedAt", "openclawVersion", "pluginVersion", "agents", "id",
           ROW_NUMBER() OVER w AS n,
           LAG("openclawVersion") OVER w AS p_openclaw, LAG("pluginVersion") OVER w AS p_plugin, LAG("agents") OVER w AS p_agents
    FROM "heartbeats" WINDOW w AS (PARTITION BY "serverId" ORDER BY "id")
) AS h WHERE n = 1 OR "openclawVersion" IS DISTINCT FROM p_openclaw OR "pluginVersion" IS DISTINCT FROM p_plugin OR "agents" IS DISTINCT FROM p_agents
ORDER BY "id";

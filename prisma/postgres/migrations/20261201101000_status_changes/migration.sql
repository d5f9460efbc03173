-- CreateTable
CREATE TABLE "status_changes" (
    "id" SERIAL NOT NULL,
    "serverId" TEXT NOT NULL,
    "fromStatus" TEXT,
    "toStatus" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "cause" TEXT NOT NULL,

    CONSTRAINT "status_changes_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "status_changes_serverId_at_idx" ON "status_changes"("serverId", "at");

-- AddForeignKey
ALTER TABLE "status_changes" ADD CONSTRAINT "status_changes_serverId_fkey" FOREIGN KEY ("serverId") REFERENCES "monitored_servers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Existing servers get a starting point for uptime: their registration (PENDING, not counted),
-- then, for those with a heartbeat, ONLINE at their last heartbeat and, if silent since, the
-- LATE/OFFLINE they were announced as at its threshold. Nothing earlier is known.
INSERT INTO "status_changes" ("serverId", "fromStatus", "toStatus", "at", "cause")
SELECT "id", NULL, 'PENDING', "createdAt", 'REGISTERED' FROM "monitored_servers";

INSERT INTO "status_changes" ("serverId", "fromStatus", "toStatus", "at", "cause")
SELECT "serverId", NULL, 'ONLINE', "lastSeenAt", 'UPGRADE' FROM "server_states";

INSERT INTO "status_changes" ("serverId", "fromStatus", "toStatus", "at", "cause")
SELECT "serverId", 'ONLINE', "status", CASE WHEN "status" = 'LATE' THEN "lateAt" ELSE "offlineAt" END, 'UPGRADE'
FROM "server_states" WHERE "status" IN ('LATE', 'OFFLINE');

-- CreateTable
CREATE TABLE "uptime_days" (
    "serverId" TEXT NOT NULL,
    "day" TIMESTAMP(3) NOT NULL,
    "upMs" INTEGER NOT NULL,
    "downMs" INTEGER NOT NULL,
    "endStatus" TEXT NOT NULL,

    CONSTRAINT "uptime_days_pkey" PRIMARY KEY ("serverId","day")
);

-- CreateTable
CREATE TABLE "fleet_uptime_days" (
    "day" TIMESTAMP(3) NOT NULL,
    "upMs" BIGINT NOT NULL,
    "downMs" BIGINT NOT NULL,
    "servers" INTEGER NOT NULL,

    CONSTRAINT "fleet_uptime_days_pkey" PRIMARY KEY ("day")
);

-- CreateIndex
CREATE INDEX "status_changes_at_idx" ON "status_changes"("at");

-- AddForeignKey
ALTER TABLE "uptime_days" ADD CONSTRAINT "uptime_days_serverId_fkey" FOREIGN KEY ("serverId") REFERENCES "monitored_servers"("id") ON DELETE CASCADE ON UPDATE CASCADE;


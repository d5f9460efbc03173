-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "monitored_servers" (
    "id" TEXT NOT NULL,
    "identifier" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "intervalSeconds" INTEGER NOT NULL DEFAULT 30,
    "graceSeconds" INTEGER NOT NULL DEFAULT 60,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "monitored_servers_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_keys" (
    "id" TEXT NOT NULL,
    "serverId" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "server_states" (
    "serverId" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "lastSeenAt" TIMESTAMP(3) NOT NULL,
    "lateAt" TIMESTAMP(3) NOT NULL,
    "offlineAt" TIMESTAMP(3) NOT NULL,
    "heartbeatCount" INTEGER NOT NULL DEFAULT 0,
    "openclawVersion" TEXT,
    "pluginVersion" TEXT,
    "agents" TEXT,
    "cpuPct" DOUBLE PRECISION,
    "memPct" DOUBLE PRECISION,
    "diskPct" DOUBLE PRECISION,
    "swapPct" DOUBLE PRECISION,
    "load1" DOUBLE PRECISION,
    "load5" DOUBLE PRECISION,
    "load15" DOUBLE PRECISION,
    "uptimeSeconds" DOUBLE PRECISION,

    CONSTRAINT "server_states_pkey" PRIMARY KEY ("serverId")
);

-- CreateTable
CREATE TABLE "heartbeats" (
    "id" BIGSERIAL NOT NULL,
    "serverId" TEXT NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL,
    "openclawVersion" TEXT,
    "pluginVersion" TEXT,
    "agents" TEXT,
    "cpuPct" DOUBLE PRECISION,
    "memPct" DOUBLE PRECISION,
    "diskPct" DOUBLE PRECISION,
    "swapPct" DOUBLE PRECISION,
    "load1" DOUBLE PRECISION,
    "load5" DOUBLE PRECISION,
    "load15" DOUBLE PRECISION,
    "uptimeSeconds" DOUBLE PRECISION,

    CONSTRAINT "heartbeats_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "admin_tokens" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "scope" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "admin_tokens_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "monitored_servers_identifier_key" ON "monitored_servers"("identifier");

-- CreateIndex
CREATE UNIQUE INDEX "api_keys_hash_key" ON "api_keys"("hash");

-- CreateIndex
CREATE INDEX "api_keys_serverId_idx" ON "api_keys"("serverId");

-- CreateIndex
CREATE INDEX "server_states_status_lateAt_idx" ON "server_states"("status", "lateAt");

-- CreateIndex
CREATE INDEX "server_states_status_offlineAt_idx" ON "server_states"("status", "offlineAt");

-- CreateIndex
CREATE INDEX "heartbeats_serverId_receivedAt_idx" ON "heartbeats"("serverId", "receivedAt");

-- CreateIndex
CREATE INDEX "heartbeats_receivedAt_idx" ON "heartbeats"("receivedAt");

-- CreateIndex
CREATE UNIQUE INDEX "admin_tokens_name_key" ON "admin_tokens"("name");

-- CreateIndex
CREATE UNIQUE INDEX "admin_tokens_hash_key" ON "admin_tokens"("hash");

-- AddForeignKey
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_serverId_fkey" FOREIGN KEY ("serverId") REFERENCES "monitored_servers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "server_states" ADD CONSTRAINT "server_states_serverId_fkey" FOREIGN KEY ("serverId") REFERENCES "monitored_servers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "heartbeats" ADD CONSTRAINT "heartbeats_serverId_fkey" FOREIGN KEY ("serverId") REFERENCES "monitored_servers"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- CreateTable
CREATE TABLE "monitored_servers" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "identifier" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "intervalSeconds" INTEGER NOT NULL DEFAULT 30,
    "graceSeconds" INTEGER NOT NULL DEFAULT 60,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "api_keys" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "serverId" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" DATETIME,
    "revokedAt" DATETIME,
    CONSTRAINT "api_keys_serverId_fkey" FOREIGN KEY ("serverId") REFERENCES "monitored_servers" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "server_states" (
    "serverId" TEXT NOT NULL PRIMARY KEY,
    "status" TEXT NOT NULL,
    "lastSeenAt" DATETIME NOT NULL,
    "lateAt" DATETIME NOT NULL,
    "offlineAt" DATETIME NOT NULL,
    "heartbeatCount" INTEGER NOT NULL DEFAULT 0,
    "openclawVersion" TEXT,
    "pluginVersion" TEXT,
    "agents" TEXT,
    "cpuPct" REAL,
    "memPct" REAL,
    "diskPct" REAL,
    "swapPct" REAL,
    "load1" REAL,
    "load5" REAL,
    "load15" REAL,
    "uptimeSeconds" REAL,
    CONSTRAINT "server_states_serverId_fkey" FOREIGN KEY ("serverId") REFERENCES "monitored_servers" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
-- Edited by hand: Prisma emits BIGINT here, which SQLite does not treat as the rowid, so the
-- autoincrement id would never be filled in. INTEGER PRIMARY KEY is SQLite's 64-bit rowid.
CREATE TABLE "heartbeats" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "serverId" TEXT NOT NULL,
    "receivedAt" DATETIME NOT NULL,
    "openclawVersion" TEXT,
    "pluginVersion" TEXT,
    "agents" TEXT,
    "cpuPct" REAL,
    "memPct" REAL,
    "diskPct" REAL,
    "swapPct" REAL,
    "load1" REAL,
    "load5" REAL,
    "load15" REAL,
    "uptimeSeconds" REAL,
    CONSTRAINT "heartbeats_serverId_fkey" FOREIGN KEY ("serverId") REFERENCES "monitored_servers" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "admin_tokens" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "scope" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" DATETIME,
    "revokedAt" DATETIME
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


-- CreateTable
CREATE TABLE "server_tags" (
    "serverId" TEXT NOT NULL,
    "tag" TEXT NOT NULL,

    PRIMARY KEY ("serverId", "tag"),
    CONSTRAINT "server_tags_serverId_fkey" FOREIGN KEY ("serverId") REFERENCES "monitored_servers" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "alert_channels" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "settings" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "lastSuccessAt" DATETIME,
    "lastErrorAt" DATETIME,
    "lastError" TEXT,
    "leaseUntil" DATETIME,
    "nextSendAt" DATETIME
);

-- CreateTable
CREATE TABLE "alert_rules" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "metric" TEXT,
    "operator" TEXT,
    "threshold" REAL,
    "clearThreshold" REAL,
    "forSeconds" INTEGER NOT NULL DEFAULT 0,
    "serverIds" TEXT NOT NULL DEFAULT '[]',
    "tags" TEXT NOT NULL DEFAULT '[]',
    "channelIds" TEXT NOT NULL DEFAULT '[]',
    "repeatIntervalSeconds" INTEGER,
    "notifyOnResolve" BOOLEAN NOT NULL DEFAULT true,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "alert_states" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "ruleId" TEXT NOT NULL,
    "serverId" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "seq" INTEGER NOT NULL DEFAULT 0,
    "since" DATETIME NOT NULL,
    "value" REAL,
    "observed" TEXT,
    "notified" BOOLEAN NOT NULL DEFAULT false,
    "lastNotifiedAt" DATETIME,
    "dueAt" DATETIME,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "alert_states_ruleId_fkey" FOREIGN KEY ("ruleId") REFERENCES "alert_rules" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "alert_states_serverId_fkey" FOREIGN KEY ("serverId") REFERENCES "monitored_servers" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
-- Edited by hand: INTEGER PRIMARY KEY (SQLite's rowid) instead of BIGINT, so the autoincrement id is filled in.
CREATE TABLE "alert_events" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "ruleId" TEXT NOT NULL,
    "ruleName" TEXT NOT NULL,
    "serverId" TEXT NOT NULL,
    "serverIdentifier" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "at" DATETIME NOT NULL,
    "value" REAL,
    "message" TEXT NOT NULL,
    "silenced" BOOLEAN NOT NULL DEFAULT false
);

-- CreateTable
-- Edited by hand: INTEGER PRIMARY KEY (SQLite's rowid) instead of BIGINT, so the autoincrement id is filled in.
CREATE TABLE "alert_outbox" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "channelId" TEXT NOT NULL,
    "idempotencyKey" TEXT NOT NULL,
    "payload" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "dueAt" DATETIME NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lastError" TEXT,
    "createdAt" DATETIME NOT NULL,
    "sentAt" DATETIME,
    CONSTRAINT "alert_outbox_channelId_fkey" FOREIGN KEY ("channelId") REFERENCES "alert_channels" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "alert_silences" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "comment" TEXT NOT NULL,
    "serverIds" TEXT NOT NULL DEFAULT '[]',
    "tags" TEXT NOT NULL DEFAULT '[]',
    "startsAt" DATETIME,
    "endsAt" DATETIME,
    "recurrence" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateIndex
CREATE INDEX "server_tags_tag_idx" ON "server_tags"("tag");

-- CreateIndex
CREATE INDEX "alert_states_dueAt_idx" ON "alert_states"("dueAt");

-- CreateIndex
CREATE INDEX "alert_states_state_idx" ON "alert_states"("state");

-- CreateIndex
CREATE INDEX "alert_states_serverId_idx" ON "alert_states"("serverId");

-- CreateIndex
CREATE UNIQUE INDEX "alert_states_ruleId_serverId_key" ON "alert_states"("ruleId", "serverId");

-- CreateIndex
CREATE INDEX "alert_events_at_idx" ON "alert_events"("at");

-- CreateIndex
CREATE INDEX "alert_events_ruleId_serverId_at_idx" ON "alert_events"("ruleId", "serverId", "at");

-- CreateIndex
CREATE INDEX "alert_outbox_status_dueAt_idx" ON "alert_outbox"("status", "dueAt");

-- CreateIndex
CREATE UNIQUE INDEX "alert_outbox_channelId_idempotencyKey_key" ON "alert_outbox"("channelId", "idempotencyKey");


-- CreateTable
CREATE TABLE "Agent" (
    "name" TEXT NOT NULL PRIMARY KEY,
    "role" TEXT NOT NULL,
    "runtime" TEXT NOT NULL,
    "desired" TEXT NOT NULL DEFAULT 'running',
    "uidBase" INTEGER,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "destroyedAt" DATETIME
);

-- CreateTable
CREATE TABLE "AgentSetting" (
    "agentName" TEXT NOT NULL PRIMARY KEY,
    "model" TEXT,
    "bashPatterns" TEXT,
    "updatedBy" TEXT NOT NULL,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "AgentSetting_agentName_fkey" FOREIGN KEY ("agentName") REFERENCES "Agent" ("name") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Message" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "sender" TEXT NOT NULL,
    "recipient" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "sentAt" DATETIME NOT NULL,
    "deliveredAt" DATETIME,
    "ackedAt" DATETIME,
    "redelivered" BOOLEAN NOT NULL DEFAULT false,
    "broadcast" BOOLEAN NOT NULL DEFAULT false
);

-- CreateTable
CREATE TABLE "OperatorQuestion" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "asker" TEXT NOT NULL,
    "question" TEXT NOT NULL,
    "optionsJson" TEXT,
    "multi" BOOLEAN NOT NULL DEFAULT false,
    "askedAt" DATETIME NOT NULL,
    "deadlineAt" DATETIME,
    "answeredAt" DATETIME,
    "answer" TEXT,
    "answerer" TEXT,
    "status" TEXT NOT NULL DEFAULT 'pending'
);

-- CreateTable
CREATE TABLE "Approval" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "kind" TEXT NOT NULL,
    "agent" TEXT NOT NULL,
    "commitRef" TEXT,
    "sha" TEXT,
    "description" TEXT,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "note" TEXT,
    "requestedAt" DATETIME NOT NULL,
    "resolvedAt" DATETIME
);

-- CreateTable
CREATE TABLE "Turn" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "agent" TEXT NOT NULL,
    "startedAt" DATETIME NOT NULL,
    "endedAt" DATETIME NOT NULL,
    "durationMs" INTEGER NOT NULL,
    "model" TEXT NOT NULL,
    "wakeFrom" TEXT,
    "ok" BOOLEAN NOT NULL,
    "error" TEXT,
    "tokensIn" INTEGER NOT NULL DEFAULT 0,
    "tokensOut" INTEGER NOT NULL DEFAULT 0,
    "tokensCacheRead" INTEGER NOT NULL DEFAULT 0,
    "tokensCacheWrite" INTEGER NOT NULL DEFAULT 0,
    "costUsd" REAL NOT NULL DEFAULT 0
);

-- CreateTable
CREATE TABLE "AgentEvent" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "agent" TEXT NOT NULL,
    "ts" DATETIME NOT NULL,
    "kind" TEXT NOT NULL,
    "payloadJson" TEXT NOT NULL
);

-- CreateIndex
CREATE UNIQUE INDEX "Agent_uidBase_key" ON "Agent"("uidBase");

-- CreateIndex
CREATE INDEX "Message_recipient_deliveredAt_idx" ON "Message"("recipient", "deliveredAt");

-- CreateIndex
CREATE INDEX "Message_recipient_ackedAt_idx" ON "Message"("recipient", "ackedAt");

-- CreateIndex
CREATE INDEX "OperatorQuestion_status_deadlineAt_idx" ON "OperatorQuestion"("status", "deadlineAt");

-- CreateIndex
CREATE INDEX "Approval_status_id_idx" ON "Approval"("status", "id");

-- CreateIndex
CREATE INDEX "Turn_agent_id_idx" ON "Turn"("agent", "id");

-- CreateIndex
CREATE INDEX "AgentEvent_agent_id_idx" ON "AgentEvent"("agent", "id");

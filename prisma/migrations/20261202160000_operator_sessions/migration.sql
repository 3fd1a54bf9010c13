-- CreateTable
CREATE TABLE "OperatorSession" (
    "idHash" TEXT NOT NULL PRIMARY KEY,
    "createdAt" DATETIME NOT NULL,
    "lastSeenAt" DATETIME NOT NULL
);

-- CreateIndex
CREATE INDEX "OperatorSession_lastSeenAt_idx" ON "OperatorSession"("lastSeenAt");

-- Dead letters: columns appended in place (no table copy on a large broker table).
ALTER TABLE "Message" ADD COLUMN "attempts" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "Message" ADD COLUMN "deadLetteredAt" DATETIME;
ALTER TABLE "Message" ADD COLUMN "lastError" TEXT;

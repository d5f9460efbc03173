-- CreateTable
CREATE TABLE "backend_downtime" (
    "id" SERIAL NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "endedAt" TIMESTAMP(3),
    "cause" TEXT NOT NULL,

    CONSTRAINT "backend_downtime_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "backend_instances" (
    "id" TEXT NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "aliveAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "backend_instances_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "backend_downtime_startedAt_idx" ON "backend_downtime"("startedAt");

-- CreateIndex
CREATE INDEX "backend_instances_aliveAt_idx" ON "backend_instances"("aliveAt");

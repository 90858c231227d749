// Builds the worker from injected parts; used by worker/main.ts, the dev launcher and the tests.
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import type { Kysely } from 'kysely';
import type pg from 'pg';
import { createActivities } from '../activities/index.js';
import type { Database } from '../db/schema.js';
import type { SecretBox } from '../db/secrets.js';
import { createOneRosterClient } from '../oneroster/client.js';
import { oneRosterConnection } from '../roster/districts.js';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface WorkerParts {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  db: Kysely<Database>;
  /** The pool behind db: staging pages are written with COPY through it (faster than INSERT). */
  pool?: pg.Pool;
  secrets: SecretBox;
  /** Production loads a prebuilt bundle; dev and tests bundle from source. */
  workflowBundle?: WorkflowBundleOption;
  maxConcurrentActivityTaskExecutions?: number;
}

export async function createSyncWorker(parts: WorkerParts): Promise<Worker> {
  const activities = createActivities({
    db: parts.db,
    pool: parts.pool,
    oneroster: (district) => createOneRosterClient({ ...oneRosterConnection(district, parts.secrets), districtId: district.id }),
  });
  return Worker.create({
    connection: parts.connection,
    namespace: parts.namespace,
    taskQueue: parts.taskQueue,
    activities,
    ...(parts.workflowBundle ? { workflowBundle: parts.workflowBundle } : { workflowsPath }),
    maxConcurrentActivityTaskExecutions: parts.maxConcurrentActivityTaskExecutions ?? 20,
  });
}

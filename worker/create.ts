// Builds the worker from injected parts; used by worker/main.ts, the dev launcher and the tests.
import { fileURLToPath } from 'node:url';
import { Client } from '@temporalio/client';
import { NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import type { Kysely } from 'kysely';
import type pg from 'pg';
import { createActivities } from '../activities/index.js';
import { createNotifyActivities, type NotifySettings } from '../activities/notify.js';
import { createOnboardingActivities } from '../activities/onboarding.js';
import type { Database } from '../db/schema.js';
import type { SecretBox } from '../db/secrets.js';
import type { Logger } from '../lib/log.js';
import type { Mailer } from '../mail/mailer.js';
import { createOneRosterClient } from '../oneroster/client.js';
import { oneRosterConnection } from '../roster/districts.js';
import { syncActivityInterceptors } from './interceptors.js';
import { WORKER_MAX_ACTIVITIES } from './memory.js';
import type { SyncMetrics } from './metrics.js';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
/** Bundled with the workflows (prebuilt or from source): run ids on workflow log lines. */
export const workflowInterceptorModules = [fileURLToPath(new URL('./workflow-interceptors.ts', import.meta.url))];

export interface WorkerParts {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  db: Kysely<Database>;
  /** The pool behind db: staging pages are written with COPY through it (faster than INSERT). */
  pool?: pg.Pool;
  secrets: SecretBox;
  /** Production loads a prebuilt bundle (npm run build:workflows); dev and tests bundle from source. */
  workflowBundle?: WorkflowBundleOption;
  maxConcurrentActivityTaskExecutions?: number;
  /** In-flight activities get this long to finish on shutdown before they are abandoned and retried elsewhere. */
  shutdownGraceMs?: number;
  log?: Logger;
  metrics?: SyncMetrics;
  /** Held/failed run notices and daily summaries; without a mailer they are logged, not sent. */
  mailer?: Mailer | null;
  notify?: NotifySettings;
}

export async function createSyncWorker(parts: WorkerParts): Promise<Worker> {
  const oneroster = (district: Parameters<typeof oneRosterConnection>[0]) =>
    createOneRosterClient({ ...oneRosterConnection(district, parts.secrets), districtId: district.id });
  // Stopping the nightly cron child needs terminate, and beginRun asks whether a blocking run's
  // workflow has ended: a client on the worker's connection.
  const temporal = new Client({ connection: parts.connection, namespace: parts.namespace });
  const activities = {
    ...createActivities({ db: parts.db, pool: parts.pool, oneroster, temporal, log: parts.log }),
    ...createOnboardingActivities({ db: parts.db, temporal, oneroster }),
    ...createNotifyActivities({ db: parts.db, mailer: parts.mailer ?? null, settings: parts.notify ?? { supportEmail: null, publicUrl: 'http://localhost:3000', temporalUiUrl: 'http://localhost:8233', namespace: parts.namespace }, log: parts.log }),
  };
  const graceMs = parts.shutdownGraceMs ?? 30_000;
  return Worker.create({
    connection: parts.connection,
    namespace: parts.namespace,
    taskQueue: parts.taskQueue,
    activities,
    ...(parts.workflowBundle ? { workflowBundle: parts.workflowBundle } : { workflowsPath }),
    interceptors: {
      activity: [syncActivityInterceptors({ db: parts.db, metrics: parts.metrics, log: parts.log })],
      // A prebuilt bundle has them inside (scripts/build-workflow-bundle.ts); the SDK warns if given twice.
      ...(parts.workflowBundle ? {} : { workflowModules: workflowInterceptorModules }),
    },
    maxConcurrentActivityTaskExecutions: parts.maxConcurrentActivityTaskExecutions ?? WORKER_MAX_ACTIVITIES,
    shutdownGraceTime: graceMs,
    // Abandoned activities return at once (see interceptors.ts); this only guards against a stuck drain.
    shutdownForceTime: graceMs + 30_000,
  });
}

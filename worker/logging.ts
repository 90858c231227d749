// Routes everything the Temporal SDK logs (worker lifecycle, Core, and the workflow/activity context
// loggers `log` and `Context.current().log`) into our pino logger, so SDK lines and ours share one
// format, one redaction and the same run ids (added by the interceptors in interceptors.ts and
// workflow-interceptors.ts).
import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import type { Logger } from '../lib/log.js';

const LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };

export class PinoTemporalLogger implements TemporalLogger {
  constructor(private readonly pino: Logger) {}

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    const fn = LEVEL[level] ?? 'info';
    if (!this.pino.isLevelEnabled(fn)) return;
    const { error, taskToken: _taskToken, ...rest } = (meta ?? {}) as LogMetadata & { error?: unknown; taskToken?: unknown };
    // Core's own lines call Temporal's run id runId; ours reserve runId for the sync run.
    if (rest.sdkComponent === 'core' && 'runId' in rest) {
      rest.temporalRunId = rest.runId;
      delete rest.runId;
    }
    // Our lines use `err` for errors (pino's serializer); the SDK calls it `error`.
    this.pino[fn](error === undefined ? rest : { ...rest, err: error }, message);
  }
  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}

/** Temporal's level names from ours. */
export function temporalLevel(level: string): LogLevel {
  const up = level.toUpperCase();
  if (up === 'FATAL') return 'ERROR';
  return (['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'] as const).find((l) => l === up) ?? 'INFO';
}

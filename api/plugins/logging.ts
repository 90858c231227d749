// Fastify logging options: our pino logger (redacting secrets, see lib/log.ts) and a request id
// that a load balancer's X-Request-Id carries through, so one request is one grep across replicas.
import { randomUUID } from 'node:crypto';
import type { FastifyServerOptions } from 'fastify';
import { createLogger, type Logger } from '../../lib/log.js';

export type AppLoggerOption = boolean | { level?: string } | Logger;

function isPino(value: unknown): value is Logger {
  return typeof value === 'object' && value !== null && typeof (value as Logger).child === 'function' && typeof (value as Logger).info === 'function';
}

export function fastifyLogging(option: AppLoggerOption | undefined): Pick<FastifyServerOptions, 'logger' | 'loggerInstance' | 'genReqId' | 'requestIdHeader'> {
  const ids = {
    // fastify's own header lookup is off (false) so genReqId below validates what the balancer sent.
    requestIdHeader: false as const,
    // Accept the balancer's id only when it looks like one; never echo arbitrary input into logs.
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,100}$/.test(given) ? given : randomUUID();
    },
  };
  if (!option) return { logger: false, ...ids };
  const logger = isPino(option) ? option : createLogger({ name: 'api', level: option === true ? 'info' : (option.level ?? 'info') });
  return { loggerInstance: logger, ...ids };
}

// Connection options for Temporal from config: a self-hosted cluster (plain or TLS), Temporal Cloud
// with an API key, or mTLS with a client certificate. Used by the worker, the API and the CLIs.
import { readFileSync } from 'node:fs';
import type { Config } from '../config/index.js';

export interface TemporalConnectionOptions {
  address: string;
  tls?: boolean | { clientCertPair?: { crt: Buffer; key: Buffer }; serverRootCACertificate?: Buffer; serverNameOverride?: string };
  apiKey?: string;
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`cannot read ${what} at ${path} (${(err as Error).message}): check the path and that the file is mounted`);
  }
}

export function temporalConnectionOptions(config: Config): TemporalConnectionOptions {
  const t = config.temporal;
  if (!t.address) throw new Error('TEMPORAL_ADDRESS is not set: point at Temporal (host:port, e.g. temporal:7233 or <ns>.<account>.tmprl.cloud:7233)');
  const custom = t.tlsCertPath || t.tlsCaPath || t.tlsServerName;
  const tls = custom
    ? {
        ...(t.tlsCertPath && t.tlsKeyPath ? { clientCertPair: { crt: readPem(t.tlsCertPath, 'TEMPORAL_TLS_CERT_PATH'), key: readPem(t.tlsKeyPath, 'TEMPORAL_TLS_KEY_PATH') } } : {}),
        ...(t.tlsCaPath ? { serverRootCACertificate: readPem(t.tlsCaPath, 'TEMPORAL_TLS_CA_PATH') } : {}),
        ...(t.tlsServerName ? { serverNameOverride: t.tlsServerName } : {}),
      }
    : t.tls;
  return { address: t.address, tls, ...(t.apiKey ? { apiKey: t.apiKey } : {}) };
}

// fetch_only: the project's OneRoster client walking every page of every collection, writing
// nothing. The denominator of ratio_resync: an unchanged night should cost little more than reading.
import { createOneRosterClient } from '../oneroster/client.js';
import { COLLECTIONS } from '../oneroster/types.js';
import type { SandboxProcess } from './stack.js';

export async function measureFetchOnly(sandbox: SandboxProcess, pageSize: number): Promise<{ seconds: number; records: number }> {
  const t0 = performance.now();
  const client = createOneRosterClient({
    baseUrl: sandbox.onerosterBaseUrl,
    auth: { kind: 'oauth2', clientId: sandbox.clientId, clientSecret: sandbox.clientSecret, tokenUrl: sandbox.tokenUrl },
    districtId: 'bench',
    pageSize,
  });
  let records = 0;
  for (const c of COLLECTIONS) {
    for await (const page of client.pages(c)) records += page.records.length;
  }
  return { seconds: (performance.now() - t0) / 1000, records };
}

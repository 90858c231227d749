// "Can we reach this ClassLink tenant?" — used by registration (which refuses a tenant that cannot
// authenticate) and by POST /api/districts/:id/test-connection.
import { createOneRosterClient } from '../oneroster/client.js';
import type { OneRosterAuth } from '../oneroster/types.js';

export interface TenantConnection {
  baseUrl: string;
  auth: OneRosterAuth;
}

export async function checkTenant(districtId: string, connection: TenantConnection) {
  // Few attempts and a short timeout: a person is waiting for this answer.
  const client = createOneRosterClient({ ...connection, districtId, maxAttempts: 2, timeoutMs: 15_000 });
  return client.testConnection();
}

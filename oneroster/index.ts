// The module's public surface: import from 'oneroster/index.js' rather than its parts.
export * from './types.js';
export { createOneRosterClient } from './client.js';
export { OneRosterError, isOneRosterError, type OneRosterErrorCode } from './errors.js';
export * from './records.js';
export { deltaFilter } from './delta.js';

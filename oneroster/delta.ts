// Delta reads: OneRoster 1.1 filters on dateLastModified. The margin reaches back before the last
// successful sync so that clock skew between us and the Roster Server, and records written while
// that sync was running, are read again rather than missed (re-reading is harmless: apply skips
// rows whose content did not change).

/** `dateLastModified>'<ISO time>'`, `safetyMarginMs` before `since`. */
export function deltaFilter(since: Date, safetyMarginMs: number): string {
  if (!(since instanceof Date) || Number.isNaN(since.getTime())) {
    throw new RangeError('deltaFilter needs a valid Date for since');
  }
  if (!Number.isFinite(safetyMarginMs) || safetyMarginMs < 0) {
    throw new RangeError(`deltaFilter safetyMarginMs must be a non-negative number, got ${safetyMarginMs}`);
  }
  return `dateLastModified>'${new Date(since.getTime() - safetyMarginMs).toISOString()}'`;
}

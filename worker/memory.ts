// The worker's memory budget (the benchmark's target: under 300 MB at any district size). A sync's
// live set is small, a few pages per activity in flight, but without a cap V8 lets the garbage of
// parsed pages grow the heap towards a quarter of the machine's memory before collecting it (354 MB
// peak at size l without the cap, 233 MB with it: `npm run bench`). A 32 MB young generation halves
// the time spent copying a page's still-live records from scavenge to scavenge (GC 5.1 s -> 3.7 s
// of a size-l full sync and resync) for ~40 MB more (275 MB peak). The Dockerfile runs every role
// with these options and the benchmark runs the worker with them; ops-deploy.test.ts checks both agree.
export const WORKER_NODE_OPTIONS = '--max-old-space-size=160 --max-semi-space-size=32';

/**
 * Activities in flight at once: each fetch holds up to two pages (about 10 MB for 1,000 large
 * records), so this many fit the heap above with room for the workflow cache.
 */
export const WORKER_MAX_ACTIVITIES = 10;

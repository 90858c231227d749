// Preloaded (`node --import ./scripts/exit-with-parent.mjs …`) into the processes that test and
// bench harnesses spawn, with EXIT_WITH_PARENT set to the harness's pid: when the harness dies
// without stopping them (killed, or interrupted before its cleanup ran), the child ends too instead
// of living on as an orphan that holds ports, a task queue and CPU. No graceful shutdown: nobody is
// left to wait for it, and a run it held is retried by Temporal as after any crash.
// An orphan is re-parented, so its parent pid changes (the harness may even be gone before this
// file loads); the check never keeps the child running. (An IPC channel's 'disconnect' would be
// neater, but under tsx's loader it never came.)
const parent = Number(process.env.EXIT_WITH_PARENT) || process.ppid;
const orphaned = () => process.ppid !== parent;
if (orphaned()) process.exit(1);
setInterval(() => {
  if (orphaned()) process.exit(1);
}, 500).unref();

// oidc-provider 9 prefers Node 22 and says so on every import; on Node 20.19+ it works (the
// sandbox tests prove it), so this one known line is kept out of the test output.
const warn = console.warn.bind(console);
console.warn = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && args[0].startsWith('oidc-provider WARNING: Unsupported runtime')) return;
  warn(...args);
};

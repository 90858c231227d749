// oidc-provider ships no types; the sandbox uses a small, known part of it.
declare module 'oidc-provider' {
  const Provider: any;
  export default Provider;
  export const errors: any;
  export const interactionPolicy: any;
}

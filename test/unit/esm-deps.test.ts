// openid-client 6 and oidc-provider 9 are ESM-only: this pins that the jest setup loads them.
import * as oidcClient from 'openid-client';
import Provider from 'oidc-provider';

test('ESM-only dependencies load under jest', () => {
  expect(typeof oidcClient.discovery).toBe('function');
  expect(typeof Provider).toBe('function');
});

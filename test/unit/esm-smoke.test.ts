import * as client from 'openid-client';
import Provider from 'oidc-provider';

test('ESM-only dependencies load under jest', () => {
  expect(typeof client.discovery).toBe('function');
  expect(typeof Provider).toBe('function');
});

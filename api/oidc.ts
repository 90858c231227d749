// The relying-party side of ClassLink SSO with openid-client 6: discovery per district (cached),
// the authorization URL with PKCE S256, state and nonce, and the callback's code exchange with
// every ID token check (signature, issuer, audience, nonce, expiry), then ClassLink's
// /v2/my/info for the OneRoster identity.
import { createHash } from 'node:crypto';
import * as client from 'openid-client';
import type { District } from '../db/schema.js';
import type { SecretBox } from '../db/secrets.js';
import { HttpError } from './errors.js';
import type { ClassLinkIdentity } from './identity.js';

export const SSO_SCOPE = 'openid profile email';

export interface SsoSettings {
  districtId: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  tenantId: string | null;
  userInfoUrl: string;
}

/** Why a sign-in failed, in words; `code` is for logs and tests, never a secret. */
export class SsoLoginError extends Error {
  override name = 'SsoLoginError';
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** ClassLink serves /v2/my/info from nodeapi.classlink.com; anything else (the sandbox) from the issuer's origin. */
export function defaultUserInfoUrl(issuer: string): string {
  const url = new URL(issuer);
  if (url.hostname === 'launchpad.classlink.com') return 'https://nodeapi.classlink.com/v2/my/info';
  return new URL('/v2/my/info', url.origin).href;
}

export function ssoSettings(district: District, secrets: SecretBox): SsoSettings | null {
  if (!district.sso_issuer || !district.sso_client_id || !district.sso_secret_enc) return null;
  return {
    districtId: district.id,
    issuer: district.sso_issuer,
    clientId: district.sso_client_id,
    clientSecret: secrets.open(district.sso_secret_enc),
    tenantId: district.sso_tenant_id,
    userInfoUrl: district.sso_userinfo_url ?? defaultUserInfoUrl(district.sso_issuer),
  };
}

export interface OidcOptions {
  /** Plain-http issuers (the sandbox): dev and test only. */
  allowInsecure: boolean;
  timeoutMs?: number;
  /** How long a discovered configuration is reused. */
  cacheMs?: number;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);

export class OidcClients {
  private readonly cache = new Map<string, { at: number; config: Promise<client.Configuration> }>();

  constructor(private readonly options: OidcOptions) {}

  private key(s: SsoSettings): string {
    // The secret is part of the key (hashed) so a rotated secret takes effect at once.
    return [s.districtId, s.issuer, s.clientId, createHash('sha256').update(s.clientSecret).digest('hex')].join('\n');
  }

  async configuration(s: SsoSettings): Promise<client.Configuration> {
    const key = this.key(s);
    const hit = this.cache.get(key);
    if (hit && Date.now() - hit.at < (this.options.cacheMs ?? 3600_000)) return hit.config;
    const insecure = this.options.allowInsecure && new URL(s.issuer).protocol === 'http:';
    const config = (async () => {
      let discovered: client.Configuration;
      try {
        discovered = await client.discovery(new URL(s.issuer), s.clientId, undefined, client.ClientSecretPost(s.clientSecret), {
          timeout: Math.ceil((this.options.timeoutMs ?? 10_000) / 1000),
          execute: [...(insecure ? [client.allowInsecureRequests] : []), client.enableNonRepudiationChecks],
        });
      } catch (err) {
        throw new SsoLoginError('discovery_failed', `Gradient could not reach your district’s ClassLink sign-in (${s.issuer}): ${(err as Error).message}. Try again in a minute; if it persists, tell Gradient Support.`, 502);
      }
      // Prefer client_secret_post; fall back to basic where the provider only takes that.
      const methods = discovered.serverMetadata().token_endpoint_auth_methods_supported;
      if (methods && !methods.includes('client_secret_post') && methods.includes('client_secret_basic')) {
        return client.discovery(new URL(s.issuer), s.clientId, undefined, client.ClientSecretBasic(s.clientSecret), {
          execute: [...(insecure ? [client.allowInsecureRequests] : []), client.enableNonRepudiationChecks],
        });
      }
      return discovered;
    })();
    this.cache.set(key, { at: Date.now(), config });
    config.catch(() => this.cache.delete(key));
    return config;
  }

  /**
   * Checks an issuer before it is saved (registration, PUT /sso): its discovery document must
   * answer. A district saved with an unreachable issuer would only fail later, at a teacher's
   * sign-in. Throws HttpError 422 with ClassLink's reason.
   */
  async verifyIssuer(s: Pick<SsoSettings, 'districtId' | 'issuer' | 'clientId' | 'clientSecret'>): Promise<void> {
    try {
      await this.configuration({ ...s, tenantId: null, userInfoUrl: '' });
    } catch (err) {
      const reason = err instanceof SsoLoginError ? err.message.replace(/ Try again in a minute.*$/, '') : (err as Error).message;
      throw new HttpError(422, 'sso_unreachable', `${reason}: check the issuer URL (ClassLink's is https://launchpad.classlink.com), then send the settings again`);
    }
  }

  async authorizationUrl(s: SsoSettings, redirectUri: string, p: { state: string; nonce: string; codeVerifier: string; loginHint?: string }): Promise<URL> {
    const config = await this.configuration(s);
    const params: Record<string, string> = {
      redirect_uri: redirectUri,
      scope: SSO_SCOPE,
      response_type: 'code',
      state: p.state,
      nonce: p.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(p.codeVerifier),
      code_challenge_method: 'S256',
    };
    if (p.loginHint) params.login_hint = p.loginHint;
    return client.buildAuthorizationUrl(config, params);
  }

  /**
   * Exchanges the code and checks the ID token; then asks /v2/my/info who this is. Throws
   * SsoLoginError with a reason a person can read.
   */
  async finish(s: SsoSettings, callbackUrl: URL, p: { state: string; nonce: string; codeVerifier: string }): Promise<ClassLinkIdentity & { subject: string }> {
    const config = await this.configuration(s);
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(config, callbackUrl, { pkceCodeVerifier: p.codeVerifier, expectedState: p.state, expectedNonce: p.nonce, idTokenExpected: true });
    } catch (err) {
      throw explain(err);
    }
    const claims = tokens.claims();
    if (!claims) throw new SsoLoginError('no_id_token', 'ClassLink did not send an ID token. Start the sign-in again.');
    const fromToken: ClassLinkIdentity = {
      sourcedId: str(claims.SourcedId),
      tenantId: claims.TenantId == null ? null : String(claims.TenantId),
      email: str(claims.email),
      loginId: str(claims.LoginId),
      role: str(claims.Role),
    };
    const info = await this.myInfo(s, tokens.access_token);
    if (info && fromToken.sourcedId && info.sourcedId && info.sourcedId !== fromToken.sourcedId) {
      throw new SsoLoginError('identity_mismatch', 'ClassLink’s user information does not match the signed ID token. Start the sign-in again.', 403);
    }
    return {
      subject: claims.sub,
      sourcedId: info?.sourcedId ?? fromToken.sourcedId,
      tenantId: info?.tenantId ?? fromToken.tenantId,
      email: info?.email ?? fromToken.email,
      loginId: info?.loginId ?? fromToken.loginId,
      role: info?.role ?? fromToken.role,
    };
  }

  /** ClassLink's user-info API; null when it is unavailable (the ID token's claims are used then). */
  private async myInfo(s: SsoSettings, accessToken: string): Promise<ClassLinkIdentity | null> {
    try {
      const res = await fetch(s.userInfoUrl, { headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' }, signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000) });
      if (!res.ok) return null;
      const body = (await res.json()) as Record<string, unknown>;
      return {
        sourcedId: str(body.SourcedId),
        tenantId: body.TenantId == null ? null : String(body.TenantId),
        email: str(body.Email),
        loginId: str(body.LoginId),
        role: str(body.Role),
      };
    } catch {
      return null;
    }
  }
}

/** openid-client's errors, said for people. Codes name the check that failed. */
function explain(err: unknown): SsoLoginError {
  if (err instanceof client.AuthorizationResponseError) {
    return new SsoLoginError(`provider_${err.error}`, `ClassLink did not complete the sign-in (${err.error}${err.error_description ? `: ${err.error_description}` : ''}). Start again.`);
  }
  if (err instanceof client.ResponseBodyError) {
    return new SsoLoginError(`token_${err.error}`, `ClassLink refused the sign-in code (${err.error}): it may have been used already or expired. Start the sign-in again.`);
  }
  // openid-client wraps oauth4webapi's error, whose message names the failed check and whose
  // cause names the claim: read down the cause chain.
  const chain: { message?: string; code?: string; claim?: string; cause?: unknown }[] = [];
  for (let c = err as (typeof chain)[number] | undefined; c && typeof c === 'object' && chain.length < 5; c = c.cause as (typeof chain)[number] | undefined) chain.push(c);
  const message = chain.map((c) => c.message).filter(Boolean).at(-1) ?? String(err);
  const claim = chain.map((c) => c.claim).find(Boolean) ?? /"(\w+)" (?:\(\w[\w ]*\) )?claim/.exec(message)?.[1];
  const codes = chain.map((c) => c.code);
  let code = 'id_token_invalid';
  if (claim === 'nonce') code = 'nonce_mismatch';
  else if (claim === 'iss') code = 'issuer_mismatch';
  else if (claim === 'aud' || claim === 'azp') code = 'audience_mismatch';
  else if (claim === 'exp' || claim === 'iat' || claim === 'nbf' || codes.includes('OAUTH_JWT_TIMESTAMP_CHECK_FAILED')) code = 'id_token_expired';
  else if (/state/i.test(message)) code = 'state_mismatch';
  else if (/signature/i.test(message)) code = 'bad_signature';
  return new SsoLoginError(code, `Gradient could not verify ClassLink’s answer (${message}). Start the sign-in again; if it keeps failing, tell Gradient Support.`, 403);
}

// JWT sessions (HS256, jose): a short-lived access token on every request, a longer refresh token that buys a new
// pair (the user is looked up again, so a disabled account or changed roles take effect at the next refresh), and
// a long-lived read-only kiosk token for wall displays. The secret never leaves this module's key object and is
// never logged.
import { randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import type { Role } from './policy.ts';

export type TokenType = 'access' | 'refresh' | 'kiosk';

export interface TokenClaims {
  /** Username, or the kiosk's name. */
  sub: string;
  name: string | null;
  roles: Role[];
  typ: TokenType;
  /** Epoch seconds. */
  exp: number;
  jti: string;
}

export interface TokenSigner {
  sign(claims: { sub: string; name: string | null; roles: readonly Role[]; typ: TokenType }, ttlSeconds: number): Promise<string>;
  /** The claims when the token is valid, of one of `types`, and not expired; null otherwise. */
  verify(token: string, types: readonly TokenType[]): Promise<TokenClaims | null>;
}

const issuer = 'linepulse';
const audience = 'linepulse-dashboard';

export function createTokenSigner(secret: Uint8Array, now: () => number = Date.now): TokenSigner {
  if (secret.length < 32) throw new Error('the JWT secret has at least 32 bytes');
  // Copied, so a caller clearing or reusing its buffer changes nothing here.
  const key = new Uint8Array(secret);
  return {
    async sign(claims, ttlSeconds) {
      const iat = Math.floor(now() / 1000);
      return new SignJWT({ name: claims.name, roles: [...claims.roles], typ: claims.typ })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(claims.sub)
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt(iat)
        .setExpirationTime(iat + ttlSeconds)
        .setJti(randomUUID())
        .sign(key);
    },
    async verify(token, types) {
      try {
        const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], issuer, audience, currentDate: new Date(now()) });
        const typ = payload.typ as TokenType;
        if (!types.includes(typ) || typeof payload.sub !== 'string' || !Array.isArray(payload.roles) || typeof payload.exp !== 'number') return null;
        return { sub: payload.sub, name: typeof payload.name === 'string' ? payload.name : null, roles: payload.roles as Role[], typ, exp: payload.exp, jti: String(payload.jti ?? '') };
      } catch (error) {
        if (error instanceof joseErrors.JOSEError) return null;
        throw error;
      }
    },
  };
}

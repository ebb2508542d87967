/**
 * Passwords: scrypt from node:crypto, run on the libuv pool so a login never blocks the event loop.
 * Stored as scrypt$<log2 N>$<r>$<p>$<salt>$<hash> (base64url) so the cost can rise later while old
 * hashes still verify.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { AppError } from '../errors.js';

export interface ScryptCost {
  logN: number;
  r: number;
  p: number;
}

/** ~50 ms on one core of a 2020s server: expensive to guess at, cheap enough to log in. */
export const DEFAULT_COST: ScryptCost = { logN: 15, r: 8, p: 1 };
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 256;

function derive(password: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  const options: ScryptOptions = { N: 2 ** cost.logN, r: cost.r, p: cost.p, maxmem: 256 * 2 ** cost.logN * cost.r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashPassword(password: string, cost: ScryptCost = DEFAULT_COST): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const key = await derive(password, salt, cost);
  return ['scrypt', cost.logN, cost.r, cost.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

// Verifying against this when the user does not exist costs the same time as a real check, so
// the answer time does not tell which usernames exist.
const DUMMY = `scrypt$${DEFAULT_COST.logN}$${DEFAULT_COST.r}$${DEFAULT_COST.p}$${Buffer.alloc(SALT_LENGTH).toString('base64url')}$${Buffer.alloc(KEY_LENGTH).toString('base64url')}`;

/** True when `password` matches `stored`; a null `stored` (no user, no password) spends the same time and says false. */
export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  const parts = (stored ?? DUMMY).split('$');
  const [scheme, logN, r, p, salt, hash] = parts;
  const cost = { logN: Number(logN), r: Number(r), p: Number(p) };
  if (parts.length !== 6 || scheme !== 'scrypt' || !(cost.logN >= 10 && cost.logN <= 20) || !(cost.r >= 1 && cost.r <= 32) || !(cost.p >= 1 && cost.p <= 16)) {
    throw new Error('stored password hash is not in the scrypt$... format');
  }
  const expected = Buffer.from(hash, 'base64url');
  const key = await derive(password, Buffer.from(salt, 'base64url'), cost);
  return stored !== null && key.length === expected.length && timingSafeEqual(key, expected);
}

/** Length only: long passphrases beat composition rules. */
export function checkPasswordPolicy(password: string, field = 'body.password'): void {
  if ([...password].length < PASSWORD_MIN) {
    throw new AppError('PASSWORD_TOO_SHORT', 'invalid', `${field} needs at least ${PASSWORD_MIN} characters`, { field });
  }
  if (password.length > PASSWORD_MAX) {
    throw new AppError('VALIDATION_FAILED', 'invalid', `${field} may have at most ${PASSWORD_MAX} characters`, { field });
  }
}

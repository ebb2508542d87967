/** Per-agent frame rate limit: a token bucket refilled continuously. Pure, state in the caller. */
export interface Bucket {
  tokens: number;
  tokensAt: number;
}

/** Takes one token; returns 0 when allowed, else the ms until a token will be there. */
export function takeToken(b: Bucket, now: number, ratePerS: number, burst: number): number {
  b.tokens = Math.min(burst, b.tokens + ((now - b.tokensAt) * ratePerS) / 1000);
  b.tokensAt = now;
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return 0;
  }
  return Math.ceil(((1 - b.tokens) * 1000) / ratePerS);
}

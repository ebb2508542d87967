/**
 * Storage tiers of the metric history and which one answers a query. Tier 0 holds raw points; every other
 * tier holds rollup buckets (min, max, sum, count, last) of its width, each rolled from the tier before it,
 * so a tier's width must be a multiple of the previous one's. Each tier keeps its data for its retention.
 *
 * Configured as AW_METRICS_TIERS="raw:2d,1m:30d,1h:3y" (width:retention, finest first).
 */
export interface Tier {
  /** Bucket width in ms; 0 for raw points. */
  widthMs: number;
  retentionMs: number;
  /** Time span of one stored chunk row (aligned to the epoch). */
  chunkMs: number;
  /** Stored tier id: bucket width in seconds, 0 for raw (stable if other tiers are added or removed). */
  id: number;
  label: string;
}

const UNIT_MS: Record<string, number> = { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7, w: 6.048e8, y: 3.1536e10 };

/** A raw chunk spans 2 h: 720 points at 10 s, about 1 KB encoded, one row. */
export const RAW_CHUNK_MS = 2 * 3_600_000;
/** A rollup chunk holds up to 360 buckets (6 h of 1 min, 15 d of 1 h): a few KB, kept inline in its row. */
export const BUCKETS_PER_CHUNK = 360;

export function parseDuration(text: string, what: string): number {
  const m = /^(\d+)(s|m|h|d|w|y)$/.exec(text.trim());
  if (!m || Number(m[1]) <= 0) throw new Error(`${what}: "${text}" is not a duration like 90s, 1m, 1h, 30d, 3y`);
  return Number(m[1]) * UNIT_MS[m[2]];
}

/** Parses "raw:2d,1m:30d,1h:3y". Throws with a message naming the bad part. */
export function parseTiers(spec: string): Tier[] {
  const parts = spec
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (!parts.length || !parts[0].startsWith('raw:')) throw new Error(`AW_METRICS_TIERS must start with raw:<retention>, got "${spec}"`);
  const tiers: Tier[] = [];
  for (const part of parts) {
    const [width, retention, extra] = part.split(':');
    if (retention === undefined || extra !== undefined) throw new Error(`AW_METRICS_TIERS: "${part}" is not width:retention`);
    const retentionMs = parseDuration(retention, 'AW_METRICS_TIERS retention');
    if (width === 'raw') {
      if (tiers.length) throw new Error('AW_METRICS_TIERS: raw must come first, once');
      tiers.push({ widthMs: 0, retentionMs, chunkMs: RAW_CHUNK_MS, id: 0, label: 'raw' });
      continue;
    }
    const widthMs = parseDuration(width, 'AW_METRICS_TIERS width');
    const prev = tiers[tiers.length - 1];
    if (widthMs % 1000 !== 0) throw new Error(`AW_METRICS_TIERS: width ${width} must be whole seconds`);
    if (prev.widthMs > 0 && (widthMs <= prev.widthMs || widthMs % prev.widthMs !== 0)) {
      throw new Error(`AW_METRICS_TIERS: width ${width} must be a larger multiple of the tier before it`);
    }
    if (retentionMs < prev.retentionMs) throw new Error(`AW_METRICS_TIERS: ${part} keeps data for less time than the finer tier before it`);
    tiers.push({ widthMs, retentionMs, chunkMs: widthMs * BUCKETS_PER_CHUNK, id: widthMs / 1000, label: width });
  }
  return tiers;
}

export const DEFAULT_TIERS_SPEC = 'raw:2d,1m:30d,1h:3y';

/** Start of the chunk of `tier` holding time t. */
export function chunkStartOf(t: number, chunkMs: number): number {
  const r = t % chunkMs;
  return r < 0 ? t - r - chunkMs : t - r;
}

export interface TierEstimate {
  /** Points (raw) or buckets this tier holds in the range, for the fullest series; an upper bound. */
  count: number;
  /** Data before this time may have been dropped by retention. */
  droppedBefore: number;
}

export interface TierChoice {
  tier: number;
  /** Width the answer's buckets get: the tier's width or a multiple of it; 0 for raw points. */
  stepMs: number;
}

/** How many buckets of width stepMs, aligned to the epoch, [from, to] touches. */
export function bucketsTouched(from: number, to: number, stepMs: number): number {
  return Math.floor(to / stepMs) - Math.floor(from / stepMs) + 1;
}

/**
 * The finest tier that still holds the whole range (nothing dropped after `from`) and answers within
 * maxPoints (raw: the points estimated in the range; a rollup tier: the buckets the range touches); when
 * none does, the coarsest tier with its buckets widened to a multiple of its width (or, with raw as the
 * only tier, raw points bucketed) so that the answer fits.
 */
export function chooseTier(tiers: readonly Tier[], est: readonly TierEstimate[], from: number, to: number, maxPoints: number): TierChoice {
  for (let i = 0; i < tiers.length; i++) {
    if (est[i].droppedBefore > from) continue;
    const width = tiers[i].widthMs;
    const count = width === 0 ? est[i].count : bucketsTouched(from, to, width);
    if (count <= maxPoints) return { tier: i, stepMs: width };
  }
  const tier = tiers.length - 1;
  return { tier, stepMs: widenedStep(from, to, maxPoints, Math.max(tiers[tier].widthMs, 1)) };
}

/** The smallest multiple of baseMs whose epoch-aligned buckets cover [from, to] in at most maxPoints. */
export function widenedStep(from: number, to: number, maxPoints: number, baseMs: number): number {
  let k = Math.max(1, Math.ceil((to - from + 1) / maxPoints / baseMs));
  // Alignment can add a bucket at either end; a few larger steps fix that (bounded, for max_points = 1).
  for (let tries = 0; tries < 10_000 && bucketsTouched(from, to, k * baseMs) > maxPoints; tries++) k++;
  return k * baseMs;
}

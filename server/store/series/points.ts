/**
 * Points of one series in columns, oldest first: what a decoded chunk yields and what rollups and rates
 * read. Columns rather than {t, v} objects so a day of points is two flat arrays, not 8640 allocations.
 * Timestamps are integer milliseconds since the epoch.
 */
export interface SeriesPoints {
  readonly t: ArrayLike<number>;
  readonly v: ArrayLike<number>;
}

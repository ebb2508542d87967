/**
 * What readers of stored metrics (the REST routes, PromQL) are given: the metric store's read half.
 * Points go in only through the ingest pipeline, and retention and closing are the composition root's.
 */
import type { MetricStore } from '../store/metric-store.js';

export type { SeriesQuery } from '../store/metric-store.js';

export type MetricReader = Pick<MetricStore, 'query' | 'names' | 'listSeries'>;

/** Opens the QuestDB metric store from the server config (METRICS_STORE=questdb). */
import type { Config } from '../../config.js';
import type { Logger } from '../../log.js';
import { QuestDbMetricStore, questDbPgUrl } from './questdb-store.js';

export async function openQuestDbStore(config: Config, log: Logger): Promise<QuestDbMetricStore> {
  if (!config.questdbUrl) throw new Error('METRICS_STORE=questdb needs QUESTDB_URL (ILP/HTTP, e.g. http://127.0.0.1:9000)');
  return QuestDbMetricStore.open({
    httpUrl: config.questdbUrl,
    pgUrl: config.questdbPgUrl ?? questDbPgUrl(config.questdbUrl),
    tiers: config.metrics.tiers,
    log,
  });
}

/** What route modules are built from: the domain objects of one server node. */
import type { AgentDirectory } from '../auth/agents.js';
import type { Cmdb } from '../cmdb/cmdb.js';
import type { ServerIdentity } from '../auth/server-identity.js';
import type { Cluster } from '../cluster/cluster.js';
import type { Config } from '../config.js';
import type { EventBus } from '../events.js';
import type { Gateway } from '../gateway/gateway.js';
import type { IngestPipeline } from '../ingest/pipeline.js';
import type { OutageStatus } from '../ingest/outage-store.js';
import type { Logger } from '../log.js';
import type { Db } from '../store/db.js';
import type { MetricStore } from '../store/metric-store.js';
import type { Monitor } from '../monitor/monitor.js';
import type { TaskService } from '../tasks/task-service.js';
import type { Itil } from '../itil/itil.js';
import type { DownloadStats } from '../http/task-files.js';
import type { AgentBundle } from '../http/agent-downloads.js';

export interface ApiDeps {
  version: string;
  config: Config;
  db: Db;
  log: Logger;
  bus: EventBus;
  agents: AgentDirectory;
  identity: ServerIdentity;
  gateway: Gateway;
  /** Presence and delivery across server nodes (a cluster of one without Redis). */
  cluster: Cluster;
  pipeline: IngestPipeline;
  metrics: MetricStore;
  /** Assets, types, inventory intake, approvals, hosts and host groups. */
  cmdb?: Cmdb;
  /** The ingest outage queue's state, when it is on. */
  outage?: () => OutageStatus;
  /** Templates, triggers, problems, incidents, notifications. */
  monitor?: Monitor;
  /** Batch tasks (server/tasks). */
  tasks?: TaskService;
  /** Incident, problem and change management (server/itil). */
  itil?: Itil;
  /** The agent bundle this node serves: hosts and agents lists mark agents on another version. */
  agentBundle?: AgentBundle;
  /** Task file downloads served by this node (GET /agent-files/...). */
  taskDownloads?: DownloadStats;
}

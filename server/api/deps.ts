/** What route modules are built from: the services of one server node, never its database. */
import type { AgentDirectory } from '../auth/agents.js';
import type { ApiKeyStore } from '../auth/api-keys.js';
import type { Enrollment } from '../auth/enrollment.js';
import type { SessionStore } from '../auth/sessions.js';
import type { UserDirectory } from '../auth/users.js';
import type { Cmdb } from '../cmdb/cmdb.js';
import type { ServerIdentity } from '../auth/server-identity.js';
import type { Cluster } from '../cluster/cluster.js';
import type { Config } from '../config.js';
import type { Gateway } from '../gateway/gateway.js';
import type { MetricReader } from '../ingest/metric-reader.js';
import type { IngestPipeline } from '../ingest/pipeline.js';
import type { OutageStatus } from '../ingest/outage-store.js';
import type { Logger } from '../log.js';
import type { Monitor } from '../monitor/monitor.js';
import type { TaskService } from '../tasks/task-service.js';
import type { Itil } from '../itil/itil.js';
import type { DownloadStats } from '../http/task-files.js';
import type { AgentBundle } from '../http/agent-downloads.js';

/** What routes may do with the monitor. */
export type MonitorService = Pick<
  Monitor,
  'templates' | 'templateChanges' | 'problems' | 'notifier' | 'maintenance' | 'templatesChanged' | 'hostsChanged' | 'acknowledge'
>;

export interface ApiDeps {
  version: string;
  config: Config;
  log: Logger;
  agents: AgentDirectory;
  identity: ServerIdentity;
  enrollment: Enrollment;
  users: UserDirectory;
  sessions: SessionStore;
  apiKeys: ApiKeyStore;
  /** Answers once the database does (health). */
  pingDatabase(): Promise<unknown>;
  /** This node's agent connections, as figures. */
  gateway: Pick<Gateway, 'stats'>;
  /** Presence across server nodes (a cluster of one without Redis): who is online, which nodes, their health. */
  cluster: Pick<Cluster, 'nodeId' | 'nodes' | 'onlineOf' | 'status'>;
  /** Points pushed over HTTP go in here; its figures and write failures are read here. */
  ingest: Pick<IngestPipeline, 'offer' | 'snapshot' | 'writeFailure'>;
  metrics: MetricReader;
  /** Assets, types, inventory intake, approvals, hosts and host groups. */
  cmdb?: Cmdb;
  /** The ingest outage queue's state, when it is on. */
  outage?: () => OutageStatus;
  /** Templates, triggers, problems, incidents, notifications: the stores and the edits that reach agents, not its lifecycle. */
  monitor?: MonitorService;
  /** Batch tasks (server/tasks). */
  tasks?: TaskService;
  /** Incident, problem and change management (server/itil). */
  itil?: Itil;
  /** The agent bundle this node serves: hosts and agents lists mark agents on another version. */
  agentBundle?: AgentBundle;
  /** Task file downloads served by this node (GET /agent-files/...). */
  taskDownloads?: DownloadStats;
}

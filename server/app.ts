/**
 * The composition root: builds one server node from its config (stores, cluster, ingest, monitor,
 * tasks, gateway, API, dashboard, all on one uWebSockets.js app and port), each module from the ones
 * built before it, then starts its parts in the order declared and stops them in reverse. main.ts and
 * the tests both start servers through here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import uWS from 'uWebSockets.js';
import { Redis } from 'ioredis';
import { AgentDirectory } from './auth/agents.js';
import { AuditTrail, agentEventEntry } from './auth/audit-trail.js';
import { bootstrapFirstAdmin, dashboardUrl, type FirstLogin } from './auth/bootstrap.js';
import { ApiKeyStore } from './auth/api-keys.js';
import { Enrollment } from './auth/enrollment.js';
import { createRequestGuard } from './auth/guard.js';
import { SessionStore } from './auth/sessions.js';
import { UserDirectory } from './auth/users.js';
import { ObjectChangeLog } from './history/object-changes.js';
import { SeriesCatalog } from './prometheus/series-catalog.js';
import { ApprovalPolicies } from './tasks/approval-policies.js';
import { loadServerIdentity } from './auth/server-identity.js';
import type { Config } from './config.js';
import { Cluster } from './cluster/cluster.js';
import { ChangeRequests } from './itil/changes.js';
import { MetricRetention } from './ingest/metric-retention.js';
import { EventBus } from './events.js';
import { startParts } from './parts.js';
import { Gateway } from './gateway/gateway.js';
import { IngestPipeline } from './ingest/pipeline.js';
import { FleetUsage } from './ingest/fleet-usage.js';
import { IngestHistory } from './ingest/ingest-history.js';
import { FleetFigures } from './ingest/fleet-figures.js';
import { createLogger, type Logger } from './log.js';
import { PROJECT_ROOT, DASHBOARD_DIR, INSTALL_SCRIPT } from './paths.js';
import { Router } from './http/router.js';
import { serveDashboard } from './http/static.js';
import { AgentBundle, serveAgentDownloads } from './http/agent-downloads.js';
import { openDb, type Db } from './store/db.js';
import { migrate } from './store/migrate.js';
import { isUnavailableError } from './store/unavailable.js';
import type { MetricStore } from './store/metric-store.js';
import { PostgresMetricStore } from './store/postgres/chunk-store.js';
import { hostname } from 'node:os';
import { openQuestDbStore } from './store/questdb/open.js';
import type { ApiDeps } from './api/deps.js';
import { agentRoutes } from './api/agents.routes.js';
import { healthRoutes } from './api/health.routes.js';
import { metricRoutes } from './api/metrics.routes.js';
import { apiKeyRoutes } from './api/api-keys.routes.js';
import { auditRoutes } from './api/audit.routes.js';
import { openApiRoutes } from './api/openapi.routes.js';
import { sessionRoutes } from './api/sessions.routes.js';
import { OutageQueue, claimQueueDir } from './ingest/outage-queue.js';
import { OutageTolerantStore } from './ingest/outage-store.js';
import { userRoutes } from './api/users.routes.js';
import { createCmdb } from './cmdb/cmdb.js';
import { groupsOfHosts } from './cmdb/targets.js';
import { LookupBatcher } from './store/lookup-batcher.js';
import { objectChangeRoutes } from './api/object-changes.routes.js';
import { cmdbRoutes } from './api/cmdb.routes.js';
import { Monitor } from './monitor/monitor.js';
import { monitorRoutes } from './api/monitor.routes.js';
import { alertRoutes } from './api/alerts.routes.js';
import { writeRoutes } from './api/write.routes.js';
import { clusterRoutes } from './api/cluster.routes.js';
import { taskRoutes } from './api/tasks.routes.js';
import { taskOutputRoutes } from './api/task-output.routes.js';
import { TaskService } from './tasks/task-service.js';
import { FileStore } from './tasks/file-store.js';
import { serveTaskFiles } from './http/task-files.js';
import { fileRoutes } from './api/files.routes.js';
import { taskPolicyRoutes } from './api/task-policies.routes.js';
import { templateChangeRoutes } from './api/template-changes.routes.js';
import { cmdbResolver } from './tasks/targets.js';
import { overviewRoutes } from './api/overview.routes.js';
import { prometheusRoutes } from './api/prometheus.routes.js';
import { selfMetricRoutes } from './api/self-metrics.routes.js';
import { SelfMetrics } from './telemetry/self-metrics.js';
import { adminSocketPath, serveAdminSocket, type AdminSocket } from './cli/admin-socket.js';
import { runOnServer } from './cli/autowatch.js';
import { Itil } from './itil/itil.js';
import { itilIncidentRoutes } from './api/itil-incidents.routes.js';
import { knownErrorRoutes } from './api/known-errors.routes.js';
import { changeRoutes } from './api/changes.routes.js';
import { serviceRoutes } from './api/services.routes.js';
import { itilReportRoutes } from './api/itil-reports.routes.js';
import { releaseRoutes } from './api/releases.routes.js';

export const VERSION: string = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')).version;

/** Everything one node is built of: what its routes get, plus what they never see (tests and tools reach in). */
export type ServerModules = ApiDeps & { db: Db; gateway: Gateway; pipeline: IngestPipeline; metrics: MetricStore; cluster: Cluster };

export interface RunningServer {
  port: number;
  deps: ServerModules;
  router: Router;
  /** Set when no admin has logged in yet: the one-time login link main.ts prints. */
  firstLogin: FirstLogin | null;
  /** Graceful: stop accepting, tell agents to go, write what was taken, close stores. */
  stop(): Promise<void>;
}

export interface StartOptions {
  log?: Logger;
  /** An already open database (tests share one per suite); otherwise opened from config. */
  db?: Db;
  metrics?: MetricStore;
  /** Decorates the metric store (fault-injection tests wrap the real one). */
  wrapMetrics?: (store: MetricStore) => MetricStore;
  validateResponses?: boolean;
}

export async function startServer(config: Config, opts: StartOptions = {}): Promise<RunningServer> {
  const log = opts.log ?? createLogger(config.logLevel);
  const db = opts.db ?? (await openDb({ databaseUrl: config.databaseUrl, dataDir: join(config.dataDir, 'pg') }));
  const applied = await migrate(db);
  if (applied.length) log.info({ applied }, 'schema migrated');

  const bus = new EventBus();
  const self = new SelfMetrics();
  const identity = await loadServerIdentity(db);
  const agents = new AgentDirectory(db, bus);
  const cmdb = createCmdb(db);
  // Changes through the API and what agents say that changes records: one append-only trail.
  const audit = new AuditTrail(db, log);
  const redis = config.redisUrl ? new Redis(config.redisUrl, { maxRetriesPerRequest: 1, commandTimeout: 2000 }) : undefined;
  // Its trouble is reported by the cluster's own connection (health, one log line per cause).
  redis?.on('error', () => undefined);
  // A folder of this process's own under DATA_DIR (slot-N, taken over by a restart of a process that
  // died): it names the metric store's write-ahead rows and holds the outage queue.
  const slot = claimQueueDir(join(config.dataDir, 'outage-queue'));
  const baseMetrics =
    opts.metrics ??
    (config.metricsStore === 'questdb'
      ? await openQuestDbStore(config, log)
      : await PostgresMetricStore.open(db, {
          ...config.metrics,
          writer: `${hostname()}:${slot.dir}`,
          maxSeriesPerHost: config.metrics.seriesPerHost,
          log,
          onCheckpoint: self.observeCheckpoint,
        }));
  const storeMetrics = opts.wrapMetrics ? opts.wrapMetrics(baseMetrics) : baseMetrics;
  // Accepted points outlive a metric store outage in a local queue.
  const tolerant =
    config.ingest.outageQueueBytes > 0
      ? new OutageTolerantStore(storeMetrics, new OutageQueue({ dir: slot.dir, maxBytes: config.ingest.outageQueueBytes }), log, {
          retryMs: 1000,
          deadLetterDir: slot.dir,
        })
      : undefined;
  const metrics: MetricStore = tolerant ?? storeMetrics;

  // Presence, relay and leases; it learns this node's sessions and port when it joins (after listening).
  const cluster = new Cluster({ redisUrl: config.redisUrl, clusterName: config.clusterName, bus, log });
  // Jobs that run once per cluster: on the node holding their lease (always this one without Redis).
  const monitorLease = cluster.lease('monitor', 15_000);
  const retention = new MetricRetention({ metrics, lease: cluster.lease('metric-retention', 60_000), everyMs: config.metrics.retentionMs, log });

  const pipeline = new IngestPipeline(metrics, { ...config.ingest, writers: db.kind === 'pglite' ? 1 : 2 }, log);
  // The overview's busiest hosts and ingest graph come from what is stored, not from queries.
  const usage = new FleetUsage();
  const ingestHistory = new IngestHistory(() => pipeline.snapshot().committedPoints);
  const figures = new FleetFigures(usage, ingestHistory, cluster);

  // Asked once per host as agents connect: thousands at once after a restart, so in batches.
  const hostGroups = new LookupBatcher((ids: string[]) => groupsOfHosts(db, ids), { maxKeys: 500, maxWaitMs: 5 });
  const monitor = new Monitor({
    db,
    bus,
    log,
    config,
    presence: cluster,
    leader: () => monitorLease.held,
    groupsOfHost: async (hostId) => (await hostGroups.get(hostId)) ?? [],
  });
  pipeline.onWrite(self.observeWrite);
  pipeline.onWrite((w) => {
    if (!w.committed) return;
    monitor.stored(w.batches);
    usage.observe(w.batches);
  });

  const files = new FileStore(db, join(config.dataDir, 'files'));
  const changes = new ChangeRequests(db);
  const resolveTargets = cmdbResolver(db);
  const agentBundle = new AgentBundle(config.tasks.agentBundlePath);
  const tasks = new TaskService({
    db,
    bus,
    gateway: cluster,
    identity,
    log,
    config: config.tasks,
    resolveTargets,
    fileSize: (sha) => files.size(sha),
    changes,
    agentBundle: () => agentBundle.current(),
  });
  const itil = new Itil({
    db,
    log,
    monitor,
    leader: () => monitorLease.held,
    tickMs: config.monitor.nodataTickMs,
    metrics,
    changes,
    tasks,
    fileSize: (sha) => files.size(sha),
  });

  const gateway = new Gateway({
    config: config.gateway,
    directory: agents,
    pipeline,
    bus,
    log,
    handlers: {
      hello: async (agent, hello) => {
        const changed = await agents.recordHello(agent.agentId, hello);
        if (Object.keys(changed).length) audit.append(agentEventEntry(agent, 'agent.identity_changed', changed));
        await tasks.onAgentOnline(agent.agentId);
      },
      inventory: (agent, report) => cmdb.onInventory(agent, report),
      config: (agent) => monitor.agentConfig(agent),
      taskResult: (agent, message) => tasks.onResult(agent, message),
    },
    presence: cluster,
  });
  self.watch({ gateway, pipeline });

  const app = uWS.App();
  const router = new Router({
    log,
    guard: createRequestGuard({ db, config, log, redis }),
    validateResponses: opts.validateResponses,
    uploadDir: files.incomingDir,
    isUnavailable: isUnavailableError,
  });
  router.observe(audit.observe);
  router.observe(self.observeRequest);
  // Known once listening (PORT=0 picks a free port).
  const listening = { port: config.port, socket: undefined as uWS.us_listen_socket | undefined };
  gateway.attach(app, '/agent');
  router.mount(app, '/api/*');
  router.mount(app, '/prometheus/*');
  router.mount(app, '/metrics');
  const taskDownloads = serveTaskFiles(app, { tasks, files, maxDownloads: config.tasks.maxDownloads, log });
  serveAgentDownloads(app, {
    bundle: agentBundle,
    installScriptPath: INSTALL_SCRIPT,
    publicUrl: config.api.publicUrl,
    fallbackUrl: () => dashboardUrl(undefined, config.host, listening.port),
  });
  serveDashboard(app, DASHBOARD_DIR);
  // Every other method and path gets the envelope's 404 / 405 rather than a connection closed unanswered.
  router.mount(app, '/*');

  const deps: ApiDeps = {
    version: VERSION,
    config,
    log,
    agents,
    identity,
    enrollment: new Enrollment(db, bus),
    users: new UserDirectory(db),
    sessions: new SessionStore(db),
    apiKeys: new ApiKeyStore(db),
    pingDatabase: () => db.query('SELECT 1'),
    gateway,
    cluster,
    ingest: pipeline,
    metrics,
    cmdb,
    monitor,
    tasks,
    itil,
    outage: tolerant && (() => tolerant.status()),
    agentBundle,
    taskDownloads,
  };
  router.add(...healthRoutes(deps), ...agentRoutes(deps), ...metricRoutes(deps));
  router.add(
    ...taskRoutes({ ...deps, tasks }),
    ...taskOutputRoutes({ tasks }),
    ...fileRoutes({ files, maxBytes: config.tasks.fileMaxBytes }),
    ...taskPolicyRoutes({ policies: new ApprovalPolicies(db, resolveTargets) }),
  );
  router.add(...sessionRoutes(deps), ...userRoutes(deps), ...apiKeyRoutes(deps), ...auditRoutes(audit), ...clusterRoutes(deps), ...openApiRoutes(deps, router));
  router.add(...cmdbRoutes({ ...deps, cmdb }), ...objectChangeRoutes({ changes: new ObjectChangeLog(db) }));
  router.add(...monitorRoutes(deps), ...templateChangeRoutes(deps), ...alertRoutes(deps), ...writeRoutes({ ...deps, cmdb }));
  router.add(
    ...itilIncidentRoutes({ itil }),
    ...knownErrorRoutes({ itil }),
    ...changeRoutes({ itil }),
    ...releaseRoutes({ itil }),
    ...serviceRoutes({ itil }),
    ...itilReportRoutes({ itil }),
  );
  router.add(...overviewRoutes({ ...deps, cmdb, figures }), ...selfMetricRoutes(self));
  router.add(...prometheusRoutes({ ...deps, catalog: new SeriesCatalog(metrics, db) }));

  let firstLogin: FirstLogin | null = null;
  let adminSocket: AdminSocket | null = null;
  // Listed in start order; the node stops bottom-up: admin socket and listener first, then the timers,
  // the intake, the drain, the sessions, and the stores, the database last.
  const stop = await startParts(
    [
      { name: 'database', stop: () => (opts.db ? undefined : db.close()) },
      { name: 'request nonces', stop: () => redis?.disconnect() },
      { name: 'audit trail', stop: () => audit.close() },
      { name: 'data slot', stop: () => slot.release() },
      { name: 'metric store', stop: () => metrics.close() },
      { name: 'cluster', stop: () => cluster.stop() },
      { name: 'gateway', stop: () => gateway.stop() },
      // Triggers on the points still being written are evaluated until the pipeline has drained.
      { name: 'trigger evaluation', stop: () => monitor.stop() },
      { name: 'agent sessions', stop: () => gateway.closeAll() },
      // Write and acknowledge what was accepted before telling agents to go, so that a restart
      // makes them resend nothing that is already stored.
      {
        name: 'ingest',
        stop: async () => {
          await pipeline.drain();
          await new Promise((r) => setImmediate(r));
        },
      },
      { name: 'tasks', start: () => tasks.start(), stop: () => tasks.stop() },
      { name: 'agent intake', stop: () => gateway.stopAccepting() },
      { name: 'itil', start: () => itil.start(), stop: () => itil.stop() },
      { name: 'monitor', start: () => monitor.start(), stop: () => monitor.halt() },
      { name: 'fleet figures', start: () => figures.start(), stop: () => figures.stop() },
      { name: 'metric retention', start: () => retention.start(), stop: () => retention.stop() },
      {
        name: 'first admin',
        start: async () => {
          firstLogin = config.api.bootstrapAdmin ? await bootstrapFirstAdmin(db, config.api, log) : null;
        },
      },
      {
        name: 'listener',
        start: async () => {
          listening.socket = await new Promise<uWS.us_listen_socket>((resolve, reject) => {
            app.listen(config.host, config.port, (s) => (s ? resolve(s) : reject(new Error(`cannot listen on ${config.host}:${config.port}`))));
          });
          listening.port = uWS.us_socket_local_port(listening.socket);
        },
        stop: () => uWS.us_listen_socket_close(listening.socket!),
      },
      { name: 'cluster membership', start: () => cluster.start({ sessions: gateway, port: listening.port }) },
      {
        // The `autowatch` CLI sends its commands here while this server runs (the embedded database takes one process).
        name: 'admin socket',
        start: async () => {
          const serverUrl = dashboardUrl(config.api.publicUrl, config.host, listening.port);
          const adminPath = adminSocketPath(config.dataDir);
          adminSocket = await serveAdminSocket(adminPath, (req) => runOnServer(req, { config, db, serverUrl })).then(
            (socket) => {
              if (!socket) log.warn({ path: adminPath }, 'another server answers the admin socket of this DATA_DIR; the CLI reaches that one');
              return socket;
            },
            (err) => {
              log.warn({ err, path: adminPath }, 'cannot open the admin socket; the CLI works on an embedded database only while the server is stopped');
              return null;
            },
          );
        },
        stop: () => adminSocket?.close(),
      },
    ],
    log,
  );
  log.info({ host: config.host, port: listening.port, database: db.kind, metricStore: config.metricsStore }, 'autowatch listening');

  let stopped: Promise<void> | undefined;
  const stopServer = () => (stopped ??= stop().then(() => log.info('autowatch stopped')));

  return { port: listening.port, deps: { ...deps, db, gateway, pipeline, metrics, cluster }, router, firstLogin, stop: stopServer };
}

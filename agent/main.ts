#!/usr/bin/env node
/**
 * autowatch-agent --server ws://HOST:PORT/agent --token TOKEN [--state-dir DIR] [--interval S] [--plugin-dir DIR:DIR]
 *   [--refuse-remote-exec] [--allow-command LINE]... [--allow-plugin NAME]... [--enroll-only] [--version] (docs/agent.md)
 * Enrolls once (the token is needed only then), then runs until SIGINT/SIGTERM.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { hostname, platform, release, arch } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { CheckScheduler } from './checks/check-scheduler.js';
import { PluginRunner } from './checks/plugin-runner.js';
import { createMetricCollector } from './collect/metrics/metric-collector.js';
import { collectInventory } from './collect/inventory/collect-inventory.js';
import { enroll, httpBase } from './enroll.js';
import { AgentRuntime } from './runtime.js';
import { Spool } from './spool.js';
import { loadIdentity, saveIdentity } from './state.js';
import { SeenOrders } from './tasks/seen-orders.js';
import { TaskAgent } from './tasks/task-agent.js';
import { restartAgent } from './restart.js';
import { AGENT_VERSION as VERSION, BUNDLED } from './version.js';

const { values: args } = parseArgs({
  options: {
    server: { type: 'string' },
    token: { type: 'string' },
    'state-dir': { type: 'string', default: process.env.AW_AGENT_STATE_DIR ?? '/var/lib/autowatch-agent' },
    interval: { type: 'string', default: '10' },
    hostname: { type: 'string', default: hostname() },
    'plugin-dir': { type: 'string', default: process.env.AW_AGENT_PLUGIN_DIRS ?? '/etc/autowatch/plugins:/usr/lib/nagios/plugins:/usr/lib/monitoring-plugins' },
    'log-level': { type: 'string', default: process.env.LOG_LEVEL ?? 'info' },
    // Tasks and plugin items: this host's own say over what the server may run here.
    'refuse-remote-exec': { type: 'boolean', default: process.env.AW_AGENT_REFUSE_REMOTE_EXEC === 'true' },
    'allow-command': { type: 'string', multiple: true },
    // Plugins templates may run with any arguments, wrappers such as negate included.
    'allow-plugin': { type: 'string', multiple: true, default: process.env.AW_AGENT_ALLOW_PLUGINS?.split(',').filter(Boolean) ?? [] },
    help: { type: 'boolean', default: false },
    version: { type: 'boolean', default: false },
    // install.sh enrolls before it starts the service, so the token never goes into the unit file.
    'enroll-only': { type: 'boolean', default: false },
  },
});

if (args.version) {
  console.log(VERSION);
  process.exit(0);
}

if (args.help || !args.server) {
  console.error(
    'usage: autowatch-agent --server ws://HOST:PORT/agent --token TOKEN [--state-dir DIR] [--interval SECONDS] [--refuse-remote-exec] [--allow-command LINE]... [--allow-plugin NAME]... [--enroll-only] [--version]',
  );
  process.exit(args.help ? 0 : 2);
}

const log = pino({ level: args['log-level'], base: { svc: 'autowatch-agent' }, redact: ['secret', 'token'] });
const server = new URL(args.server!);
if (server.pathname === '/' || server.pathname === '') server.pathname = '/agent';
const stateDir = args['state-dir']!;
const machineId = (() => {
  try {
    return readFileSync('/etc/machine-id', 'utf8').trim();
  } catch {
    return undefined;
  }
})();

let identity = loadIdentity(stateDir);
if (!identity) {
  if (!args.token) {
    log.fatal({ stateDir }, 'not enrolled yet: pass --token (made with `autowatch token create`)');
    process.exit(2);
  }
  identity = await enroll({
    server: server.toString(),
    token: args.token!,
    hostname: args.hostname!,
    os: `${platform()} ${release()}`,
    machineId,
    agentVersion: VERSION,
  });
  saveIdentity(stateDir, identity);
  log.info({ agent: identity.agentId, stateDir }, 'enrolled');
}
if (args['enroll-only']) {
  console.log(`enrolled as agent ${identity.agentId} (state in ${stateDir})`);
  process.exit(0);
}

const localPolicy = { refuseRemoteExecution: args['refuse-remote-exec'], allowedCommands: args['allow-command'] };
const tasks = new TaskAgent({
  agentId: identity.agentId,
  serverPublicKey: Buffer.from(identity.serverSignPublicKey, 'base64'),
  policy: localPolicy,
  seen: new SeenOrders(join(stateDir, 'tasks-seen.json')),
  httpBase: httpBase(server.toString()),
  log,
  // In the bundle this module is the bundle: the file an agent-upgrade replaces.
  selfPath: BUNDLED ? realpathSync(fileURLToPath(import.meta.url)) : undefined,
  restart: () => stopThen(() => restartAgent(log)),
});
const collector = createMetricCollector();
// Monitoring plugins are looked up by name in these folders only, and run only as the local policy allows.
const plugins = new PluginRunner({
  dirs: args['plugin-dir']!.split(':').filter(Boolean),
  maxConcurrent: 4,
  outputCapBytes: 64 * 1024,
  policy: { ...localPolicy, allowedPlugins: args['allow-plugin'] },
});
let checks: CheckScheduler | undefined;
const runtime = new AgentRuntime({
  server: server.toString(),
  agentId: identity.agentId,
  secret: Buffer.from(identity.secret, 'base64'),
  hello: { agentVersion: VERSION, hostname: args.hostname!, os: `${platform()} ${release()}`, kernel: release(), arch: arch(), machineId },
  spool: new Spool({ dir: join(stateDir, 'spool'), memoryBatches: 360, maxFileBytes: 64 * 1024 * 1024 }),
  log,
  inventory: async () => (await collectInventory()) as unknown as Record<string, unknown>,
  intervalS: Number(args.interval),
  // A config without monitoring means "what you run is current" (the hello named its version).
  onConfig: (config) => config.monitoring && checks?.apply(config.monitoring, config.version),
  collect: (now, only) => collector.collect(now, only),
  tasks,
});
checks = new CheckScheduler({ runner: plugins, emit: (points) => runtime.submit(points), log });
runtime.on('connected', () => log.info({ agent: identity!.agentId, server: server.toString() }, 'connected'));
runtime.on('fatal', () => process.exit(3));
runtime.start();

/** Stops checks and the connection (spooling what is unsent), then `next`. */
function stopThen(next: () => void): void {
  checks?.stop();
  void runtime.stop().then(next);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => stopThen(() => process.exit(0)));

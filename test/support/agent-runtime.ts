/**
 * The real agent runtime as tests run it: an enrolled agent's credentials, an in-memory spool, a log
 * silent unless AW_TEST_LOG says otherwise, a 1 s interval, a short reconnect backoff and no metrics;
 * each test overrides what it is about. Not started: the caller adds its listeners first.
 */
import { pino } from 'pino';
import { AgentRuntime, type AgentRuntimeOptions } from '../../agent/runtime.js';
import { Spool } from '../../agent/spool.js';

export function testRuntime(server: string, agent: { agentId: string; secret: Buffer }, opts: Partial<AgentRuntimeOptions> = {}): AgentRuntime {
  return new AgentRuntime({
    server,
    agentId: agent.agentId,
    secret: agent.secret,
    hello: { agentVersion: 'test', hostname: agent.agentId },
    spool: new Spool({ memoryBatches: 1000, maxFileBytes: 1e6 }),
    log: pino({ level: process.env.AW_TEST_LOG ?? 'silent' }),
    collect: async () => [],
    intervalS: 1,
    backoff: { baseMs: 100, capMs: 1000 },
    ...opts,
  });
}

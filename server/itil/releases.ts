/**
 * Release management: a release is a versioned bundle (files by sha256 from the task file store,
 * commands, health checks). A rollout deploys it to hosts in waves, each step a signed task through
 * the task service (file pushes, then the commands); after each wave the health gate looks at the
 * wave's hosts (open problems at or above a severity, and the health check commands, run as tasks)
 * and decides to go on or stop. Each host that got the release records it as the version it runs,
 * with the one before, so a rollback deploys the previous release to exactly those hosts. A rollout
 * (deploy or rollback) may be made under an approved change request covering releases, which its
 * step tasks then carry; change control may require one for the hosts.
 */
import { randomUUID } from 'node:crypto';
import type { Actor } from '../auth/person.js';
import { countHosts } from '../cmdb/hosts.js';
import { AppError, notFound } from '../errors.js';
import type { Logger } from '../log.js';
import { SEVERITIES, severityRank, type Severity } from '../monitor/trigger-evaluate.js';
import type { Db } from '../store/db.js';
import { recordOf, recordsOf, type RecordOf } from '../store/rows.js';
import type { TaskService } from '../tasks/task-service.js';
import type { TaskSpec } from '../tasks/task-store.js';
import type { ChangeRequests } from './changes.js';

export interface ReleaseFile {
  sha256: string;
  path: string;
  mode: number;
}

/** The health gate as the health JSON column stores it (the keys the API took). */
interface StoredHealth {
  checks: string[];
  max_severity_open: Severity | null;
  settle_s: number;
}
export type ReleaseHealth = RecordOf<StoredHealth>;

interface ReleaseRow {
  id: string;
  name: string;
  version: string;
  files: ReleaseFile[];
  commands: string[];
  health: StoredHealth;
  created_at: Date;
  created_by: string;
}
export interface Release extends Omit<RecordOf<ReleaseRow>, 'health'> {
  health: ReleaseHealth;
}

/** A wave of a rollout as the waves JSON column stores it. */
interface StoredWave {
  wave: number;
  host_ids: string[];
  tasks: string[];
  gate: StoredGate | null;
  failed_hosts: string[];
}
interface StoredGate {
  passed: boolean;
  problems: number;
  failed_checks: string[];
}
export interface RolloutWave extends Omit<RecordOf<StoredWave>, 'gate'> {
  gate: RecordOf<StoredGate> | null;
}

interface RolloutRow {
  id: string;
  release_id: string;
  kind: 'deploy' | 'rollback';
  undoes: string | null;
  /** The approved change request it is made under. */
  change_id: string | null;
  host_ids: string[];
  batch_size: number;
  state: 'running' | 'succeeded' | 'stopped' | 'failed';
  current_wave: number;
  stop_reason: string | null;
  waves: StoredWave[];
  created_at: Date;
  created_by: string;
  finished_at: Date | null;
}
export interface Rollout extends Omit<RecordOf<RolloutRow>, 'waves'> {
  waves: RolloutWave[];
}

/** Which release of a name a host runs, and the one it ran before. */
interface HostReleaseRow {
  host_id: string;
  name: string;
  version: string;
  release_id: string;
  previous_release_id: string | null;
  rollout_id: string;
  at: Date;
}
export type HostRelease = RecordOf<HostReleaseRow>;

const TASK_END = new Set(['done', 'stopped', 'cancelled', 'rejected']);
export const releaseNotFound = () => notFound('release', 'RELEASE_NOT_FOUND');
export const rolloutNotFound = () => notFound('release rollout', 'ROLLOUT_NOT_FOUND');
const forHost = (text: string, hostId: string) => text.replaceAll('{host_id}', hostId);

// The JSON columns keep the keys they have always been stored with; records hold them camelCased.
const releaseOf = (row: ReleaseRow): Release => ({ ...recordOf(row), health: recordOf(row.health) });
const rolloutOf = (row: RolloutRow): Rollout => ({ ...recordOf(row), waves: row.waves.map((w) => ({ ...recordOf(w), gate: w.gate && recordOf(w.gate) })) });
const storedHealth = (h: ReleaseHealth): StoredHealth => ({ checks: h.checks, max_severity_open: h.maxSeverityOpen, settle_s: h.settleS });
const storedWaves = (waves: RolloutWave[]): string =>
  JSON.stringify(
    waves.map(
      (w): StoredWave => ({
        wave: w.wave,
        host_ids: w.hostIds,
        tasks: w.tasks,
        gate: w.gate && { passed: w.gate.passed, problems: w.gate.problems, failed_checks: w.gate.failedChecks },
        failed_hosts: w.failedHosts,
      }),
    ),
  );

export class Releases {
  private readonly running = new Map<string, Promise<void>>();
  private stopping = false;

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly tasks: TaskService,
    private readonly changes: ChangeRequests,
    private readonly fileSize: (sha256: string) => Promise<number | null>,
    private readonly pollMs = 200,
  ) {}

  /** Rollouts are driven by the node that started them: one a restart interrupted is stopped, saying so. */
  async start(): Promise<void> {
    await this.db.query(
      `UPDATE itil_release_rollouts SET state = 'stopped', stop_reason = 'interrupted by a server restart', finished_at = now() WHERE state = 'running'`,
    );
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled([...this.running.values()]);
  }

  async create(r: Pick<Release, 'name' | 'version' | 'files' | 'commands' | 'health'>, by: string): Promise<Release> {
    for (const [i, f] of r.files.entries()) {
      if ((await this.fileSize(f.sha256)) === null)
        throw new AppError('FILE_NOT_FOUND', 'invalid', `no uploaded file has sha256 ${f.sha256}; upload it first (POST /api/v1/files)`, {
          field: `body.files[${i}].sha256`,
        });
    }
    try {
      const { rows } = await this.db.query<ReleaseRow>(
        'INSERT INTO itil_releases (id, name, version, files, commands, health, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *',
        [randomUUID(), r.name, r.version, JSON.stringify(r.files), JSON.stringify(r.commands), JSON.stringify(storedHealth(r.health)), by],
      );
      return releaseOf(rows[0]);
    } catch (err: any) {
      if (err?.code === '23505')
        throw new AppError('RELEASE_EXISTS', 'conflict', `release ${r.name} ${r.version} exists; releases are immutable, make a new version`);
      throw err;
    }
  }

  async get(id: string): Promise<Release> {
    const r = await this.db.query<ReleaseRow>('SELECT * FROM itil_releases WHERE id = $1', [id]);
    if (!r.rows[0]) throw releaseNotFound();
    return releaseOf(r.rows[0]);
  }

  async list(): Promise<Release[]> {
    return (await this.db.query<ReleaseRow>('SELECT * FROM itil_releases ORDER BY name, created_at DESC LIMIT 1000')).rows.map(releaseOf);
  }

  async rollout(id: string): Promise<Rollout> {
    const r = await this.db.query<RolloutRow>('SELECT * FROM itil_release_rollouts WHERE id = $1', [id]);
    if (!r.rows[0]) throw rolloutNotFound();
    return rolloutOf(r.rows[0]);
  }

  async rolloutsOf(releaseId: string): Promise<Rollout[]> {
    return (
      await this.db.query<RolloutRow>('SELECT * FROM itil_release_rollouts WHERE release_id = $1 ORDER BY created_at DESC LIMIT 1000', [releaseId])
    ).rows.map(rolloutOf);
  }

  /** Which release of each name each host runs. */
  async hostVersions(hostId?: string): Promise<HostRelease[]> {
    const { rows } = await this.db.query<HostReleaseRow>(
      `SELECT h.host_id, h.name, r.version, h.release_id, h.previous_release_id, h.rollout_id, h.at FROM itil_host_releases h JOIN itil_releases r ON r.id = h.release_id
       WHERE ($1::uuid IS NULL OR h.host_id = $1) ORDER BY h.name, h.host_id LIMIT 10000`,
      [hostId ?? null],
    );
    return recordsOf(rows);
  }

  /** Starts deploying a release to these hosts (in this order), batch_size hosts a wave, under an approved change when given. */
  async deploy(releaseId: string, hostIds: string[], batchSize: number, actor: Actor, changeId?: string): Promise<Rollout> {
    const release = await this.get(releaseId);
    if ((await countHosts(this.db, hostIds)) !== new Set(hostIds).size || new Set(hostIds).size !== hostIds.length) {
      throw new AppError('HOST_NOT_FOUND', 'invalid', 'body.host_ids names a host that does not exist (or one twice)', { field: 'body.host_ids' });
    }
    await this.admit(changeId, hostIds);
    return this.begin(release, 'deploy', null, hostIds, batchSize, actor, changeId ?? null);
  }

  /**
   * Deploys the previous release to the hosts this rollout gave its release to (those whose
   * previous release is known), under an approved change when given (the same rules as a deploy).
   */
  async rollback(rolloutId: string, actor: Actor, changeId?: string): Promise<Rollout[]> {
    const undone = await this.rollout(rolloutId);
    if (undone.state === 'running') throw new AppError('ROLLOUT_RUNNING', 'conflict', 'the rollout is still running; wait for it to stop');
    const hosts = recordsOf(
      (
        await this.db.query<{ host_id: string; previous_release_id: string | null }>(
          'SELECT host_id, previous_release_id FROM itil_host_releases WHERE rollout_id = $1 ORDER BY host_id',
          [rolloutId],
        )
      ).rows,
    );
    const byPrevious = new Map<string, string[]>();
    for (const h of hosts) if (h.previousReleaseId) byPrevious.set(h.previousReleaseId, [...(byPrevious.get(h.previousReleaseId) ?? []), h.hostId]);
    if (!byPrevious.size) throw new AppError('NOTHING_TO_ROLL_BACK', 'conflict', 'no host of this rollout runs its release over a previous one');
    await this.admit(changeId, [...byPrevious.values()].flat());
    const out: Rollout[] = [];
    for (const [previous, hostIds] of byPrevious)
      out.push(await this.begin(await this.get(previous), 'rollback', rolloutId, hostIds, hostIds.length, actor, changeId ?? null));
    return out;
  }

  /** A rollout to these hosts under this change (CHANGE_NOT_USABLE otherwise), or without one unless change control requires it. */
  private async admit(changeId: string | undefined, hostIds: string[]): Promise<void> {
    if (changeId) await this.changes.admit(changeId, 'release', { hostIds });
    else await this.tasks.requireChangeFor(hostIds, 'release');
  }

  /** Resolves when the rollout's driver has finished (tests, shutdown). */
  async settled(rolloutId: string): Promise<void> {
    await this.running.get(rolloutId);
  }

  private async begin(
    release: Release,
    kind: Rollout['kind'],
    undoes: string | null,
    hostIds: string[],
    batchSize: number,
    actor: Actor,
    changeId: string | null,
  ): Promise<Rollout> {
    const r = await this.db.tx(async (q) => {
      const row = rolloutOf(
        (
          await q.query<RolloutRow>(
            'INSERT INTO itil_release_rollouts (id, release_id, kind, undoes, host_ids, batch_size, created_by, change_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *',
            [randomUUID(), release.id, kind, undoes, hostIds, batchSize, actor.name, changeId],
          )
        ).rows[0],
      );
      if (changeId)
        await this.changes.link(changeId, 'release', row.id, actor.name, `${kind} ${release.name} ${release.version} to ${hostIds.length} host(s)`, q);
      return row;
    });
    const run = this.drive(release, r, actor)
      .catch(async (err) => {
        this.log.error({ err, rollout: r.id }, 'release rollout failed');
        await this.finish(r.id, 'failed', (err as Error).message);
      })
      .finally(() => this.running.delete(r.id));
    this.running.set(r.id, run);
    return r;
  }

  private async drive(release: Release, r: Rollout, actor: Actor): Promise<void> {
    const waves: RolloutWave[] = [];
    for (let start = 0, wave = 0; start < r.hostIds.length; start += r.batchSize, wave++) {
      if (this.stopping) return this.finish(r.id, 'stopped', 'the server is shutting down', waves);
      const hostIds = r.hostIds.slice(start, start + r.batchSize);
      const record: RolloutWave = { wave, hostIds, tasks: [], gate: null, failedHosts: [] };
      waves.push(record);
      await this.db.query('UPDATE itil_release_rollouts SET current_wave = $2, waves = $3 WHERE id = $1', [r.id, wave, storedWaves(waves)]);
      // Each host gets its steps as tasks of its own ("{host_id}" makes paths and commands per host).
      const results = await Promise.all(hostIds.map((h) => this.deployHost(release, h, r, actor, record)));
      record.failedHosts = hostIds.filter((_, i) => !results[i]);
      const deployed = hostIds.filter((_, i) => results[i]);
      await this.recordVersions(release, deployed, r.id);
      if (record.failedHosts.length) return this.finish(r.id, 'stopped', `wave ${wave + 1}: deploying failed on ${record.failedHosts.length} host(s)`, waves);
      if (r.kind === 'deploy') {
        record.gate = await this.healthGate(release, hostIds, r, actor, record);
        if (!record.gate.passed) {
          const why = [
            record.gate.problems ? `${record.gate.problems} open problem(s)` : '',
            record.gate.failedChecks.length ? `checks failed: ${record.gate.failedChecks.join('; ')}` : '',
          ]
            .filter(Boolean)
            .join(', ');
          return this.finish(r.id, 'stopped', `wave ${wave + 1} failed its health gate: ${why}`, waves);
        }
      }
    }
    await this.finish(r.id, 'succeeded', null, waves);
  }

  /** The release's files, then its commands, on one host; true when every step ended ok. */
  private async deployHost(release: Release, hostId: string, r: Rollout, actor: Actor, record: RolloutWave): Promise<boolean> {
    for (const f of release.files) {
      const size = (await this.fileSize(f.sha256)) ?? 0;
      if (
        !(await this.runStep(
          `${release.name} ${release.version}: ${f.path}`,
          { kind: 'file', sha256: f.sha256, size, path: forHost(f.path, hostId), mode: f.mode },
          hostId,
          r,
          actor,
          record,
        ))
      )
        return false;
    }
    for (const c of release.commands) {
      if (!(await this.runStep(`${release.name} ${release.version}: command`, { kind: 'shell', command: forHost(c, hostId) }, hostId, r, actor, record)))
        return false;
    }
    return true;
  }

  private async healthGate(release: Release, hostIds: string[], r: Rollout, actor: Actor, record: RolloutWave): Promise<NonNullable<RolloutWave['gate']>> {
    if (release.health.settleS > 0) await new Promise((res) => setTimeout(res, release.health.settleS * 1000));
    let problems = 0;
    if (release.health.maxSeverityOpen) {
      const worse = SEVERITIES.slice(severityRank(release.health.maxSeverityOpen) + 1);
      problems = Number(
        (
          await this.db.query<{ n: number }>(
            'SELECT count(*)::int AS n FROM monitor_problems WHERE host_id = ANY($1::uuid[]) AND resolved_at IS NULL AND NOT suppressed AND severity = ANY($2)',
            [hostIds, worse],
          )
        ).rows[0].n,
      );
    }
    const failed: string[] = [];
    await Promise.all(
      hostIds.map(async (h) => {
        for (const c of release.health.checks) {
          if (!(await this.runStep(`${release.name} ${release.version}: health check`, { kind: 'shell', command: forHost(c, h) }, h, r, actor, record)))
            failed.push(`${forHost(c, h)} on ${h}`);
        }
      }),
    );
    return { passed: problems === 0 && failed.length === 0, problems, failedChecks: failed };
  }

  /** One signed task on one host, waited for; true when the host ended ok. */
  private async runStep(name: string, action: TaskSpec['action'], hostId: string, r: Rollout, actor: Actor, record: RolloutWave): Promise<boolean> {
    const tasks = this.tasks;
    const task = await tasks.create(
      {
        name: name.slice(0, 200),
        spec: { action, targets: { host_ids: [hostId] }, timeout_s: 300, output_cap_bytes: 64 * 1024 },
        ...(r.changeId ? { changeId: r.changeId, releaseStep: true } : {}),
      },
      actor,
    );
    record.tasks.push(task.id);
    await this.db
      .query('UPDATE itil_release_rollouts SET waves = jsonb_set(waves, $2, $3) WHERE id = $1', [r.id, `{${record.wave},tasks}`, JSON.stringify(record.tasks)])
      .catch(() => undefined);
    for (;;) {
      const t = await tasks.store.get(task.id);
      if (!t || TASK_END.has(t.state)) break;
      if (this.stopping) return false;
      await new Promise((res) => setTimeout(res, this.pollMs));
    }
    const hosts = await tasks.store.hostsOf(task.id);
    return hosts.length > 0 && hosts.every((h) => h.state === 'ok');
  }

  private async recordVersions(release: Release, hostIds: string[], rolloutId: string): Promise<void> {
    for (const h of hostIds) {
      await this.db.query(
        `INSERT INTO itil_host_releases (host_id, name, release_id, previous_release_id, rollout_id) VALUES ($1, $2, $3, NULL, $4)
         ON CONFLICT (host_id, name) DO UPDATE SET
           previous_release_id = CASE WHEN itil_host_releases.release_id = $3 THEN itil_host_releases.previous_release_id ELSE itil_host_releases.release_id END,
           release_id = $3, rollout_id = $4, at = now()`,
        [h, release.name, release.id, rolloutId],
      );
    }
  }

  private async finish(id: string, state: Rollout['state'], reason: string | null, waves?: RolloutWave[]): Promise<void> {
    await this.db.query(`UPDATE itil_release_rollouts SET state = $2, stop_reason = $3, finished_at = now(), waves = COALESCE($4, waves) WHERE id = $1`, [
      id,
      state,
      reason,
      waves ? storedWaves(waves) : null,
    ]);
    if (state !== 'succeeded') this.log.warn({ rollout: id, state }, `release rollout ${state}: ${reason}`);
  }
}

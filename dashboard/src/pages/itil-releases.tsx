/** Releases: their rollouts in waves with each wave's health gate, the version each host runs, rollback. */
import { useState } from 'preact/hooks';
import { type ApiError, call } from '../api';
import { navigate } from '../router';
import { ago, when } from '../ui/format';
import { ErrorNote, Show } from '../ui/states';
import { useResource } from '../ui/use-resource';

interface Release {
  id: string;
  name: string;
  version: string;
  files: Array<{ path: string }>;
  commands: string[];
  health: { checks: string[]; max_severity_open: string | null; settle_s: number };
  created_at: string;
  created_by: string;
}
interface Rollout {
  id: string;
  kind: string;
  host_ids: string[];
  batch_size: number;
  state: string;
  stop_reason: string | null;
  waves: Array<{ wave: number; host_ids: string[]; tasks: string[]; failed_hosts: string[]; gate: { passed: boolean; problems: number; failed_checks: string[] } | null }>;
  created_at: string;
}
interface HostVersion {
  host_id: string;
  name: string;
  version: string;
  previous_release_id: string | null;
  at: string;
}

const STATE_CLASS: Record<string, string> = { running: 'pending', succeeded: 'ok', stopped: 'warn', failed: 'bad' };

export function ReleasesTab({ open }: { open: string | null }) {
  const list = useResource<Release[]>('/api/v1/releases');
  const versions = useResource<HostVersion[]>('/api/v1/release-versions');
  const hosts = useResource<Array<{ id: string; hostname: string }>>('/api/v1/hosts?limit=500');
  const name = (id: string) => hosts.data?.find((h) => h.id === id)?.hostname ?? id.slice(0, 8);
  return (
    <>
      {open ? <ReleaseCard id={open} name={name} onChange={versions.reload} /> : null}
      <section class="card">
        <h2>Releases</h2>
        <Show r={list} what="Releases" emptyText="No releases yet: POST /api/v1/releases makes one (docs/itil.md).">
          {(rows) => (
            <table class="table" data-testid="releases">
              <thead><tr><th>Release</th><th>Files</th><th>Commands</th><th>Health gate</th><th>Made</th></tr></thead>
              <tbody>
                {rows.map((r) => (
                  <tr>
                    <td><a href={`#/itil?tab=releases&id=${r.id}`}>{r.name} {r.version}</a></td>
                    <td>{r.files.length}</td>
                    <td>{r.commands.length}</td>
                    <td>{r.health.checks.length} check(s), problems above {r.health.max_severity_open ?? '(not looked at)'}</td>
                    <td title={when(r.created_at)}>{ago(r.created_at)} by {r.created_by}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Show>
      </section>
      <section class="card">
        <h2>Versions per host</h2>
        <Show r={versions} what="Host versions">
          {(rows) => (
            <table class="table" data-testid="release-versions">
              <thead><tr><th>Host</th><th>Release</th><th>Version</th><th>Since</th></tr></thead>
              <tbody>{rows.map((v) => <tr><td>{name(v.host_id)}</td><td>{v.name}</td><td>{v.version}</td><td>{ago(v.at)}</td></tr>)}</tbody>
            </table>
          )}
        </Show>
      </section>
    </>
  );
}

function ReleaseCard({ id, name, onChange }: { id: string; name(id: string): string; onChange(): void }) {
  const r = useResource<{ release: Release; rollouts: Rollout[] }>(`/api/v1/releases/${id}`, { pollMs: 5000 });
  const [error, setError] = useState<ApiError>();
  const rollback = async (rolloutId: string) => {
    setError(undefined);
    try {
      await call('POST', `/api/v1/release-rollouts/${rolloutId}/rollback`, {});
      r.reload();
      onChange();
    } catch (err) {
      setError(err as ApiError);
    }
  };
  return (
    <section class="card highlight" data-testid="release-card">
      <Show r={r} what="Release">
        {({ release, rollouts }) => (
          <>
            <div class="form-row">
              <h2>{release.name} {release.version}</h2>
              <button class="btn ghost small" onClick={() => navigate('/itil?tab=releases')}>Close</button>
            </div>
            <dl class="kv">
              <dt>Files</dt><dd>{release.files.map((f) => <div><code>{f.path}</code></div>)}</dd>
              <dt>Commands</dt><dd>{release.commands.map((c) => <div><code>{c}</code></div>)}</dd>
              <dt>Health checks</dt><dd>{release.health.checks.map((c) => <div><code>{c}</code></div>)} settle {release.health.settle_s} s</dd>
            </dl>
            {error ? <ErrorNote error={error} /> : null}
            {rollouts.map((ro) => (
              <div class="itil-note" data-testid="rollout">
                <div class="form-row">
                  <strong>{ro.kind}</strong> <span class={`badge ${STATE_CLASS[ro.state] ?? ''}`}>{ro.state}</span>
                  <span class="muted small">{ro.host_ids.length} host(s), {ro.batch_size} a wave, {ago(ro.created_at)}</span>
                  {ro.kind === 'deploy' && ro.state !== 'running' ? <button class="btn small danger" onClick={() => rollback(ro.id)}>Roll back</button> : null}
                </div>
                {ro.stop_reason ? <div class="muted">{ro.stop_reason}</div> : null}
                <ol class="itil-waves">
                  {ro.waves.map((w) => (
                    <li>
                      wave {w.wave}: {w.host_ids.map(name).join(', ')} · {w.tasks.length} task(s)
                      {w.failed_hosts.length ? <span class="badge bad">failed on {w.failed_hosts.map(name).join(', ')}</span> : null}{' '}
                      {w.gate ? (
                        <span class={`badge ${w.gate.passed ? 'ok' : 'bad'}`} title={w.gate.failed_checks.join('\n')}>
                          gate {w.gate.passed ? 'passed' : `failed (${w.gate.problems} problem(s), ${w.gate.failed_checks.length} check(s))`}
                        </span>
                      ) : <span class="badge">no gate</span>}
                    </li>
                  ))}
                </ol>
              </div>
            ))}
          </>
        )}
      </Show>
    </section>
  );
}

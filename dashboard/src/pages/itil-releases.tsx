/**
 * Releases: define one (files uploaded and named by SHA-256, commands, health checks), start its
 * rollout to hosts in waves, its rollouts with each wave's health gate, rollback, and the version
 * each host runs. A rollout or rollback may be made under an approved change covering releases.
 */
import { useState } from 'preact/hooks';
import { RawBody, call, qs } from '../api';
import { navigate } from '../router';
import { ago, when } from '../ui/format';
import { ErrorNote, Show } from '../ui/states';
import { useResource } from '../ui/use-resource';
import { onSubmit, useSubmit } from '../ui/use-submit';
import { ChangePicker } from './change-picker';
import { HostPickList } from './host-pick-list';
import { useHostPicker } from './host-picker';

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
  change_id: string | null;
  host_ids: string[];
  batch_size: number;
  state: string;
  stop_reason: string | null;
  waves: Array<{
    wave: number;
    host_ids: string[];
    tasks: string[];
    failed_hosts: string[];
    gate: { passed: boolean; problems: number; failed_checks: string[] } | null;
  }>;
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
const SEVERITIES = ['disaster', 'high', 'average', 'warning', 'info'];
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,99}$/;
const VERSION = /^[a-zA-Z0-9][a-zA-Z0-9.+_-]{0,63}$/;
const lines = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

export function ReleasesTab({ open }: { open: string | null }) {
  const list = useResource<Release[]>('/api/v1/releases');
  const versions = useResource<HostVersion[]>('/api/v1/release-versions', { pollMs: 5000 });
  const hosts = useResource<Array<{ id: string; hostname: string }>>('/api/v1/hosts?limit=500');
  const name = (id: string) => hosts.data?.find((h) => h.id === id)?.hostname ?? id.slice(0, 8);
  return (
    <>
      {open ? <ReleaseCard id={open} name={name} onChange={versions.reload} /> : <ReleaseForm onDone={list.reload} />}
      <section class="card">
        <h2>Releases</h2>
        <Show r={list} what="Releases" emptyText="No releases yet.">
          {(rows) => (
            <table class="table" data-testid="releases">
              <thead>
                <tr>
                  <th>Release</th>
                  <th>Files</th>
                  <th>Commands</th>
                  <th>Health gate</th>
                  <th>Made</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr>
                    <td>
                      <a href={`#/itil?tab=releases&id=${r.id}`}>
                        {r.name} {r.version}
                      </a>
                    </td>
                    <td>{r.files.length}</td>
                    <td>{r.commands.length}</td>
                    <td>
                      {r.health.checks.length} check(s), problems above {r.health.max_severity_open ?? '(not looked at)'}
                    </td>
                    <td title={when(r.created_at)}>
                      {ago(r.created_at)} by {r.created_by}
                    </td>
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
              <thead>
                <tr>
                  <th>Host</th>
                  <th>Release</th>
                  <th>Version</th>
                  <th>Before</th>
                  <th>Since</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((v) => (
                  <tr data-host={name(v.host_id)}>
                    <td>{name(v.host_id)}</td>
                    <td>{v.name}</td>
                    <td data-testid="host-version">{v.version}</td>
                    <td>{v.previous_release_id ? (list.data?.find((r) => r.id === v.previous_release_id)?.version ?? '–') : '–'}</td>
                    <td>{ago(v.at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Show>
      </section>
    </>
  );
}

function ReleaseCard({ id, name, onChange }: { id: string; name(id: string): string; onChange(): void }) {
  const r = useResource<{ release: Release; rollouts: Rollout[] }>(`/api/v1/releases/${id}`, { pollMs: 3000 });
  const [rollbackChange, setRollbackChange] = useState('');
  const rollback = useSubmit();
  const error = rollback.error;
  const undo = (ro: Rollout) =>
    rollback.run(async () => {
      await call('POST', `/api/v1/release-rollouts/${ro.id}/rollback`, rollbackChange ? { change_id: rollbackChange } : {});
      r.reload();
      onChange();
    });
  return (
    <section class="card highlight" data-testid="release-card">
      <Show r={r} what="Release">
        {({ release, rollouts }) => (
          <>
            <div class="form-row">
              <h2>
                {release.name} {release.version}
              </h2>
              <button class="btn ghost small" onClick={() => navigate('/itil?tab=releases')}>
                Close
              </button>
            </div>
            <dl class="kv">
              <dt>Files</dt>
              <dd>
                {release.files.map((f) => (
                  <div>
                    <code>{f.path}</code>
                  </div>
                ))}
              </dd>
              <dt>Commands</dt>
              <dd>
                {release.commands.map((c) => (
                  <div>
                    <code>{c}</code>
                  </div>
                ))}
              </dd>
              <dt>Health checks</dt>
              <dd>
                {release.health.checks.map((c) => (
                  <div>
                    <code>{c}</code>
                  </div>
                ))}{' '}
                settle {release.health.settle_s} s
              </dd>
            </dl>
            <RolloutForm
              release={release}
              onDone={() => {
                r.reload();
                onChange();
              }}
            />
            <h3>Rollouts</h3>
            {rollouts.length ? (
              <div class="form-row">
                <span class="inline">
                  roll back under <ChangePicker kind="release" value={rollbackChange} onChange={setRollbackChange} label="Change for a rollback" />
                </span>
              </div>
            ) : (
              <p class="muted">Not rolled out yet.</p>
            )}
            {error ? <ErrorNote error={error} /> : null}
            {rollouts.map((ro) => (
              <div class="itil-note" data-testid="rollout">
                <div class="form-row">
                  <strong>{ro.kind}</strong>{' '}
                  <span class={`badge ${STATE_CLASS[ro.state] ?? ''}`} data-testid="rollout-state">
                    {ro.state}
                  </span>
                  <span class="muted small">
                    {ro.host_ids.length} host(s), {ro.batch_size} a wave, {ago(ro.created_at)}
                  </span>
                  {ro.change_id ? (
                    <a class="small" href={`#/itil?tab=changes&id=${ro.change_id}`}>
                      under a change
                    </a>
                  ) : null}
                  {ro.kind === 'deploy' && ro.state !== 'running' ? (
                    <button class="btn small danger" data-testid="rollback" disabled={rollback.busy} onClick={() => undo(ro)}>
                      Roll back
                    </button>
                  ) : null}
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
                      ) : (
                        <span class="badge">no gate</span>
                      )}
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

interface FileRow {
  file: File | null;
  path: string;
  mode: string;
}

/** Checked as the API checks it: name and version as the API allows them, each file picked with an absolute path and an octal mode. */
function ReleaseForm({ onDone }: { onDone(): void }) {
  const [name, setName] = useState('');
  const [version, setVersion] = useState('');
  const [files, setFiles] = useState<FileRow[]>([{ file: null, path: '', mode: '644' }]);
  const [commands, setCommands] = useState('');
  const [checks, setChecks] = useState('');
  const [maxSeverity, setMaxSeverity] = useState('average');
  const [settle, setSettle] = useState('0');
  const [problem, setProblem] = useState('');
  const [step, setStep] = useState('');
  const submit = useSubmit();
  const setFile = (i: number, patch: Partial<FileRow>) => setFiles(files.map((f, j) => (j === i ? { ...f, ...patch } : f)));
  const send = onSubmit(() => {
    const picked = files.filter((f) => f.file || f.path);
    if (!NAME.test(name)) return setProblem('Name: letters, digits, ".", "_" and "-", starting with a letter or digit.');
    if (!VERSION.test(version)) return setProblem('Version: letters, digits, ".", "+", "_" and "-", starting with a letter or digit.');
    if (picked.some((f) => !f.file)) return setProblem('Pick the file for each path.');
    if (picked.some((f) => !f.path.startsWith('/'))) return setProblem('Each file needs an absolute path (starting with /).');
    if (picked.some((f) => !/^[0-7]{3,4}$/.test(f.mode))) return setProblem('A file mode is octal, e.g. 644 or 0755.');
    if (!picked.length && !lines(commands).length) return setProblem('A release needs at least a file or a command.');
    setProblem('');
    void submit
      .run(async () => {
        const bundle = [];
        for (const f of picked) {
          setStep(`Uploading ${f.file!.name}`);
          // Stored by its SHA-256, which the release names.
          const up = await call<{ file: { sha256: string } }>(
            'POST',
            `/api/v1/files${qs({ name: f.file!.name })}`,
            new RawBody(f.file!, 'application/octet-stream'),
          );
          bundle.push({ sha256: up.data.file.sha256, path: f.path, mode: parseInt(f.mode, 8) });
        }
        setStep('');
        const a = await call<Release>('POST', '/api/v1/releases', {
          name,
          version,
          files: bundle,
          commands: lines(commands),
          health: { checks: lines(checks), max_severity_open: maxSeverity || null, settle_s: Number(settle) || 0 },
        });
        onDone();
        navigate(`/itil?tab=releases&id=${a.data.id}`);
      })
      .finally(() => setStep(''));
  });
  return (
    <section class="card">
      <h2>New release</h2>
      <form onSubmit={send} data-testid="release-form">
        <div class="form-row">
          <input
            aria-label="Release name"
            placeholder="Name, e.g. shop"
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
            required
            maxLength={100}
          />
          <input
            aria-label="Version"
            placeholder="Version, e.g. 2.4.1"
            value={version}
            onInput={(e) => setVersion(e.currentTarget.value)}
            required
            maxLength={64}
          />
        </div>
        <p class="muted small">"{'{host_id}'}" in a path or command is each host's id. Files are uploaded, then named by their SHA-256.</p>
        {files.map((f, i) => (
          <div class="form-row" data-testid="release-file">
            <input type="file" aria-label={`File ${i + 1}`} onChange={(e) => setFile(i, { file: e.currentTarget.files?.[0] ?? null })} />
            <input
              aria-label={`Path ${i + 1}`}
              placeholder="/etc/app/app.conf"
              value={f.path}
              onInput={(e) => setFile(i, { path: e.currentTarget.value })}
              maxLength={4096}
            />
            <label class="inline">
              mode <input aria-label={`Mode ${i + 1}`} size={5} value={f.mode} onInput={(e) => setFile(i, { mode: e.currentTarget.value })} />
            </label>
            {files.length > 1 ? (
              <button type="button" class="btn ghost small" onClick={() => setFiles(files.filter((_, j) => j !== i))}>
                Remove
              </button>
            ) : null}
          </div>
        ))}
        <div class="form-row">
          <button type="button" class="btn small" onClick={() => setFiles([...files, { file: null, path: '', mode: '644' }])}>
            Add a file
          </button>
        </div>
        <div class="form-row">
          <textarea
            aria-label="Commands"
            placeholder="Commands run after the files are in place, one a line"
            value={commands}
            onInput={(e) => setCommands(e.currentTarget.value)}
          />
          <textarea
            aria-label="Health checks"
            placeholder="Health checks after each wave, one a line (a non-zero exit fails the gate)"
            value={checks}
            onInput={(e) => setChecks(e.currentTarget.value)}
          />
        </div>
        <div class="form-row">
          <label class="inline">
            gate fails on an open problem above
            <select aria-label="Max severity open" value={maxSeverity} onChange={(e) => setMaxSeverity(e.currentTarget.value)}>
              <option value="">(problems not looked at)</option>
              {SEVERITIES.map((s) => (
                <option value={s}>{s}</option>
              ))}
            </select>
          </label>
          <label class="inline">
            settle <input type="number" aria-label="Settle seconds" min={0} max={3600} value={settle} onInput={(e) => setSettle(e.currentTarget.value)} /> s
          </label>
          <button class="btn primary" disabled={submit.busy}>
            {step || 'Create release'}
          </button>
        </div>
        {problem ? (
          <div class="state error" role="alert" data-testid="form-problem">
            {problem}
          </div>
        ) : null}
      </form>
      {submit.error ? <ErrorNote error={submit.error} /> : null}
    </section>
  );
}

/** Start a rollout: hosts in the order picked, a wave size, and the change it is made under (when change control asks for one). */
function RolloutForm({ release, onDone }: { release: Release; onDone(): void }) {
  const picker = useHostPicker();
  const { picked } = picker;
  const [batch, setBatch] = useState('1');
  const [change, setChange] = useState('');
  const [problem, setProblem] = useState('');
  const submit = useSubmit();
  const send = onSubmit(() => {
    const size = Number(batch);
    if (!picked.size) return setProblem('Pick at least one host.');
    if (!Number.isInteger(size) || size < 1) return setProblem('Hosts a wave: a whole number, at least 1.');
    setProblem('');
    void submit.run(async () => {
      await call('POST', `/api/v1/releases/${release.id}/rollouts`, {
        host_ids: [...picked.keys()],
        batch_size: size,
        ...(change ? { change_id: change } : {}),
      });
      onDone();
    });
  });
  return (
    <form onSubmit={send} data-testid="rollout-form" class="itil-note">
      <h3>
        Roll out {release.name} {release.version}
      </h3>
      <HostPickList picker={picker} summary={(names) => `${names.length} host(s), in this order: ${names.slice(0, 8).join(', ')}`} />
      <div class="form-row">
        <label class="inline">
          hosts a wave <input type="number" aria-label="Hosts a wave" min={1} value={batch} onInput={(e) => setBatch(e.currentTarget.value)} />
        </label>
        <ChangePicker kind="release" value={change} onChange={setChange} label="Change request" />
        <button class="btn primary" disabled={submit.busy}>
          Start rollout
        </button>
      </div>
      {problem ? (
        <div class="state error" role="alert" data-testid="form-problem">
          {problem}
        </div>
      ) : null}
      {submit.error ? <ErrorNote error={submit.error} /> : null}
    </form>
  );
}

/** Change requests: request one, approve or reject (not your own), review it, and the calendar of windows. */
import { useState } from 'preact/hooks';
import { type ApiError, call, qs } from '../api';
import { navigate } from '../router';
import { when } from '../ui/format';
import { ErrorNote, Show } from '../ui/states';
import { useResource } from '../ui/use-resource';
import { useSubmit } from '../ui/use-submit';
import type { Me } from '../main';
import { fromLocalInput, toLocalInput } from './itil';

interface Change {
  id: string;
  title: string;
  kinds: string[];
  reason: string;
  risk: string;
  window_start: string;
  window_end: string;
  host_ids: string[];
  approvals_required: number;
  state: string;
  requested_by: string;
  outcome: string | null;
  review_notes: string | null;
}
interface ChangeDetail {
  change: Change;
  decisions: Array<{ name: string; decision: string; note: string; at: string }>;
  links: Array<{ kind: string; object_id: string; actor: string; note: string; at: string }>;
}

const KINDS = ['task', 'template', 'asset', 'release', 'agent_upgrade', 'other'];
/** Where what was done under a change is shown (a release's object is its rollout, shown on the Releases tab's list). */
const LINK_HREF: Record<string, (id: string) => string> = {
  task: (id) => `#/tasks?task=${id}`,
  agent_upgrade: (id) => `#/tasks?task=${id}`,
  asset: (id) => `#/cmdb/${id}`,
};
const STATE_CLASS: Record<string, string> = { requested: 'pending', approved: 'ok', rejected: 'bad', reviewed: '' };
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export function ChangesTab({ open, me }: { open: string | null; me: Me }) {
  const list = useResource<Change[]>('/api/v1/changes', { pollMs: 30_000 });
  return (
    <>
      {open ? <ChangeCard id={open} me={me} onChange={list.reload} /> : <RequestForm onDone={list.reload} />}
      <Calendar />
      <section class="card">
        <h2>Change requests</h2>
        <Show r={list} what="Change requests">
          {(rows) => (
            <table class="table" data-testid="changes">
              <thead>
                <tr>
                  <th>Change</th>
                  <th>State</th>
                  <th>Risk</th>
                  <th>Window</th>
                  <th>Requested by</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((c) => (
                  <tr data-id={c.id}>
                    <td>
                      <a href={`#/itil?tab=changes&id=${c.id}`}>{c.title}</a> <span class="muted small">{c.kinds.join(', ')}</span>
                    </td>
                    <td>
                      <span class={`badge ${STATE_CLASS[c.state] ?? ''}`} data-testid="change-state">
                        {c.outcome ?? c.state}
                      </span>
                    </td>
                    <td>{c.risk}</td>
                    <td>
                      {when(c.window_start)} – {when(c.window_end)}
                    </td>
                    <td>{c.requested_by}</td>
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

/** The request form checks what the API checks (lengths, at least one kind, the window's order) before sending. */
function RequestForm({ onDone }: { onDone(): void }) {
  const now = Date.now();
  const [title, setTitle] = useState('');
  const [kinds, setKinds] = useState<string[]>(['task']);
  const [reason, setReason] = useState('');
  const [risk, setRisk] = useState('low');
  const [start, setStart] = useState(toLocalInput(Math.ceil(now / HOUR) * HOUR));
  const [end, setEnd] = useState(toLocalInput(Math.ceil(now / HOUR) * HOUR + 2 * HOUR));
  const [approvals, setApprovals] = useState('1');
  const [error, setError] = useState<ApiError>();
  const [problem, setProblem] = useState('');
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    if (!kinds.length) return setProblem('Pick at least one kind of change.');
    if (reason.trim().length < 3) return setProblem('Say why, in at least 3 characters.');
    if (new Date(end) <= new Date(start)) return setProblem('The window must end after it starts.');
    setProblem('');
    try {
      const a = await call<Change>('POST', '/api/v1/changes', {
        title,
        kinds,
        reason,
        risk,
        window_start: fromLocalInput(start),
        window_end: fromLocalInput(end),
        approvals_required: Number(approvals),
      });
      onDone();
      navigate(`/itil?tab=changes&id=${a.data.id}`);
    } catch (err) {
      setError(err as ApiError);
    }
  };
  const toggle = (k: string) => setKinds(kinds.includes(k) ? kinds.filter((x) => x !== k) : [...kinds, k]);
  return (
    <section class="card">
      <h2>Request a change</h2>
      <form onSubmit={submit} data-testid="change-form">
        <div class="form-row">
          <input aria-label="Title" placeholder="What changes" value={title} onInput={(e) => setTitle(e.currentTarget.value)} required maxLength={500} />
          <select aria-label="Risk" value={risk} onChange={(e) => setRisk(e.currentTarget.value)}>
            {['low', 'medium', 'high'].map((r) => (
              <option value={r}>{r} risk</option>
            ))}
          </select>
          <label class="inline">
            approvals{' '}
            <input
              type="number"
              aria-label="Approvals required"
              min={1}
              max={10}
              value={approvals}
              onInput={(e) => setApprovals(e.currentTarget.value)}
              required
            />
          </label>
        </div>
        <div class="form-row">
          {KINDS.map((k) => (
            <label class="inline">
              <input type="checkbox" checked={kinds.includes(k)} onChange={() => toggle(k)} data-kind={k} /> {k.replace('_', ' ')}
            </label>
          ))}
        </div>
        <div class="form-row">
          <textarea
            aria-label="Reason"
            placeholder="Why"
            value={reason}
            onInput={(e) => setReason(e.currentTarget.value)}
            required
            minLength={3}
            maxLength={20_000}
          />
        </div>
        <div class="form-row">
          <label class="inline">
            from <input type="datetime-local" aria-label="Window start" value={start} onInput={(e) => setStart(e.currentTarget.value)} required />
          </label>
          <label class="inline">
            to <input type="datetime-local" aria-label="Window end" value={end} onInput={(e) => setEnd(e.currentTarget.value)} required />
          </label>
          <button class="btn primary">Request</button>
        </div>
        {problem ? (
          <div class="state error" role="alert" data-testid="form-problem">
            {problem}
          </div>
        ) : null}
      </form>
      {error ? <ErrorNote error={error} /> : null}
    </section>
  );
}

function ChangeCard({ id, me, onChange }: { id: string; me: Me; onChange(): void }) {
  const r = useResource<ChangeDetail>(`/api/v1/changes/${id}`);
  const [note, setNote] = useState('');
  const [outcome, setOutcome] = useState('succeeded');
  const submit = useSubmit();
  const error = submit.error;
  const act = (path: string, body: unknown) =>
    submit.run(async () => {
      await call('POST', path, body);
      setNote('');
      r.reload();
      onChange();
    });
  return (
    <section class="card highlight" data-testid="change-card">
      <Show r={r} what="Change request">
        {({ change: c, decisions, links }) => (
          <>
            <div class="form-row">
              <h2>{c.title}</h2>
              <span class={`badge ${STATE_CLASS[c.state] ?? ''}`} data-testid="change-card-state">
                {c.state}
              </span>
              <button class="btn ghost small" onClick={() => navigate('/itil?tab=changes')}>
                Close
              </button>
            </div>
            <dl class="kv">
              <dt>What</dt>
              <dd>{c.kinds.join(', ')}</dd>
              <dt>Why</dt>
              <dd>{c.reason}</dd>
              <dt>Risk</dt>
              <dd>{c.risk}</dd>
              <dt>Window</dt>
              <dd>
                {when(c.window_start)} – {when(c.window_end)}
              </dd>
              <dt>Requested by</dt>
              <dd>
                {c.requested_by}
                {c.requested_by === `${me.kind}:${me.name}` ? ' (you)' : ''}
              </dd>
              <dt>Approvals</dt>
              <dd data-testid="decisions">
                {decisions.filter((d) => d.decision === 'approved').length} of {c.approvals_required}
                {decisions.map((d) => (
                  <div class="small">
                    {d.decision} by {d.name} {d.note ? `: ${d.note}` : ''}
                  </div>
                ))}
              </dd>
              {c.outcome ? (
                <>
                  <dt>Review</dt>
                  <dd>
                    {c.outcome}: {c.review_notes}
                  </dd>
                </>
              ) : null}
              {links.length ? (
                <>
                  <dt>Done under it</dt>
                  <dd data-testid="change-links">
                    {links.map((l) => (
                      <div class="small" data-kind={l.kind}>
                        {l.kind.replace('_', ' ')}{' '}
                        {LINK_HREF[l.kind] ? (
                          <a href={LINK_HREF[l.kind](l.object_id)}>
                            <code>{l.object_id.slice(0, 8)}</code>
                          </a>
                        ) : (
                          <code>{l.object_id.slice(0, 8)}</code>
                        )}
                        {l.note ? `: ${l.note}` : ''} · {l.actor}, {when(l.at)}
                      </div>
                    ))}
                  </dd>
                </>
              ) : null}
            </dl>
            {c.state === 'requested' ? (
              <div class="form-row itil-actions">
                <input aria-label="Note" placeholder="Note (optional)" value={note} onInput={(e) => setNote(e.currentTarget.value)} maxLength={4000} />
                <button class="btn primary small" data-testid="approve" onClick={() => act(`/api/v1/changes/${c.id}/approve`, { note })}>
                  Approve
                </button>
                <button class="btn danger small" data-testid="reject" onClick={() => act(`/api/v1/changes/${c.id}/reject`, { note })}>
                  Reject
                </button>
              </div>
            ) : null}
            {c.state === 'approved' ? (
              <div class="form-row itil-actions">
                <select aria-label="Outcome" value={outcome} onChange={(e) => setOutcome(e.currentTarget.value)}>
                  {['succeeded', 'failed', 'rolled_back'].map((o) => (
                    <option value={o}>{o.replace('_', ' ')}</option>
                  ))}
                </select>
                <input aria-label="Review notes" placeholder="Review notes" value={note} onInput={(e) => setNote(e.currentTarget.value)} maxLength={20_000} />
                <button class="btn small" onClick={() => act(`/api/v1/changes/${c.id}/review`, { outcome, notes: note })}>
                  Review
                </button>
              </div>
            ) : null}
            {error ? <ErrorNote error={error} /> : null}
          </>
        )}
      </Show>
    </section>
  );
}

/** The next two weeks (from yesterday): each change's window as a bar over the days. */
function Calendar() {
  const [from] = useState(() => Math.floor(Date.now() / DAY) * DAY - DAY);
  const to = from + 14 * DAY;
  const r = useResource<Change[]>(`/api/v1/change-calendar${qs({ from: new Date(from).toISOString(), to: new Date(to).toISOString() })}`);
  const pct = (t: number) => `${(100 * (Math.min(Math.max(t, from), to) - from)) / (to - from)}%`;
  return (
    <section class="card">
      <h2>Change calendar</h2>
      <div class="itil-cal-days">
        {Array.from({ length: 14 }, (_, i) => (
          <span>{new Date(from + i * DAY).toLocaleDateString(undefined, { month: 'short', day: 'numeric' })}</span>
        ))}
      </div>
      <Show r={r} what="Change windows" emptyText="No change windows in these two weeks.">
        {(rows) => (
          <div class="itil-cal" data-testid="change-calendar">
            {rows.map((c) => {
              const s = Date.parse(c.window_start);
              const e = Date.parse(c.window_end);
              return (
                <div class="itil-cal-row">
                  <a
                    class={`itil-cal-bar ${STATE_CLASS[c.state] ?? ''}`}
                    href={`#/itil?tab=changes&id=${c.id}`}
                    style={{ left: pct(s), width: `max(4px, calc(${pct(e)} - ${pct(s)}))` }}
                    title={`${c.title}: ${when(c.window_start)} – ${when(c.window_end)}`}
                  >
                    {c.title}
                  </a>
                </div>
              );
            })}
          </div>
        )}
      </Show>
    </section>
  );
}

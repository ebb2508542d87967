import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../server/paths.js';
import { foreignReads, owners, tableUses, tablesOf } from './table-owners.js';

/**
 * Reads of a table by a folder that does not own it, each with why it stays for now. Kept small: a read
 * that is no longer there must leave this list (the test says so), and a new one needs a reason here.
 */
const READ_EXCEPTIONS: Record<string, string> = {
  'agents <- cmdb': "a host's newest agent and an intake's agent state, joined in the host queries",
  'agents <- monitor': 'active agents of changed hosts, to push their configuration',
  'agents <- tasks': "a task host's agent, joined in the task queries",
  'hosts <- itil': "an escalated incident's hostname, joined in the escalation query",
  'hosts <- monitor': 'hostnames joined into problems and incidents',
  'hosts <- prometheus': 'hostnames as the host label of exported series',
  'hosts <- tasks': 'hostnames joined into task results; target ids checked',
  'users <- itil': 'an incident assignee must be an active user (one lookup in the assignment)',
  'api_keys <- cli': 'the offline admin CLI lists keys straight from the database, with no server running',
  'users <- cli': 'the offline admin CLI manages users straight from the database, with no server running',
  'monitor_incidents <- itil': 'ITIL incident management reads the incidents it manages (writes go through monitor/problem-store.ts)',
  'monitor_problems <- itil': 'known errors and releases read problems to match and to judge a rollout wave',
  'monitor_channels <- itil': "an escalation rule's channel name, joined in the escalation query",
};

function serverSources() {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', 'server'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
  return listed
    .split('\n')
    .filter((p) => p.endsWith('.ts') && !p.endsWith('.test.ts'))
    .flatMap((path) => {
      try {
        return [{ path, text: readFileSync(`${PROJECT_ROOT}/${path}`, 'utf8') }];
      } catch {
        return []; // deleted in the worktree, not yet in the index
      }
    });
}

const schemaTables = () =>
  tablesOf(
    readdirSync(`${PROJECT_ROOT}/schema`)
      .filter((f) => f.endsWith('.sql'))
      .map((f) => readFileSync(`${PROJECT_ROOT}/schema/${f}`, 'utf8')),
  );

describe('one owner per table', () => {
  const uses = tableUses(serverSources(), schemaTables());
  const { owner, contested } = owners(uses);

  it('no table is written by two server/ folders', () => {
    expect(owner.get('object_changes')).toBe('history');
    expect(owner.get('hosts')).toBe('cmdb');
    expect(owner.size).toBeGreaterThan(40);
    expect(Object.fromEntries(contested)).toEqual({});
  });

  it("reads of another folder's table are only the declared ones", () => {
    const found = [...foreignReads(uses, owner)].sort();
    expect(found.filter((r) => !(r in READ_EXCEPTIONS))).toEqual([]);
    expect(Object.keys(READ_EXCEPTIONS).filter((r) => !found.includes(r))).toEqual([]);
  });

  it('finds writes and reads in strings and templates, of known tables only', () => {
    const tables = tablesOf(['CREATE TABLE hosts (id uuid);', 'CREATE TABLE IF NOT EXISTS agents (id uuid);\nCREATE UNLOGGED TABLE audit_log ()']);
    expect([...tables].sort()).toEqual(['agents', 'audit_log', 'hosts']);
    const found = tableUses(
      [
        { path: 'server/cmdb/a.ts', text: "q.query('INSERT INTO hosts (id) VALUES ($1)'); q.query(`SELECT * FROM agents a JOIN hosts h ON ${x}`);" },
        { path: 'server/auth/b.ts', text: "q.query(`UPDATE hosts SET x = ${y} WHERE id = $1 FOR UPDATE OF h`); const s = 'DELETE FROM not_a_table';" },
        { path: 'server/app.ts', text: "db.query('SELECT 1 FROM audit_log'); db.query('TRUNCATE audit_log')" },
      ],
      tables,
    );
    expect(found.map((u) => `${u.folder} ${u.write ? 'writes' : 'reads'} ${u.table}`)).toEqual([
      'cmdb writes hosts',
      'cmdb reads agents',
      'cmdb reads hosts',
      'auth writes hosts',
      '. reads audit_log',
      '. writes audit_log',
    ]);
    const { owner: o, contested: c } = owners(found);
    expect(Object.fromEntries(c)).toEqual({ hosts: ['auth', 'cmdb'] });
    expect([...foreignReads(found, o)]).toEqual([]);
  });
});

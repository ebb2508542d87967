/**
 * `autowatch`: the admin command line. When a server runs on the same DATA_DIR, the command goes to
 * it over its admin socket (admin-socket.ts) and runs there, on the server's own database: the
 * embedded one takes one process only, and the server knows its real address for the links.
 * Otherwise it works on the configured store directly (DATABASE_URL, or the embedded database in
 * DATA_DIR), so it can make the first admin when nobody can log in yet.
 * Every change it makes is written to the audit trail as actor `system` / `cli:<os user>`.
 */
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ApiKeyStore, checkGrantable } from '../auth/api-keys.js';
import { AuditTrail } from '../auth/audit-trail.js';
import { dashboardUrl, oneTimeLoginUrl } from '../auth/bootstrap.js';
import { createEnrollmentToken } from '../auth/enrollment.js';
import { ROLES, USER_ORDER, UserDirectory, type UserRecord } from '../auth/users.js';
import { SessionStore } from '../auth/sessions.js';
import type { Role } from '../auth/scopes.js';
import { loadConfig, type Config } from '../config.js';
import { AppError } from '../errors.js';
import { pageOf } from '../keyset.js';
import { createLogger } from '../log.js';
import { openDb, type Db } from '../store/db.js';
import { migrate } from '../store/migrate.js';
import { adminSocketPath, sendToAdminSocket, type AdminAnswer, type AdminRequest } from './admin-socket.js';

export const USAGE = `autowatch: administer an AutoWatch store (DATABASE_URL, or the embedded one in DATA_DIR);
a server running on that DATA_DIR runs the command itself (through DATA_DIR/admin.sock)

  autowatch admin create [--username admin] [--password-stdin]
      make an admin; without a password it prints a one-time login link
  autowatch user create --username NAME --role viewer|operator|admin [--display-name TEXT] [--password-stdin]
  autowatch user list
  autowatch user login-link --username NAME
      a fresh one-time login link (lost password); earlier links of that user stop working
  autowatch apikey create --name NAME --scopes s1,s2 [--owner USERNAME] [--expires-in 90d] [--require-signature]
      the secret is printed once
  autowatch apikey list
  autowatch apikey revoke KEY_ID
  autowatch token create [--ttl 24h] [--uses 1] [--note TEXT] [--auto-approve]
      an agent enrollment token; --auto-approve admits its agents without waiting for approval

  --json          print JSON instead of text
  --force         use the embedded store even though a server seems to have it open (no admin socket answered)
  --password-stdin reads the password from standard input (never put it on the command line)
`;

export interface CliIo {
  env: Record<string, string | undefined>;
  out: (line: string) => void;
  err: (line: string) => void;
  readStdin: () => Promise<string>;
  /** An open database (the running server's, or a test's); otherwise opened from the config. */
  db?: Db;
  /** The running server's config, when it runs the command (otherwise read from env). */
  config?: Config;
  /** The running server's dashboard address, for the links printed; otherwise made from HOST/PORT. */
  serverUrl?: string;
}

const OPTIONS: ParseArgsConfig['options'] = {
  username: { type: 'string' },
  role: { type: 'string' },
  'display-name': { type: 'string' },
  'password-stdin': { type: 'boolean' },
  name: { type: 'string' },
  scopes: { type: 'string' },
  owner: { type: 'string' },
  'expires-in': { type: 'string' },
  'require-signature': { type: 'boolean' },
  ttl: { type: 'string' },
  uses: { type: 'string' },
  note: { type: 'string' },
  'auto-approve': { type: 'boolean' },
  json: { type: 'boolean' },
  force: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

class UsageError extends Error {}

/** "90d", "24h", "30m", "45s" or plain seconds → seconds. */
export function parseDuration(value: string, flag: string): number {
  const m = /^(\d+)([smhd]?)$/.exec(value.trim());
  if (!m) throw new UsageError(`${flag} must look like 3600, 30m, 24h or 90d`);
  return Number(m[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
}

/** Runs one command; returns the exit code (0 ok, 1 refused, 2 usage). */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    io.err(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const flags = parsed.values as Record<string, string | boolean | undefined>;
  const [noun, verb, ...rest] = parsed.positionals;
  if (flags.help || !noun) {
    io.out(USAGE);
    return noun || flags.help ? 0 : 2;
  }
  const config = io.config ?? loadConfig(io.env);
  let db = io.db;
  try {
    if (!db) {
      // Read once: the server may turn out not to be running, and then the command runs here.
      const stdin = flags['password-stdin'] ? await io.readStdin() : undefined;
      io = { ...io, readStdin: async () => stdin ?? '' };
      const answer = await sendToAdminSocket(adminSocketPath(config.dataDir), { argv, stdin });
      if (answer) {
        for (const line of answer.out) io.out(line);
        for (const line of answer.err) io.err(line);
        return answer.code;
      }
      const pgDir = join(config.dataDir, 'pg');
      if (!config.databaseUrl && existsSync(join(pgDir, 'postmaster.pid')) && !flags.force) {
        throw new UsageError(
          `the embedded database in ${pgDir} looks open by a running server (postmaster.pid), and no server answered ` +
            `on ${adminSocketPath(config.dataDir)}. Stop the server first ` +
            '(two processes must not write it at once), or pass --force if it is not running.',
        );
      }
      db = await openDb({ databaseUrl: config.databaseUrl, dataDir: pgDir, poolSize: 2 });
      await migrate(db);
    }
    const result = await command(`${noun} ${verb ?? ''}`.trim(), rest, flags, { db, config, io });
    if (flags.json) io.out(JSON.stringify(result.json, null, 2));
    else io.out(result.text);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`${err.message}\n\n${USAGE}`);
      return 2;
    }
    if (err instanceof AppError) {
      io.err(`${err.code}: ${err.message}`);
      return 1;
    }
    throw err;
  } finally {
    if (db && !io.db) await db.close();
  }
}

/** Runs a command the admin socket received, on the running server's database and address. */
export async function runOnServer(req: AdminRequest, server: { config: Config; db: Db; serverUrl: string }): Promise<AdminAnswer> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(req.argv, {
    env: {},
    config: server.config,
    db: server.db,
    serverUrl: server.serverUrl,
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    readStdin: async () => req.stdin ?? '',
  });
  return { code, out, err };
}

interface Ctx {
  db: Db;
  config: Config;
  io: CliIo;
}

interface Result {
  text: string;
  json: unknown;
}

function need(flags: Record<string, unknown>, name: string): string {
  const v = flags[name];
  if (typeof v !== 'string' || !v) throw new UsageError(`--${name} is required`);
  return v;
}

async function command(name: string, positionals: string[], flags: Record<string, string | boolean | undefined>, ctx: Ctx): Promise<Result> {
  const users = new UserDirectory(ctx.db);
  const actor = `cli:${safeUser()}`;
  const audit = new AuditTrail(ctx.db, createLogger('silent'));
  const record = async (what: string, detail: Record<string, unknown>) => {
    audit.append({
      at: new Date(),
      requestId: `cli-${Date.now().toString(36)}`,
      actorKind: 'system',
      actorId: actor,
      actorName: actor,
      method: 'CLI',
      path: `autowatch ${what}`,
      route: null,
      resource: {},
      detail,
      status: 0,
      errorCode: null,
      remoteAddress: 'local',
      durationMs: 0,
    });
    await audit.close();
  };
  const password = async () => {
    if (!flags['password-stdin']) return undefined;
    const pw = (await ctx.io.readStdin()).replace(/\r?\n$/, '');
    if (!pw) throw new UsageError('--password-stdin read an empty password');
    return pw;
  };
  const link = async (user: UserRecord) => {
    const issued = await new SessionStore(ctx.db).createOneTime(user.id, ctx.config.api.oneTimeLoginTtlS);
    const url = oneTimeLoginUrl(ctx.io.serverUrl ?? dashboardUrl(ctx.config.api.publicUrl, ctx.config.host, ctx.config.port), issued.token);
    return { url, token: issued.token, expires_at: issued.expiresAt.toISOString() };
  };
  const makeUser = async (role: Role) => {
    const pw = await password();
    const username = role === 'admin' && flags.username === undefined ? 'admin' : need(flags, 'username');
    const user = await users.create({ username, role, displayName: flags['display-name'] as string | undefined, password: pw, createdBy: actor });
    await record(`${role === 'admin' ? 'admin' : 'user'} create`, { user_id: user.id, username: user.username, role });
    const login = user.hasPassword ? null : await link(user);
    const lines = [`made ${role} "${user.username}" (${user.id})`];
    if (login) lines.push(`one-time login link (valid until ${login.expires_at}):`, `  ${login.url}`);
    return { text: lines.join('\n'), json: { user: { id: user.id, username: user.username, role: user.role }, one_time_login: login } };
  };

  switch (name) {
    case 'admin create':
      return makeUser('admin');
    case 'user create': {
      const role = need(flags, 'role');
      if (!ROLES.includes(role as Role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
      return makeUser(role as Role);
    }
    case 'user list': {
      const all: UserRecord[] = [];
      let page = pageOf(USER_ORDER, { limit: 1000, sort: 'username' });
      for (;;) {
        const { rows } = await users.list(page, {});
        all.push(...rows.slice(0, page.limit));
        if (rows.length <= page.limit) break;
        const last = rows[page.limit - 1];
        page = { ...page, after: [last.username, last.id] };
      }
      const view = all.map((u) => ({ id: u.id, username: u.username, role: u.role, disabled: !!u.disabledAt, has_password: u.hasPassword }));
      return {
        text: view.map((u) => `${u.username.padEnd(24)} ${u.role.padEnd(9)} ${u.disabled ? 'disabled' : 'enabled '} ${u.id}`).join('\n') || '(no users)',
        json: view,
      };
    }
    case 'user login-link': {
      const user = await users.findByUsername(need(flags, 'username'));
      if (!user) throw new AppError('USER_NOT_FOUND', 'not_found', `no user named "${flags.username}"`);
      if (user.disabledAt) throw new AppError('USER_DISABLED', 'conflict', `"${user.username}" is disabled`);
      const login = await link(user);
      await record('user login-link', { user_id: user.id, username: user.username });
      return { text: `one-time login link for "${user.username}" (valid until ${login.expires_at}):\n  ${login.url}`, json: login };
    }
    case 'apikey create': {
      const scopes = need(flags, 'scopes')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      checkGrantable(scopes, new Set(['admin']), '--scopes');
      let ownerId: string | null = null;
      if (flags.owner !== undefined) {
        const owner = await users.findByUsername(need(flags, 'owner'));
        if (!owner) throw new AppError('USER_NOT_FOUND', 'not_found', `no user named "${flags.owner}"`);
        ownerId = owner.id;
      }
      const ttl = flags['expires-in'] === undefined ? null : parseDuration(flags['expires-in'] as string, '--expires-in');
      const { key, secret } = await new ApiKeyStore(ctx.db).create({
        name: need(flags, 'name'),
        scopes,
        ownerId,
        expiresAt: ttl ? new Date(Date.now() + ttl * 1000) : null,
        requireSignature: !!flags['require-signature'],
        createdBy: actor,
      });
      await record('apikey create', { key_id: key.id, scopes: key.scopes, owner_id: ownerId });
      const bearer = `${key.id}.${secret}`;
      return {
        text: [
          `made API key ${key.id} "${key.name}" scopes ${key.scopes.join(',')}${key.expiresAt ? ` until ${key.expiresAt.toISOString()}` : ''}`,
          'secret (shown once, keep it in a secret store):',
          `  ${secret}`,
          key.requireSignature ? 'this key only signs requests (docs/api.md)' : `use: Authorization: Bearer ${bearer}`,
        ].join('\n'),
        json: { id: key.id, name: key.name, scopes: key.scopes, expires_at: key.expiresAt, secret, bearer },
      };
    }
    case 'apikey list': {
      const { rows } = await ctx.db.query<{
        id: string;
        name: string;
        scopes: string[];
        owner: string | null;
        expires_at: Date | null;
        revoked_at: Date | null;
        last_used_at: Date | null;
      }>(
        `SELECT k.id, k.name, k.scopes, u.username AS owner, k.expires_at, k.revoked_at, k.last_used_at
           FROM api_keys k LEFT JOIN users u ON u.id = k.owner_id ORDER BY k.created_at, k.id`,
      );
      const state = (k: (typeof rows)[number]) => (k.revoked_at ? 'revoked' : k.expires_at && k.expires_at.getTime() < Date.now() ? 'expired' : 'active');
      return {
        text:
          rows.map((k) => `${k.id}  ${state(k).padEnd(7)}  ${k.name.padEnd(24)} ${(k.owner ?? '-').padEnd(16)} ${k.scopes.join(',')}`).join('\n') ||
          '(no API keys)',
        json: rows.map((k) => ({ ...k, state: state(k) })),
      };
    }
    case 'apikey revoke': {
      const id = positionals[0];
      if (!id) throw new UsageError('apikey revoke needs a KEY_ID');
      const key = await new ApiKeyStore(ctx.db).revoke(id, actor);
      await record('apikey revoke', { key_id: key.id });
      return { text: `revoked ${key.id} "${key.name}"`, json: { id: key.id, revoked_at: key.revokedAt } };
    }
    case 'token create': {
      const uses = flags.uses === undefined ? 1 : Number(flags.uses);
      if (!Number.isInteger(uses) || uses < 1) throw new UsageError('--uses must be a whole number >= 1');
      const t = await createEnrollmentToken(ctx.db, {
        createdBy: actor,
        ttlSeconds: flags.ttl === undefined ? undefined : parseDuration(flags.ttl as string, '--ttl'),
        uses,
        note: flags.note as string | undefined,
        autoApprove: flags['auto-approve'] === true,
      });
      await record('token create', { token_id: t.id, uses: t.uses, auto_approve: t.autoApprove });
      return {
        text: `enrollment token ${t.id} (${t.uses} use${t.uses === 1 ? '' : 's'}, until ${t.expiresAt.toISOString()}):\n  ${t.token}`,
        json: { id: t.id, token: t.token, expires_at: t.expiresAt, uses: t.uses, auto_approve: t.autoApprove },
      };
    }
    default:
      throw new UsageError(`unknown command "${name}"`);
  }
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

const readAllStdin = async (): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

export async function main(argv = process.argv.slice(2)): Promise<void> {
  process.exitCode = await runCli(argv, {
    env: process.env,
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    readStdin: readAllStdin,
  });
}

// `npx tsx server/cli/autowatch.ts ...` runs it directly; bin.js imports it and calls main().
if (process.argv[1] && /autowatch\.(ts|js)$/.test(process.argv[1]) && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  await main();
}

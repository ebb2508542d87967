/**
 * Files for file pushes, stored once by content: DATA_DIR/files/<sha256>. An upload arrives as a
 * temporary file already hashed (http/body.ts readBodyToFile); the same content uploaded twice is
 * kept once. Files are never changed in place, so downloads can read them while others upload.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from '../store/db.js';
import { recordOf, recordsOf, type RecordOf } from '../store/rows.js';

interface StoredFileRow {
  sha256: string;
  size: number;
  name: string;
  created_by: string;
  created_at: Date;
}
export type StoredFile = RecordOf<StoredFileRow>;

export class FileStore {
  readonly incomingDir: string;

  constructor(
    private readonly db: Db,
    readonly dir: string,
  ) {
    this.incomingDir = join(dir, 'incoming');
    mkdirSync(this.incomingDir, { recursive: true });
  }

  pathOf(sha256: string): string {
    return join(this.dir, sha256);
  }

  /** Takes an uploaded temporary file; `created` is false when the content was there already. */
  async put(upload: { path: string; size: number; sha256: string }, name: string, by: string): Promise<{ file: StoredFile; created: boolean }> {
    const target = this.pathOf(upload.sha256);
    if (existsSync(target)) rmSync(upload.path, { force: true });
    else renameSync(upload.path, target);
    const { rows } = await this.db.query<StoredFileRow>(
      `INSERT INTO task_files (sha256, size, name, created_by) VALUES ($1, $2, $3, $4) ON CONFLICT (sha256) DO NOTHING RETURNING *`,
      [upload.sha256, upload.size, name, by],
    );
    if (rows[0]) return { file: recordOf(rows[0]), created: true };
    return { file: (await this.get(upload.sha256))!, created: false };
  }

  async get(sha256: string): Promise<StoredFile | null> {
    const { rows } = await this.db.query<StoredFileRow>('SELECT * FROM task_files WHERE sha256 = $1', [sha256]);
    return rows[0] ? recordOf(rows[0]) : null;
  }

  async size(sha256: string): Promise<number | null> {
    const f = await this.get(sha256);
    return f && existsSync(this.pathOf(sha256)) ? f.size : null;
  }

  async list(limit: number): Promise<StoredFile[]> {
    const { rows } = await this.db.query<StoredFileRow>('SELECT * FROM task_files ORDER BY created_at DESC, sha256 LIMIT $1', [limit]);
    return recordsOf(rows);
  }
}

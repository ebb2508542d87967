/** Files for file-push tasks: streamed upload (stored once by sha256) and the list of what is stored. */
import { Type } from '@sinclair/typebox';
import { AppError } from '../errors.js';
import { route } from '../http/route.js';
import type { FileStore } from '../tasks/file-store.js';
import { Timestamp } from './schemas.js';

const File = Type.Object({ sha256: Type.String(), size: Type.Integer(), name: Type.String(), created_by: Type.String(), created_at: Timestamp });

export function fileRoutes(deps: { files: FileStore; maxBytes: number }) {
  return [
    route({
      method: 'POST',
      path: '/api/v1/files',
      summary: 'Upload a file for file pushes (the raw body, streamed to disk); stored once by sha256',
      description:
        `Send the file as the request body (any content type), at most ${deps.maxBytes} bytes (AW_TASK_FILE_MAX_MB). ` +
        'The answer names its sha256, which a file-push task refers to; the same content uploaded again is not stored twice (created: false).',
      tag: 'tasks',
      scope: 'tasks:run',
      status: 201,
      bodyType: 'file',
      bodyLimit: deps.maxBytes,
      query: Type.Object({ name: Type.Optional(Type.String({ maxLength: 255 })) }),
      response: Type.Object({ file: File, created: Type.Boolean() }),
      handler: async (ctx) => {
        if (!ctx.upload) throw new AppError('BODY_REQUIRED', 'invalid', 'send the file as the request body');
        const p = ctx.principal!;
        const { file, created } = await deps.files.put(ctx.upload, ctx.query.name ?? '', `${p.kind}:${p.name}`);
        if (!created) ctx.setStatus(200);
        ctx.audit({ sha256: file.sha256, size: file.size, created });
        return { file, created };
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/files',
      summary: 'Uploaded files, newest first',
      tag: 'tasks',
      scope: 'tasks:read',
      query: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })) }),
      response: Type.Array(File),
      handler: (ctx) => deps.files.list(ctx.query.limit ?? 100),
    }),
  ];
}

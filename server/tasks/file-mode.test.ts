import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { parseFileMode } from './file-mode.js';

describe('file mode', () => {
  it('reads numbers and octal text alike', () => {
    for (const m of ['0640', '640', '0o640', ' 0640 ', 0o640, 416]) expect(parseFileMode(m, 'body.action.mode')).toBe(0o640);
    expect(parseFileMode('4755', 'f')).toBe(0o4755);
    expect(parseFileMode('0', 'f')).toBe(0);
  });

  it('refuses what is not a mode, naming the field', () => {
    for (const m of ['0999', 'rw-r-----', '0x1a4', '', '17777', '0o', -1, 4096, 6.5]) {
      let err: unknown;
      try {
        parseFileMode(m, 'body.action.mode');
      } catch (e) {
        err = e;
      }
      expect(err, String(m)).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('VALIDATION_FAILED');
      expect((err as AppError).message).toMatch(/^body\.action\.mode: .* is not a file mode/);
      expect((err as AppError).details).toEqual({ field: 'body.action.mode' });
    }
  });
});

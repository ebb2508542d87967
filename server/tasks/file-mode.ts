/**
 * A file push's permission bits as people write them: a number (420, as JSON has no octal), or
 * octal text ("0640", "640", "0o640"). Text is always octal, as chmod reads it.
 */
import { AppError } from '../errors.js';

const OCTAL = /^(?:0o|0O|0)?([0-7]{1,4})$/;

export function parseFileMode(mode: number | string, field: string): number {
  const value = typeof mode === 'number' ? mode : OCTAL.test(mode.trim()) ? parseInt(OCTAL.exec(mode.trim())![1], 8) : NaN;
  if (!Number.isInteger(value) || value < 0 || value > 0o7777) {
    const shown = typeof mode === 'number' ? String(mode) : JSON.stringify(mode);
    throw new AppError(
      'VALIDATION_FAILED',
      'invalid',
      `${field}: ${shown} is not a file mode: give octal text ("0640", "640", "0o640") or a number from 0 to 4095 (420 is 0644)`,
      { field },
    );
  }
  return value;
}

import { describe, expect, it } from 'vitest';
import { runCommand, usableOutput } from './command-runner.js';

const node = process.execPath;

describe('runCommand', () => {
  it('returns the output of a successful command', async () => {
    const result = await runCommand(node, ['-e', 'process.stdout.write("hello")'], 5_000);
    expect(result).toEqual({ ok: true, stdout: 'hello', stderr: '', exitCode: 0 });
    expect(usableOutput(result)).toBe('hello');
  });

  it('reports a missing tool instead of throwing', async () => {
    const result = await runCommand('autowatch-no-such-tool', [], 5_000);
    expect(result).toMatchObject({ ok: false, failure: 'not-found', exitCode: null });
    expect(usableOutput(result)).toBeUndefined();
  });

  it('kills a command at its time limit', async () => {
    const started = Date.now();
    const result = await runCommand(node, ['-e', 'setTimeout(() => {}, 10_000)'], 200);
    expect(result).toMatchObject({ ok: false, failure: 'timeout' });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(usableOutput(result)).toBeUndefined();
  });

  it('keeps the output of a command that exits non-zero, as dmidecode does after warnings', async () => {
    const result = await runCommand(node, ['-e', 'process.stdout.write("partial"); process.stderr.write("warn"); process.exit(1)'], 5_000);
    expect(result).toEqual({ ok: false, stdout: 'partial', stderr: 'warn', exitCode: 1, failure: 'exit-code' });
    expect(usableOutput(result)).toBe('partial');
  });

  it('runs with the C locale so labels and decimals parse', async () => {
    const result = await runCommand(node, ['-e', 'process.stdout.write(process.env.LC_ALL ?? "")'], 5_000);
    expect(result.stdout).toBe('C');
  });
});

import { describe, expect, it } from 'vitest';
import { expandMacros, macroValue } from './problem-macros.js';

const values = { 'HOST.NAME': 'db-01', 'HOST.ID': 'h-1', 'ITEM.KEY': 'web_port.status', 'ITEM.VALUE': '2', 'TRIGGER.SEVERITY': 'high' };

describe('problem macros', () => {
  it('expands every known macro, as often as it appears', () => {
    expect(expandMacros('{TRIGGER.SEVERITY}: {ITEM.KEY}={ITEM.VALUE} on {HOST.NAME} ({HOST.ID}), {HOST.NAME} again', values)).toBe(
      'high: web_port.status=2 on db-01 (h-1), db-01 again',
    );
  });

  it('leaves unknown macros and other braces as written', () => {
    expect(expandMacros('{HOST.NAMES} {host.name} {NOTAMACRO} {} {HOST.NAME', values)).toBe('{HOST.NAMES} {host.name} {NOTAMACRO} {} {HOST.NAME');
    expect(expandMacros('{TOSTRING.X} {CONSTRUCTOR.NAME}', values)).toBe('{TOSTRING.X} {CONSTRUCTOR.NAME}');
  });

  it('formats values for people', () => {
    expect(macroValue(0.1 + 0.2)).toBe('0.3');
    expect(macroValue(3)).toBe('3');
    expect(macroValue(null)).toBe('no data');
  });
});

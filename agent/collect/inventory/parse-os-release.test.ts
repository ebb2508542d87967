import { describe, expect, it } from 'vitest';
import { fixtureText } from '../../../test/support/fixture-host.js';
import { parseOsRelease } from './parse-os-release.js';

describe('parseOsRelease', () => {
  it("reads this machine's /etc/os-release", async () => {
    expect(parseOsRelease(await fixtureText('vm/etc/os-release'))).toEqual({ name: 'Debian GNU/Linux', version: '12' });
  });

  it('handles single quotes, no quotes, and a missing VERSION_ID', () => {
    expect(parseOsRelease("NAME='Rocky Linux'\nVERSION_ID=9.3\n")).toEqual({ name: 'Rocky Linux', version: '9.3' });
    expect(parseOsRelease('NAME="Arch Linux"\nBUILD_ID=rolling\n')).toEqual({ name: 'Arch Linux', version: null });
    expect(parseOsRelease('NAME="Debian GNU/Linux"\nVERSION="13 (trixie)"\n')).toEqual({ name: 'Debian GNU/Linux', version: '13 (trixie)' });
    expect(parseOsRelease('')).toEqual({ name: null, version: null });
  });
});

/**
 * Recognises identifiers that firmware or OS images ship as placeholders. Thousands of machines share
 * them, so the server must never merge two assets on one of these.
 */
export type IdentifierKind = 'serial' | 'uuid' | 'machineId';

/** Placeholders board vendors leave in SMBIOS strings (compared lower-case, trimmed). */
const JUNK_SERIALS = new Set([
  'default string',
  'to be filled by o.e.m.',
  'to be filled by oem',
  'filled by o.e.m.',
  'system serial number',
  'chassis serial number',
  'base board serial number',
  'type2 - board serial number',
  'serial number',
  'system product name',
  'not specified',
  'not provided',
  'not available',
  'not applicable',
  'not settable',
  'not present',
  'none',
  'n/a',
  'na',
  'null',
  'unknown',
  'invalid',
  'empty',
  'default',
  'standard',
  'oem',
  'o.e.m.',
  'sn',
  's/n',
  'no asset tag',
  'asset tag',
  'tbd',
  '<bad index>',
  '<out of spec>',
]);

/**
 * UUIDs firmware templates ship on every board (lower-case). The AMI one appears in both byte orders
 * because dmidecode swaps the first three fields from SMBIOS 2.6 on and older boards did not.
 * Deliberately absent: Supermicro's "00000000-0000-0000-0000-<MAC>", which is unique per board.
 */
const JUNK_UUIDS = new Set([
  '03000200-0400-0500-0006-000700080009',
  '00020003-0004-0005-0006-000700080009',
  '12345678-1234-5678-90ab-cddeefaabbcc',
  '12345678-1234-5678-1234-567812345678',
  '01234567-89ab-cdef-0123-456789abcdef',
  '00010203-0405-0607-0809-0a0b0c0d0e0f',
  '01020304-0506-0708-090a-0b0c0d0e0f10',
  'deadbeef-dead-beef-dead-beefdeadbeef',
  'ffffff00-ffff-ffff-ffff-ffffffffffff',
  // Dell derives the UUID from the service tag; this is a replacement board whose tag is seven spaces.
  '4c4c4544-0000-2010-8020-80c04f202020',
]);

/** "0000000", "FFFF-FFFF", "fefefefe", "........": one or two characters repeated, separators aside. */
function isShortPatternRepeated(value: string): boolean {
  const core = value.replace(/[\s\-_.:/]/g, '');
  return core === '' || /^(.{1,2})\1*$/.test(core);
}

/** "0123456789", "12345678", "123456": a counting placeholder typed into the factory tool. */
function isCountingSequence(value: string): boolean {
  return value.length >= 5 && '01234567890123456789'.includes(value);
}

export function isJunkIdentifier(kind: IdentifierKind, value: string | null | undefined): boolean {
  const normal = (value ?? '').trim().toLowerCase();
  if (isShortPatternRepeated(normal)) return true;
  switch (kind) {
    case 'serial':
      return JUNK_SERIALS.has(normal) || isCountingSequence(normal) || normal.startsWith('to be filled');
    case 'uuid': {
      const hex = normal.replace(/^\{|\}$/g, '').replace(/-/g, '');
      // Anything that is not a UUID at all ("Not Settable", "Not Present") identifies nothing.
      if (!/^[0-9a-f]{32}$/.test(hex)) return true;
      return JUNK_UUIDS.has(hex.replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5'));
    }
    case 'machineId':
      // systemd writes "uninitialized" until first boot completes; anything but 32 hex digits is no id.
      return !/^[0-9a-f]{32}$/.test(normal);
  }
}

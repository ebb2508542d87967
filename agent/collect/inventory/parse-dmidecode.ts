/** One SMBIOS structure as dmidecode prints it. */
export interface DmiRecord {
  handle: string;
  type: number;
  title: string;
  /** "Key: value" lines, values trimmed. */
  fields: Record<string, string>;
  /** Keys whose values are indented lines below them (Flags:, Characteristics:). */
  lists: Record<string, string[]>;
}

/**
 * dmidecode's text output into records. Lines outside a "Handle 0x…, DMI type N" block (the version
 * banner, "Getting SMBIOS data from sysfs.", errors) are ignored, so a failed run yields no records.
 */
export function parseDmidecode(text: string): DmiRecord[] {
  const records: DmiRecord[] = [];
  let current: DmiRecord | undefined;
  let listKey: string | undefined;
  let expectTitle = false;
  for (const line of text.split('\n')) {
    const header = /^Handle (0x[0-9A-Fa-f]+), DMI type (\d+)/.exec(line);
    if (header) {
      current = { handle: header[1], type: Number(header[2]), title: '', fields: {}, lists: {} };
      records.push(current);
      listKey = undefined;
      expectTitle = true;
      continue;
    }
    if (!current) continue;
    if (line.trim() === '') {
      current = undefined;
      continue;
    }
    if (expectTitle) {
      current.title = line.trim();
      expectTitle = false;
    } else if (line.startsWith('\t\t') && listKey) {
      current.lists[listKey].push(line.trim());
    } else if (line.startsWith('\t')) {
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const key = line.slice(1, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (value === '') {
        listKey = key;
        current.lists[key] = [];
      } else {
        listKey = undefined;
        current.fields[key] = value;
      }
    }
  }
  return records;
}

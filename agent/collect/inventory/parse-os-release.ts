/**
 * /etc/os-release (shell-style KEY=value, values optionally quoted). NAME and VERSION_ID are the fields
 * meant for programs; VERSION is the fallback for distributions that omit VERSION_ID (rolling releases
 * omit both).
 */
export function parseOsRelease(text: string): { name: string | null; version: string | null } {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!match) continue;
    fields[match[1]] = match[2].replace(/^(["'])(.*)\1$/, '$2').replace(/\\(["'$`\\])/g, '$1');
  }
  return { name: fields.NAME || null, version: fields.VERSION_ID || fields.VERSION || null };
}

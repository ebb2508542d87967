/**
 * Macros in trigger names: `{HOST.NAME}` and the like, expanded once when a problem opens, so the
 * problem's name, its incident's title and every notification about it read the same words even
 * after the host is renamed or the template changed.
 */
export const PROBLEM_MACROS = ['HOST.NAME', 'HOST.ID', 'ITEM.KEY', 'ITEM.VALUE', 'TRIGGER.SEVERITY'] as const;
export type ProblemMacro = (typeof PROBLEM_MACROS)[number];

const MACRO = /\{([A-Z]+(?:\.[A-Z]+)+)\}/g;

/** Replaces the known macros; an unknown one (a typo, a future name) stays as written so the mistake shows. */
export function expandMacros(text: string, values: Record<ProblemMacro, string>): string {
  return text.replace(MACRO, (whole, name: string) => (Object.hasOwn(values, name) ? values[name as ProblemMacro] : whole));
}

/** A measured value as people read it: float noise trimmed (0.30000000000000004 -> 0.3), "no data" for none. */
export function macroValue(v: number | null): string {
  return v === null ? 'no data' : String(Number(v.toPrecision(12)));
}

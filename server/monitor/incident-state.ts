/**
 * The life of an incident: open -> acknowledged -> resolved -> closed. Resolved may be reopened
 * (the fix did not hold); closed is final. Pure, so the API and the automatic moves (all problems
 * recovered -> resolved) follow the same table.
 */
export const INCIDENT_STATES = ['open', 'acknowledged', 'resolved', 'closed'] as const;
export type IncidentState = (typeof INCIDENT_STATES)[number];

const NEXT: Record<IncidentState, readonly IncidentState[]> = {
  open: ['acknowledged', 'resolved'],
  acknowledged: ['resolved'],
  resolved: ['closed', 'open'],
  closed: [],
};

export const canMove = (from: IncidentState, to: IncidentState): boolean => NEXT[from].includes(to);
export const nextStates = (from: IncidentState): readonly IncidentState[] => NEXT[from];

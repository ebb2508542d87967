/**
 * The person behind a caller, for rules about people rather than credentials (a change needs a
 * second person to approve it): a user, whether by session or through an API key they own, is one
 * person. A key without an owner (made with the CLI) stands for itself: it is nobody else, so it can
 * approve no more than before, and never what it asked for.
 */
import type { Principal } from './principal.js';

export const personOf = (p: Principal): string => (p.userId ? `user:${p.userId}` : `${p.kind}:${p.id}`);

/** Who acts: `name` is recorded and shown ("user:alice"), `person` decides the two-person rule (personOf). */
export interface Actor {
  name: string;
  person: string;
}

/**
 * The two-person rule: the same person asked. Where either side is not a known user (a key without
 * an owner, a request older than `requester`) the same name counts too, as it did before people
 * were compared, so such a key can approve nothing it could not before.
 */
export function isRequester(requester: { name: string; person: string | null }, approver: Actor): boolean {
  if (requester.person === approver.person) return true;
  const bothUsers = requester.person?.startsWith('user:') && approver.person.startsWith('user:');
  return !bothUsers && requester.name === approver.name;
}

/** The caller as the two-person rule sees it: its recorded name and the person behind it. */
export const actingAs = (p: Principal): Actor => ({ name: `${p.kind}:${p.name}`, person: personOf(p) });

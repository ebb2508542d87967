/**
 * The person behind a caller, for rules about people rather than credentials (a change needs a
 * second person to approve it): a user, whether by session or through an API key they own, is one
 * person. A key without an owner (made with the CLI) stands for itself: it is nobody else, so it can
 * approve no more than before, and never what it asked for.
 */
import type { Principal } from '../http/route.js';

export const personOf = (p: Principal): string => (p.userId ? `user:${p.userId}` : `${p.kind}:${p.id}`);

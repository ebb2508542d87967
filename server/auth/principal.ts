/** Who is calling, once authenticated. */
export interface Principal {
  kind: 'user' | 'api_key' | 'agent';
  id: string;
  name: string;
  role?: string;
  scopes: ReadonlySet<string>;
  /** The session a user logged in with (session tokens only): logout ends it. */
  sessionId?: string;
  /** The person behind the call: the user, or the user who owns the API key (none for a key made without an owner). */
  userId?: string;
}

/** The server's ed25519 signing key, made once and kept in the database for every node. */
import nacl from 'tweetnacl';
import type { Db } from '../store/db.js';

export interface ServerIdentity {
  signPublicKey: Uint8Array;
  signSecretKey: Uint8Array;
}

export async function loadServerIdentity(db: Db): Promise<ServerIdentity> {
  const fresh = nacl.sign.keyPair();
  // Two nodes starting together: the first insert wins and both read the same row.
  await db.query('INSERT INTO server_identity (id, sign_public, sign_secret) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING', [
    Buffer.from(fresh.publicKey),
    Buffer.from(fresh.secretKey),
  ]);
  const { rows } = await db.query<{ sign_public: Uint8Array; sign_secret: Uint8Array }>('SELECT sign_public, sign_secret FROM server_identity WHERE id = 1');
  return { signPublicKey: new Uint8Array(rows[0].sign_public), signSecretKey: new Uint8Array(rows[0].sign_secret) };
}

import { randomBytes } from 'node:crypto';
import { base64urlToBytes, bytesToBase64url } from '../../../shared/fleet/base64url';
import { NONCE_BYTES } from '../../../shared/fleet/pairing-proof';
import { computeProof, proofMatches } from './proofs';

/**
 * The challenge/proof handshake of shared/fleet/node-api.ts, node side: each challenge is single-use and short-lived;
 * a desktop proof that checks out buys a session token, which alone opens the pairing endpoints.
 */

export const CHALLENGE_TTL_SECONDS = 60;
export const SESSION_TTL_SECONDS = 15 * 60;
/** Open challenges kept at once; the oldest goes first (the rate limit keeps honest use far below). */
const MAX_OPEN_CHALLENGES = 256;

interface Challenge {
  readonly desktopNonce: Uint8Array;
  readonly nodeNonce: Uint8Array;
  readonly expiresAt: number;
}

export type ProofOutcome =
  | { readonly ok: true; readonly sessionToken: string; readonly expiresIn: number }
  | { readonly ok: false; readonly error: 'unknown_challenge' | 'challenge_expired' | 'proof_invalid' };

export class Handshake {
  private readonly challenges = new Map<string, Challenge>();
  private readonly sessions = new Map<string, number>();

  constructor(
    /** The pairing key, read at each use: undefined until an unseeded node is adopted (no handshake before). */
    private readonly keyOf: () => Uint8Array | undefined,
    /** Raw SHA-256 of the node's certificate: the node proves over the certificate it actually serves. */
    private readonly fingerprint: Uint8Array,
    private readonly now: () => number,
  ) {}

  /** Whether the node holds a pairing key to prove (a node not seeded here gets one by adoption). */
  get ready(): boolean {
    return this.keyOf() !== undefined;
  }

  private get key(): Uint8Array {
    const key = this.keyOf();
    // The API refuses the handshake before adoption (api-routes.ts); reaching here without a key is a bug.
    if (key === undefined) throw new Error('no pairing key yet: adopt the node first');
    return key;
  }

  /** Opens a challenge for `desktopNonce` (base64url, validated by the schema) and proves the node holds the key. */
  challenge(desktopNonce: string): { challenge_id: string; node_nonce: string; node_proof: string; expires_in: number } {
    const id = bytesToBase64url(new Uint8Array(randomBytes(32)));
    const nodeNonce = new Uint8Array(randomBytes(NONCE_BYTES));
    const entry = { desktopNonce: base64urlToBytes(desktopNonce), nodeNonce, expiresAt: this.now() + CHALLENGE_TTL_SECONDS * 1000 };
    const proof = computeProof(this.key, 'node', { desktopNonce: entry.desktopNonce, nodeNonce, fingerprint: this.fingerprint });
    this.challenges.set(id, entry);
    if (this.challenges.size > MAX_OPEN_CHALLENGES) {
      const oldest = this.challenges.keys().next();
      if (!oldest.done) this.challenges.delete(oldest.value);
    }
    return { challenge_id: id, node_nonce: bytesToBase64url(nodeNonce), node_proof: bytesToBase64url(new Uint8Array(proof)), expires_in: CHALLENGE_TTL_SECONDS };
  }

  /** Checks the desktop's proof for a challenge, which is spent whatever the outcome (no second guess on it). */
  prove(challengeId: string, desktopProof: string): ProofOutcome {
    const entry = this.challenges.get(challengeId);
    if (!entry) return { ok: false, error: 'unknown_challenge' };
    this.challenges.delete(challengeId);
    if (this.now() >= entry.expiresAt) return { ok: false, error: 'challenge_expired' };
    const inputs = { desktopNonce: entry.desktopNonce, nodeNonce: entry.nodeNonce, fingerprint: this.fingerprint };
    if (!proofMatches(this.key, 'desktop', inputs, base64urlToBytes(desktopProof))) return { ok: false, error: 'proof_invalid' };
    const sessionToken = bytesToBase64url(new Uint8Array(randomBytes(32)));
    this.sessions.set(sessionToken, this.now() + SESSION_TTL_SECONDS * 1000);
    return { ok: true, sessionToken, expiresIn: SESSION_TTL_SECONDS };
  }

  /** Whether `token` is a live session token. */
  hasSession(token: string): boolean {
    const expiresAt = this.sessions.get(token);
    if (expiresAt === undefined) return false;
    if (this.now() >= expiresAt) {
      this.sessions.delete(token);
      return false;
    }
    return true;
  }

  /** After pairing no new handshake can start; open challenges are dropped, sessions stay to read the status. */
  closeChallenges(): void {
    this.challenges.clear();
  }
}

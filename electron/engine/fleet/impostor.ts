/**
 * Impostor detection: whether an advertised node contradicts what this desktop knows from flashing it. Pure.
 * The TXT record is world-writable on the LAN (anyone can advertise anything), so a known id or a known name is a
 * claim, not an identity: only the pinned certificate fingerprint (and, at pairing, the HMAC proof) is identity.
 */

/** What the inventory knows of one node this desktop flashed. */
export interface KnownNode {
  readonly nodeId: string;
  readonly hostname: string;
  /** The certificate fingerprint pinned at the first authenticated contact; null until then. */
  readonly pinnedFingerprint: string | null;
}

/** What a node advertises: its TXT id and fingerprint, its DNS-SD instance name and SRV host. */
export interface Advertisement {
  readonly nodeId: string;
  readonly fingerprint: string;
  readonly name: string;
  readonly host: string;
}

export type ImpostorReason =
  /** The id is ours and pinned, but the advertised certificate is another. */
  | { readonly code: 'fingerprint-mismatch'; readonly nodeId: string; readonly pinned: string; readonly advertised: string }
  /** The name is a host we flashed, but the id is not that host's. */
  | { readonly code: 'name-taken'; readonly hostname: string; readonly knownNodeId: string };

export type Verdict =
  | { readonly kind: 'known'; readonly nodeId: string; readonly pinned: boolean }
  | { readonly kind: 'unknown' }
  | { readonly kind: 'impostor'; readonly reasons: readonly ImpostorReason[] };

/** `macula-a1b2.local.` → `macula-a1b2`; names compare case-insensitively (RFC 6762 §16). */
interface KnownIndex {
  readonly byId: ReadonlyMap<string, KnownNode>;
  readonly byHostname: ReadonlyMap<string, readonly KnownNode[]>;
}

/**
 * The known nodes by id and by lower-cased hostname, built once per list: judging a thousand advertisements against
 * an inventory of ten thousand was ten million comparisons the linear way.
 */
const indexes = new WeakMap<readonly KnownNode[], KnownIndex>();
function indexOf(known: readonly KnownNode[]): KnownIndex {
  let index = indexes.get(known);
  if (!index) {
    const byId = new Map<string, KnownNode>();
    const byHostname = new Map<string, KnownNode[]>();
    for (const k of known) {
      if (!byId.has(k.nodeId)) byId.set(k.nodeId, k);
      const name = k.hostname.toLowerCase();
      byHostname.set(name, [...(byHostname.get(name) ?? []), k]);
    }
    index = { byId, byHostname };
    indexes.set(known, index);
  }
  return index;
}

function hostLabel(name: string): string {
  return name.toLowerCase().replace(/\.$/, '').replace(/\.local$/, '');
}

/** Classifies an advertisement against the inventory: `impostor` with every reason found, else known or unknown. */
export function classifyAdvertisement(ad: Advertisement, known: readonly KnownNode[]): Verdict {
  const { byId, byHostname } = indexOf(known);
  const reasons: ImpostorReason[] = [];
  const mine = byId.get(ad.nodeId);
  if (mine?.pinnedFingerprint != null && mine.pinnedFingerprint !== ad.fingerprint) {
    reasons.push({ code: 'fingerprint-mismatch', nodeId: ad.nodeId, pinned: mine.pinnedFingerprint, advertised: ad.fingerprint });
  }
  const names = new Set([hostLabel(ad.name), hostLabel(ad.host)]);
  for (const name of names) {
    for (const k of byHostname.get(name) ?? []) {
      if (k.nodeId !== ad.nodeId) reasons.push({ code: 'name-taken', hostname: k.hostname, knownNodeId: k.nodeId });
    }
  }
  if (reasons.length > 0) return { kind: 'impostor', reasons };
  if (mine) return { kind: 'known', nodeId: mine.nodeId, pinned: mine.pinnedFingerprint !== null };
  return { kind: 'unknown' };
}

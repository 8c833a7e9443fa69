import { describe, expect, it } from 'vitest';
import { type KnownNode, classifyAdvertisement } from '../electron/engine/fleet/impostor';

const FP_PINNED = 'p'.repeat(43);
const FP_OTHER = 'o'.repeat(43);
const known: KnownNode[] = [
  { nodeId: 'node-real', hostname: 'macula-real', pinnedFingerprint: FP_PINNED },
  { nodeId: 'node-fresh', hostname: 'macula-fresh', pinnedFingerprint: null },
];

describe('impostor rules', () => {
  it('accepts our node advertising its pinned fingerprint under its own name', () => {
    const v = classifyAdvertisement({ nodeId: 'node-real', fingerprint: FP_PINNED, name: 'macula-real', host: 'macula-real.local' }, known);
    expect(v).toEqual({ kind: 'known', nodeId: 'node-real', pinned: true });
  });

  it('flags a known id with a fingerprint other than the pinned one', () => {
    const v = classifyAdvertisement({ nodeId: 'node-real', fingerprint: FP_OTHER, name: 'macula-real', host: 'macula-real.local' }, known);
    expect(v).toEqual({ kind: 'impostor', reasons: [{ code: 'fingerprint-mismatch', nodeId: 'node-real', pinned: FP_PINNED, advertised: FP_OTHER }] });
  });

  it('does not judge the fingerprint of a node not pinned yet', () => {
    const v = classifyAdvertisement({ nodeId: 'node-fresh', fingerprint: FP_OTHER, name: 'macula-fresh', host: 'macula-fresh.local' }, known);
    expect(v).toEqual({ kind: 'known', nodeId: 'node-fresh', pinned: false });
  });

  it('flags a known host name under another id, by instance name or by SRV host, whatever the case', () => {
    const byName = classifyAdvertisement({ nodeId: 'node-evil', fingerprint: FP_OTHER, name: 'Macula-Real', host: 'evil.local' }, known);
    expect(byName).toEqual({ kind: 'impostor', reasons: [{ code: 'name-taken', hostname: 'macula-real', knownNodeId: 'node-real' }] });
    const byHost = classifyAdvertisement({ nodeId: 'node-evil', fingerprint: FP_OTHER, name: 'innocent', host: 'macula-fresh.local.' }, known);
    expect(byHost).toMatchObject({ kind: 'impostor', reasons: [{ code: 'name-taken', knownNodeId: 'node-fresh' }] });
  });

  it('gives every reason when several rules fire', () => {
    const v = classifyAdvertisement({ nodeId: 'node-real', fingerprint: FP_OTHER, name: 'macula-fresh', host: 'x.local' }, known);
    expect(v.kind === 'impostor' && v.reasons.map((r) => r.code)).toEqual(['fingerprint-mismatch', 'name-taken']);
  });

  it('leaves a stranger unknown', () => {
    expect(classifyAdvertisement({ nodeId: 'node-new1', fingerprint: FP_OTHER, name: 'macula-new', host: 'macula-new.local' }, known)).toEqual({ kind: 'unknown' });
  });
});

import { describe, expect, it } from 'vitest';
import { parseSeedYaml } from '../../shared/seed-yaml';
import { type FileChange, planSeed, splitKeyboard } from './plan';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJY5j9GcVBBfM/84ACor2lGlZZ0gfNFdLbCMa+yY/kvD ops@example';

function file(plan: ReturnType<typeof planSeed>, path: string): FileChange | undefined {
  return plan.changes.find((c): c is FileChange => c.kind === 'file' && c.path === path);
}

describe('planSeed', () => {
  it('plans hostname, time zone, keyboard, locale, SSH keys with their port, and mesh roles', () => {
    const seed = parseSeedYaml(
      `hostname: e2e-node-1\nssh_authorized_keys: ["${KEY}"]\nmaculaos:\n  timezone: Europe/Berlin\n  keyboard: de(nodeadkeys)\n  locale: de_DE.UTF-8\n  mesh: { relay: true }\n  pairing: { key: ${'A'.repeat(43)} }\n`,
      'test',
    );
    const plan = planSeed(seed, '/run/maculaos');
    expect(file(plan, '/etc/hostname')?.content).toBe('e2e-node-1\n');
    expect(file(plan, '/etc/hosts')?.content).toContain('127.0.1.1\te2e-node-1');
    expect(plan.changes).toContainEqual({ kind: 'link', path: '/etc/localtime', target: '/usr/share/zoneinfo/Europe/Berlin' });
    expect(file(plan, '/etc/default/keyboard')?.content).toContain('XKBLAYOUT="de"\nXKBVARIANT="nodeadkeys"');
    expect(file(plan, '/etc/default/locale')?.content).toBe('LANG=de_DE.UTF-8\n');
    expect(file(plan, '/home/macula/.ssh/authorized_keys')).toMatchObject({ content: `${KEY}\n`, mode: 0o600, owner: 'macula:macula' });
    expect(file(plan, '/run/maculaos/firewall.d/ssh.nft')?.content).toContain('{ 22 }');
    expect(JSON.parse(file(plan, '/run/maculaos/mesh-roles')?.content ?? '')).toEqual({ bootstrap: false, relay: true });
    expect(plan.summary).toMatchObject({ hostname: 'e2e-node-1', mesh: 'relay', ssh_keys: '1' });
    // The pairing key is the agent's business: never in a planned file or the summary.
    expect(JSON.stringify(plan)).not.toContain('A'.repeat(43));
  });

  it('opens no SSH port and writes no roles beyond "none" for an empty seed', () => {
    const plan = planSeed(parseSeedYaml('maculaos: {}\n', 'test'), '/run/maculaos');
    expect(plan.hostname).toBeUndefined();
    expect(plan.changes.map((c) => c.path)).toEqual(['/run/maculaos/mesh-roles']);
    expect(plan.summary).toEqual({ mesh: 'none' });
  });

  it('splits X11 layouts and variants', () => {
    expect(splitKeyboard('us')).toEqual({ layout: 'us', variant: '' });
    expect(splitKeyboard('fr(azerty)')).toEqual({ layout: 'fr', variant: 'azerty' });
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Catalog } from './catalog';
import { parseCatalog } from './catalog-parse';
import { NO_VERSIONS_SEEN, describeDowngrades, findDowngrades, seenVersionsSchema, withCatalogSeen } from './catalog-seen';

const bundled = parseCatalog(readFileSync(new URL('../assets/catalog.json', import.meta.url), 'utf8'), 'assets/catalog.json');

/** The bundled catalog with each entry's version replaced, in order. */
function withVersions(...versions: string[]): Catalog {
  return { ...bundled, os_list: bundled.os_list.map((image, i) => ({ ...image, version: versions[i] ?? image.version })) };
}

describe('no silent downgrade (catalog versions seen)', () => {
  const seen = withCatalogSeen(NO_VERSIONS_SEEN, withVersions('1.1.0', '1.1.0', '1.1.0'));

  it('remembers the newest version per arch-variant, and never lowers it', () => {
    expect(seen.newest).toEqual({ 'amd64-airgapped': '1.1.0', 'amd64-netboot': '1.1.0', 'arm64-rpi': '1.1.0' });
    expect(withCatalogSeen(seen, withVersions('1.0.0', '1.2.0', '1.1.0')).newest).toEqual({
      'amd64-airgapped': '1.1.0',
      'amd64-netboot': '1.2.0',
      'arm64-rpi': '1.1.0',
    });
    expect(seenVersionsSchema.parse(JSON.parse(JSON.stringify(seen)))).toEqual(seen);
  });

  it('finds each kind whose newest entry is older than seen, by SemVer order (a pre-release is older)', () => {
    expect(findDowngrades(withVersions('1.1.0', '1.10.0', '2.0.0'), seen)).toEqual([]);
    const older = findDowngrades(withVersions('1.0.9', '1.1.0-rc.1', '1.1.0'), seen);
    expect(older).toEqual([
      { kind: 'amd64-airgapped', offered: '1.0.9', seen: '1.1.0' },
      { kind: 'amd64-netboot', offered: '1.1.0-rc.1', seen: '1.1.0' },
    ]);
    expect(describeDowngrades(older)).toBe('amd64-airgapped 1.0.9 (1.1.0 seen), amd64-netboot 1.1.0-rc.1 (1.1.0 seen)');
  });

  it('judges a kind by its newest entry: older ones beside it, or a kind not listed, are no downgrade', () => {
    const [airgapped] = bundled.os_list;
    if (!airgapped) throw new Error('bundled catalog is empty');
    const both: Catalog = { ...bundled, os_list: [{ ...airgapped, version: '1.0.0' }, { ...airgapped, version: '1.1.0' }] };
    expect(findDowngrades(both, seen)).toEqual([]);
  });

  it('refuses a record that is not one (unknown kind, not a version)', () => {
    expect(seenVersionsSchema.safeParse({ format: 1, newest: { 'mips-airgapped': '1.0.0' } }).success).toBe(false);
    expect(seenVersionsSchema.safeParse({ format: 1, newest: { 'amd64-rpi': 'latest' } }).success).toBe(false);
  });
});

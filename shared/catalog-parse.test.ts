import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { catalogEntryId, downloadFileName } from './catalog';
import { compareVersions, findCatalogEntry, parseCatalog } from './catalog-parse';
import { MaculaError } from './errors';

const bundled = readFileSync(new URL('../assets/catalog.json', import.meta.url), 'utf8');

function mutated(edit: (c: { os_list: Record<string, unknown>[] } & Record<string, unknown>) => void): string {
  const c = JSON.parse(bundled);
  edit(c);
  return JSON.stringify(c);
}

function refusal(text: string): MaculaError {
  try {
    parseCatalog(text, 'test.json');
  } catch (e) {
    if (e instanceof MaculaError) return e;
    throw e;
  }
  throw new Error('catalog was accepted');
}

describe('parseCatalog', () => {
  it('accepts the bundled catalog', () => {
    const catalog = parseCatalog(bundled, 'assets/catalog.json');
    expect(catalog.os_list.map(catalogEntryId)).toEqual(['0.1.0-amd64-airgapped', '0.1.0-amd64-netboot', '0.1.0-arm64-rpi']);
    expect(downloadFileName(catalog.os_list[2]!)).toBe('macula-os-0.1.0-arm64.img.xz');
  });

  it.each([
    ['a bad hash', (c: { os_list: Record<string, unknown>[] }) => (c.os_list[1]!['extract_sha256'] = 'abc'), 'os_list[1].extract_sha256'],
    ['an unknown arch', (c: { os_list: Record<string, unknown>[] }) => (c.os_list[0]!['arch'] = 'riscv64'), 'os_list[0].arch'],
    ['a missing url', (c: { os_list: Record<string, unknown>[] }) => delete c.os_list[2]!['url'], 'os_list[2].url'],
    ['a non-https url', (c: { os_list: Record<string, unknown>[] }) => (c.os_list[0]!['url'] = 'ftp://x/y.iso'), 'os_list[0].url'],
    ['a wrong init format', (c: { os_list: Record<string, unknown>[] }) => (c.os_list[0]!['init_format'] = 'cloudinit'), 'os_list[0].init_format'],
    ['an unknown key', (c: { os_list: Record<string, unknown>[] }) => (c.os_list[0]!['extra'] = 1), 'os_list[0]'],
    ['a negative size', (c: { os_list: Record<string, unknown>[] }) => (c.os_list[0]!['extract_size'] = -1), 'os_list[0].extract_size'],
    ['an empty list', (c: { os_list: Record<string, unknown>[] }) => (c.os_list = []), 'os_list'],
  ])('refuses %s, naming the field', (_what, edit, field) => {
    const e = refusal(mutated(edit));
    expect(e.code).toBe('ERR_CATALOG_SCHEMA');
    expect(e.details.field).toBe(field);
    expect(e.message).toContain(field);
  });

  it('refuses a wrong catalog version and text that is not JSON', () => {
    expect(refusal(mutated((c) => (c['catalog_version'] = 2))).details.field).toBe('catalog_version');
    expect(refusal('<html>').message).toMatch(/not valid JSON/);
  });
});

describe('findCatalogEntry', () => {
  const twoVersions = parseCatalog(
    mutated((c) => {
      c.os_list.push({ ...c.os_list[0]!, version: '0.10.0', name: 'newer' });
    }),
    't',
  );

  it('finds by id, by name, and by arch-variant picking the newest version', () => {
    expect(findCatalogEntry(twoVersions, '0.1.0-amd64-airgapped').version).toBe('0.1.0');
    expect(findCatalogEntry(twoVersions, 'newer').version).toBe('0.10.0');
    expect(findCatalogEntry(twoVersions, 'amd64-airgapped').version).toBe('0.10.0');
  });

  it('names the known entries when nothing matches', () => {
    expect(() => findCatalogEntry(twoVersions, 'amd64-rpi')).toThrow(/known: 0\.1\.0-amd64-airgapped/);
  });
});

describe('compareVersions', () => {
  it('orders numerically and puts pre-releases first', () => {
    expect(['1.10.0', '1.2.0', '1.2.0-rc.1', '0.9.9'].sort(compareVersions)).toEqual(['0.9.9', '1.2.0-rc.1', '1.2.0', '1.10.0']);
  });
});

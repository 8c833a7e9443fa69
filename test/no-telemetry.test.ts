import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Catalog } from '../shared/catalog';
import { assetsTrusting } from './helpers/catalog-release';
import { maculaArgv } from './helpers/cli';
import { type GpgHome, createGpgHome } from './helpers/gpg';
import { NetnsLab, netnsUnavailable } from './helpers/netns';
import { writeSignedCatalog } from './helpers/signed-catalog';

/**
 * No telemetry, proven (issue 16): a whole `macula flash ENTRY` from a signed catalog runs in a network namespace of
 * its own, under strace recording every connect/sendto/sendmsg of every thread and child, and the only Internet
 * address it ever addresses is the release server it was configured with. The namespace reaches nothing else, so a
 * regression that phones home fails here without a packet leaving the machine.
 */
const repo = resolve(import.meta.dirname, '..');
const skip = netnsUnavailable();
const SERVER = '10.77.231.1';
const PORT = 8080;

/** Every IPv4/IPv6 address:port a traced process tried to reach, from strace's decoded sockaddrs. */
function addressesIn(trace: string): string[] {
  const found = new Set<string>();
  for (const m of trace.matchAll(/sin_port=htons\((\d+)\), sin_addr=inet_addr\("([\d.]+)"\)/g)) found.add(`${m[2]}:${m[1]}`);
  for (const m of trace.matchAll(/sin6_port=htons\((\d+)\),.*?inet_pton\(AF_INET6, "([^"]+)"/g)) found.add(`[${m[2]}]:${m[1]}`);
  return [...found];
}

describe.skipIf(skip !== undefined)('macula contacts only the hosts it is configured with (network namespace, strace)', () => {
  let lab: NetnsLab;
  let dir: string;
  let gpg: GpgHome;
  let desktop: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'macula-telemetry-'));
    gpg = await createGpgHome();
    lab = new NetnsLab(`mtl-${process.pid}-`);
    const server = lab.addHost('srv', [{ ifname: 'eth0', lan: 'tlan', cidr: `${SERVER}/24` }]);
    desktop = lab.addHost('dsk', [{ ifname: 'eth0', lan: 'tlan', cidr: '10.77.231.2/24' }]);
    // A release as published: image, signed SHA256SUMS, signed catalog naming them.
    const image = randomBytes(2 << 20);
    const digest = createHash('sha256').update(image).digest('hex');
    await writeFile(join(dir, 'maculaos.img'), image);
    const sums = Buffer.from(`${digest}  maculaos.img\n`);
    await writeFile(join(dir, 'SHA256SUMS'), sums);
    await writeFile(join(dir, 'SHA256SUMS.asc'), await gpg.sign(sums, { armor: true }));
    const base = `http://${SERVER}:${PORT}`;
    const catalog: Catalog = {
      catalog_version: 1,
      os_list: [
        {
          name: 'MaculaOS test',
          description: '',
          version: '9.0.0',
          release_date: '2026-12-01',
          arch: 'amd64',
          variant: 'airgapped',
          url: `${base}/maculaos.img`,
          image_download_size: image.length,
          image_download_sha256: digest,
          extract_size: image.length,
          extract_sha256: digest,
          min_target_size: image.length,
          init_format: 'maculaos',
          sha256sums_url: `${base}/SHA256SUMS`,
          sha256sums_sig_url: `${base}/SHA256SUMS.asc`,
        },
      ],
    };
    await writeSignedCatalog(join(dir, 'catalog.json'), gpg, catalog);
    const host = lab.spawnNode(server, join(repo, 'test/helpers/release-http-host.ts'), ['--dir', dir, '--host', SERVER, '--port', String(PORT)]);
    await host.waitFor((l) => l.includes('listening'), 20_000);
  }, 60_000);

  afterAll(async () => {
    await lab?.destroy();
    await gpg?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a flash from the catalog addresses the release server and nothing else', async () => {
    const target = join(dir, 'stick.img');
    await writeFile(target, Buffer.alloc(4 << 20));
    const trace = join(dir, 'trace');
    const env = {
      MACULA_ASSETS_DIR: await assetsTrusting(join(dir, 'assets'), gpg),
      MACULA_CACHE_DIR: join(dir, 'cache'),
      MACULA_CONFIG_DIR: join(dir, 'config'),
      MACULA_FLEET_DIR: join(dir, 'fleet'),
    };
    const argv = ['ip', 'netns', 'exec', desktop, 'strace', '-f', '-qq', '-e', 'trace=connect,sendto,sendmsg', '-o', trace,
      ...maculaArgv(['flash', '9.0.0-amd64-airgapped', '--catalog', `http://${SERVER}:${PORT}/catalog.json`, '--allow-http', '--to', target, '--yes', '--json'])];
    const code = await new Promise<number>((ok) => {
      execFile(argv[0] ?? '', argv.slice(1), { cwd: repo, env: { ...process.env, ...env }, maxBuffer: 1 << 24 }, (error) => ok(error ? Number(error.code ?? 1) : 0));
    });
    const contacted = addressesIn(await readFile(trace, 'utf8'));
    console.log(`no-telemetry: the flash exited ${code} and addressed ${contacted.join(', ') || 'nothing'}`);
    expect(code).toBe(0);
    expect(contacted).toEqual([`${SERVER}:${PORT}`]);
  }, 120_000);
});

import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GpgHome, createGpgHome } from './helpers/gpg';
import { type Guest, bootDisk, bootKernel, buildMaculaImage, buildMaculaNetboot, imageTestsUnavailable, netbootPaths, qcow2Path } from './helpers/maculaos-image';
import { NetnsLab, type NsProcess, netnsUnavailable } from './helpers/netns';

/**
 * Issue 7, the netboot variant (plan §7.2, §7.3) and the qcow2 VM disk (§8.1). Builds the netboot release (cached root,
 * its own initrd with this run's throwaway release key baked in), serves it over HTTP from a LAN in network namespaces,
 * and boots the kernel and netboot initrd under QEMU (TCG) on that LAN:
 *   - a good release boots to the login prompt, its root downloaded, signature and hash checked;
 *   - a squashfs with one byte flipped stops at "MACULAOS: netboot hash mismatch", never mounted;
 *   - SHA256SUMS.asc by another key stops at "MACULAOS: netboot bad signature" before the squashfs is fetched;
 *   - an unreachable release stops at "MACULAOS: netboot download failed".
 * Then the airgapped build's qcow2 boots as a virtio disk to the live system.
 *
 *   LAN 10.77.10.0/24 (bridge `nlan` in the lab's bridge namespace)
 *     server namespace, eth0 10.77.10.1: dnsmasq (DHCP only); release-http-host.ts on :8080 (good), :8081 (the
 *                                        squashfs flipped), :8082 (SHA256SUMS.asc by another key); nothing on :8089
 *     tap0…tap2 (bridge namespace, where QEMU runs): the guests, which get 10.77.10.1xx by DHCP in the initrd
 */

const run = promisify(execFile);
const SERVER = '10.77.10.1';
const url = (port: number): string => `http://${SERVER}:${port}/`;
const TAPS = ['tap0', 'tap1', 'tap2'] as const;
const macOf = (i: number): string => `52:54:00:77:10:${(0x11 + i).toString(16)}`;

const reason = imageTestsUnavailable() ?? netnsUnavailable() ?? (spawnSync('sh', ['-c', 'command -v dnsmasq']).status === 0 ? undefined : 'dnsmasq is not installed (bash .ci/run installs dnsmasq-base)');
if (reason) console.log(`image-netboot.test.ts skipped: ${reason}`);

/** The live boot's line once a root is mounted: no failure case may ever reach it. */
const MOUNTED = /MACULAOS: root is/;

/** Seconds since the guest started, for the printed figures. */
const secs = (ms: number): string => (ms / 1000).toFixed(1);

describe.skipIf(reason !== undefined)('MaculaOS netboot: signed root over HTTP; qcow2 VM disk', () => {
  let dir: string;
  let gpg: GpgHome;
  let otherKey: GpgHome;
  let lab: NetnsLab;
  let server: string;
  const servers: NsProcess[] = [];
  const guests: Guest[] = [];
  let out: string;

  /** Boots the netboot kernel and initrd on tap `i` against `releaseUrl`; its serial log is `name`.log. */
  const netboot = (name: string, i: number, releaseUrl: string): Guest => {
    const { vmlinuz, initrd } = netbootPaths(out);
    const guest = bootKernel({ kernel: vmlinuz, initrd, append: `boot=maculaos-net macula.url=${releaseUrl} console=ttyS0,115200` },
      join(dir, `${name}.log`), join(dir, `${name}.sock`), { net: { netns: lab.bridgeNs, tap: TAPS[i] ?? 'tap0', mac: macOf(i) } });
    guests.push(guest);
    return guest;
  };
  const requested = (proc: NsProcess, file: string): number => proc.events().filter((e) => e['get'] === file && e['status'] === 200).length;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'macula-netboot-'));
    out = join(dir, 'out');
    gpg = await createGpgHome();
    otherKey = await createGpgHome({ uid: 'Not the release key <other@example.invalid>' });
    console.log(await buildMaculaNetboot(out, gpg, `http://${SERVER}:8080`));

    // The bad-signature release: the same SHA256SUMS, signed by a key the initrd does not hold.
    const sums = await readFile(join(out, 'SHA256SUMS'));
    await writeFile(join(dir, 'other.asc'), await otherKey.sign(sums, { armor: true }));

    lab = new NetnsLab(`mcn${process.pid}-`);
    server = lab.addHost('s', [{ ifname: 'eth0', lan: 'nlan', cidr: `${SERVER}/24` }]);
    for (const tap of TAPS) {
      await run('ip', ['-n', lab.bridgeNs, 'tuntap', 'add', tap, 'mode', 'tap']);
      await run('ip', ['-n', lab.bridgeNs, 'link', 'set', tap, 'master', 'nlan', 'up']);
    }
    lab.spawn(server, ['dnsmasq', '--keep-in-foreground', '--conf-file=/dev/null', '--port=0', '--interface=eth0', '--bind-interfaces',
      '--dhcp-range=10.77.10.100,10.77.10.199,255.255.255.0,1h', '--dhcp-authoritative', `--dhcp-leasefile=${join(dir, 'dnsmasq.leases')}`,
      '--pid-file', '--user=root', '--log-dhcp', `--log-facility=${join(dir, 'dnsmasq.log')}`]);
    const host = (port: number, extra: string[]): NsProcess =>
      lab.spawnNode(server, 'test/helpers/release-http-host.ts', ['--dir', out, '--host', SERVER, '--port', String(port), ...extra]);
    servers.push(
      host(8080, []),
      host(8081, ['--flip', 'macula-os-0.1.0-amd64-rootfs.squashfs']),
      host(8082, ['--override', `SHA256SUMS.asc=${join(dir, 'other.asc')}`]),
    );
    await Promise.all(servers.map((s) => s.waitFor((l) => l.includes('"listening"'), 30_000)));
  }, 40 * 60_000);

  afterAll(async () => {
    for (const guest of guests) guest.kill();
    await lab?.destroy();
    await gpg?.cleanup();
    await otherKey?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses a tampered squashfs, a foreign signature and an unreachable release, and mounts none of them', async () => {
    const [good, flipped, foreign] = servers;
    if (!good || !flipped || !foreign) throw new Error('servers not started');
    // Three short boots at once: each ends in the initrd.
    const cases = [
      { name: 'tampered', guest: netboot('tampered', 0, url(8081)), line: /MACULAOS: netboot hash mismatch: macula-os-0\.1\.0-amd64-rootfs\.squashfs has SHA-256 [0-9a-f]{64}, the signed SHA256SUMS says [0-9a-f]{64}/ },
      { name: 'foreign signature', guest: netboot('foreign', 1, url(8082)), line: /MACULAOS: netboot bad signature: SHA256SUMS\.asc does not verify/ },
      { name: 'unreachable', guest: netboot('unreachable', 2, url(8089)), line: /MACULAOS: netboot download failed: http:\/\/10\.77\.10\.1:8089\/SHA256SUMS/ },
    ];
    const results = await Promise.all(cases.map(async ({ name, guest, line }) => {
      // Whichever comes first: the stop line, or the root being mounted (which fails the test at once).
      const stopped = await guest.waitFor(new RegExp(`${line.source}|${MOUNTED.source}`), 240_000);
      // panic's initramfs shell is the stop; anything mounted would show "root is" and systemd's banner first.
      const { text } = MOUNTED.test(stopped.text) ? stopped : await guest.waitFor(/\(initramfs\)/, 30_000);
      guest.kill();
      return { name, text, line, atMs: stopped.atMs };
    }));
    for (const { name, text, line, atMs } of results) {
      console.log(`netboot ${name}: stopped at ${secs(atMs)} s`);
      expect(text, name).toMatch(line);
      expect(text, name).not.toMatch(/MACULAOS: root is|Welcome to|systemd\[1\]/);
      expect(text, name).not.toMatch(/verified \(SHA-256/);
    }
    expect(requested(flipped, 'macula-os-0.1.0-amd64-rootfs.squashfs')).toBe(1);
    // The signature is checked before the root is fetched: a foreign one costs no download.
    expect(requested(foreign, 'SHA256SUMS.asc')).toBe(1);
    expect(requested(foreign, 'macula-os-0.1.0-amd64-rootfs.squashfs')).toBe(0);
    expect(requested(good, 'macula-os-0.1.0-amd64-rootfs.squashfs')).toBe(0);
  }, 6 * 60_000);

  it('boots a signed release to the login prompt, root downloaded and checked', async () => {
    const good = servers[0];
    if (!good) throw new Error('server not started');
    const guest = netboot('good', 0, url(8080));
    const dhcp = guest.waitFor(/MACULAOS: netboot: \S+ is 10\.77\.10\.1\d\d \(DHCP\)/, 240_000);
    const signed = guest.waitFor(/MACULAOS: netboot: SHA256SUMS signed by the release key/, 240_000);
    const verified = guest.waitFor(/MACULAOS: netboot: macula-os-0\.1\.0-amd64-rootfs\.squashfs verified \(SHA-256 [0-9a-f]{64}\)/, 240_000);
    const root = guest.waitFor(/MACULAOS: root is macula-os-0\.1\.0-amd64-rootfs\.squashfs from http:\/\/10\.77\.10\.1:8080\/ under overlay \/run\/maculaos\/ram/, 240_000);
    // A netboot failure line ("MACULAOS: netboot <what>", no colon) ends the wait at once.
    const login = await guest.waitFor(/maculaos login:|MACULAOS: netboot [a-z]/, 300_000);
    expect(login.text).not.toMatch(/MACULAOS: netboot [a-z]/);
    const [d, s, v, r] = await Promise.all([dhcp, signed, verified, root]);
    console.log(`netboot under TCG: DHCP at ${secs(d.atMs)} s, signature checked at ${secs(s.atMs)} s, squashfs downloaded and hashed at ${secs(v.atMs)} s, root mounted at ${secs(r.atMs)} s, login prompt at ${secs(login.atMs)} s`);
    // The hash printed is the one the signed sums list.
    const sums = await readFile(join(out, 'SHA256SUMS'), 'utf8');
    const listed = /^([0-9a-f]{64}) {2}macula-os-0\.1\.0-amd64-rootfs\.squashfs$/m.exec(sums)?.[1];
    expect(listed).toBeDefined();
    expect(v.text).toContain(`verified (SHA-256 ${listed ?? ''})`);
    expect(requested(good, 'macula-os-0.1.0-amd64-rootfs.squashfs')).toBe(1);
    expect(login.text).toMatch(/MACULAOS: no seed found, booting with defaults/);
    guest.kill();
  }, 6 * 60_000);

  it('boots the airgapped build\'s qcow2 as a VM disk to the live system', async () => {
    const airgapped = join(dir, 'airgapped');
    console.log(await buildMaculaImage(airgapped, gpg));
    const { stdout } = await run('qemu-img', ['info', '--output=json', qcow2Path(airgapped)]);
    const info = JSON.parse(stdout) as { format: string; 'virtual-size': number };
    expect(info).toMatchObject({ format: 'qcow2', 'virtual-size': 8 * 1024 ** 3 });
    const sums = await readFile(join(airgapped, 'SHA256SUMS'), 'utf8');
    expect(sums).toMatch(/^[0-9a-f]{64} {2}macula-os-0\.1\.0-amd64\.qcow2$/m);

    // A copy: the guest may write to its disk, and the release file must stay as signed.
    const disk = join(dir, 'vm.qcow2');
    await run('cp', ['--sparse=always', qcow2Path(airgapped), disk]);
    const guest = bootDisk(disk, join(dir, 'qcow2.log'), join(dir, 'qcow2.sock'), { format: 'qcow2' });
    guests.push(guest);
    const root = await guest.waitFor(/MACULAOS: root is maculaos\/rootfs\.squashfs from \/dev\/vda under overlay/, 300_000);
    const login = await guest.waitFor(/maculaos login:/, 300_000);
    console.log(`qcow2 under TCG: root mounted at ${secs(root.atMs)} s, login prompt at ${secs(login.atMs)} s`);
    // The GPT's backup header sits at the end of the 8 GiB disk: the kernel takes the table without complaint.
    expect(login.text).not.toMatch(/GPT:Alternate GPT header not at the end/);
    expect(login.text).toMatch(/vda: vda1 vda2 vda3 vda4/);
    guest.kill();
  }, 8 * 60_000);
});

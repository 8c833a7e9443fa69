import { execFile, spawnSync } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The netboot initrd's downloads (image-build/netboot/initramfs-tools/scripts/maculaos-net-fetch), run by busybox sh
 * with busybox's wget and timeout, as in the initrd, against a server on 127.0.0.1 that accepts every connection and
 * never answers: the attack is a stalled (or hostile) release server holding the node's boot for ever.
 */

const FETCH = join(import.meta.dirname, '../image-build/netboot/initramfs-tools/scripts/maculaos-net-fetch');
const busybox = spawnSync('sh', ['-c', 'command -v busybox']).stdout.toString().trim();
const reason = busybox === '' ? 'busybox is not installed (bash .ci/run installs it)' : undefined;
if (reason) console.log(`netboot-fetch.test.ts skipped: ${reason}`);

/** Runs `macula_net_fetch NAME out SECONDS` with the kernel command line `cmdline`; never longer than `limitMs`. */
function fetch(url: string, seconds: number, cmdline: string, limitMs: number): Promise<{ code: number | null; stdout: string; ms: number }> {
  const script = [
    'macula_say() { echo "MACULAOS: $*"; }',
    // scripts/maculaos reads /proc/cmdline; the test gives its own.
    `macula_param() { for x in ${cmdline}; do case "$x" in "$1="*) echo "\${x#*=}"; return 0 ;; esac; done; return 1; }`,
    `. ${FETCH}`,
    `MACULA_NET_URL=${url}`,
    `cd "$(mktemp -d)" && macula_net_fetch SHA256SUMS SHA256SUMS ${seconds}`,
  ].join('\n');
  const started = Date.now();
  return new Promise((resolve) => {
    const child = execFile(busybox, ['sh', '-c', script], { timeout: limitMs, killSignal: 'SIGKILL' }, (err, stdout) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, ms: Date.now() - started });
    });
    child.stdin?.end();
  });
}

describe.skipIf(reason !== undefined)('netboot downloads', () => {
  let server: Server;
  let port: number;
  const sockets: Socket[] = [];
  let connections = 0;

  beforeAll(async () => {
    server = createServer((socket) => {
      // Accept, read the request, answer nothing.
      connections += 1;
      sockets.push(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    port = typeof address === 'object' && address !== null ? address.port : 0;
  });

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('gives up on a server that accepts and stalls: each try timed out, tries bounded, a console line for each', async () => {
    const before = connections;
    // 2 tries of 2 s with 2 s between them: about 6 s; a download without a timeout would still be waiting at 30 s.
    const result = await fetch(`http://127.0.0.1:${port}/`, 2, 'boot=maculaos-net macula.net_tries=2', 30_000);
    expect(result.code).toBe(1);
    expect(result.ms).toBeLessThan(15_000);
    expect(connections - before).toBe(2);
    expect(result.stdout).toBe(
      'MACULAOS: netboot: SHA256SUMS: try 1 of 2 failed: no complete answer in 2 s\nMACULAOS: netboot: SHA256SUMS: try 2 of 2 failed: no complete answer in 2 s\n',
    );
  }, 40_000);

  it('says why when nothing listens, and tries three times unless told otherwise', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const address = closed.address();
    const freePort = typeof address === 'object' && address !== null ? address.port : 0;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const result = await fetch(`http://127.0.0.1:${freePort}/`, 5, 'boot=maculaos-net', 30_000);
    expect(result.code).toBe(1);
    expect(result.stdout.match(/try \d of 3 failed: wget failed \(exit status \d+\)/g)).toHaveLength(3);
  }, 40_000);
});

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { macula, maculaArgv } from './helpers/cli';

/**
 * The CLI keeps the computer awake while it downloads or flashes, and lets go however it ends. logind does not run
 * here, so `systemd-inhibit` is a stand-in on the PATH that records what it was asked and when its stdin closed —
 * which is how the real one is released.
 */
describe('macula keeps the computer awake during long jobs (systemd-inhibit stand-in)', () => {
  let dir: string;
  let log: string;
  let env: Record<string, string>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'macula-inhibit-'));
    log = join(dir, 'inhibit.log');
    // Records its arguments and holds until its stdin closes or it is killed (either releases the real one), then
    // records the release.
    const script = `#!/bin/sh\necho "taken $*" >> ${log}\ntrap 'echo released >> ${log}; exit 0' TERM\ncat >/dev/null &\nwait $!\necho released >> ${log}\n`;
    writeFileSync(join(dir, 'systemd-inhibit'), script, { mode: 0o755 });
    env = { PATH: `${dir}:${process.env['PATH'] ?? ''}` };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const waitReleased = async (): Promise<string> => {
    for (let i = 0; i < 100 && !(existsSync(log) && readFileSync(log, 'utf8').includes('released')); i++) await new Promise((r) => setTimeout(r, 50));
    return existsSync(log) ? readFileSync(log, 'utf8') : '';
  };

  it('a flash takes the inhibitor and releases it when done', async () => {
    rmSync(log, { force: true });
    const image = join(dir, 'image.img');
    writeFileSync(image, randomBytes(1 << 20));
    const target = join(dir, 'out.img');
    writeFileSync(target, Buffer.alloc(1 << 20));
    const run = await macula(['flash', image, '--to', target, '--yes', '--json'], env);
    expect(run.code, run.stderr).toBe(0);
    expect(await waitReleased()).toMatch(/^taken --what=sleep:idle --who=Macula Companion --why=Writing drives --mode=block cat\nreleased\n$/);
  });

  it('a failed download releases it too, and a command that is quick takes none', async () => {
    rmSync(log, { force: true });
    const run = await macula(['download', 'http://127.0.0.1:9/nothing.img', '--sha256', '0'.repeat(64), '--allow-http'], env);
    expect(run.code).not.toBe(0);
    expect(await waitReleased()).toMatch(/--why=Downloading a MaculaOS image[^\n]*\nreleased/);
    rmSync(log, { force: true });
    expect((await macula(['--help'], env)).code).toBe(0);
    expect(existsSync(log)).toBe(false);
  });

  it('Ctrl-C in the middle of a download releases it', async () => {
    rmSync(log, { force: true });
    // A server that sends headers and a first byte, then stalls.
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-length': String(1 << 30) });
      res.write('x');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    try {
      const [program = '', ...args] = maculaArgv(['download', `http://127.0.0.1:${port}/big.img`, '--sha256', '0'.repeat(64), '--allow-http', '--cache', join(dir, 'cache')]);
      const child = spawn(program, args, { env: { ...process.env, ...env }, stdio: 'ignore' });
      for (let i = 0; i < 200 && !(existsSync(log) && readFileSync(log, 'utf8').includes('taken')); i++) await new Promise((r) => setTimeout(r, 50));
      child.kill('SIGINT');
      await new Promise((r) => child.on('close', r));
      expect(await waitReleased()).toMatch(/taken .*\nreleased/);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

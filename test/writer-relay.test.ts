import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RelayEndpoints, type WriterRelay, type WriterRuntime, freshRelay, relayShellLine } from '../electron/engine/app/writer-launch';
import { runFlashWrite } from '../electron/engine/app/flash-write';
import { openImage } from '../electron/engine/source/open-image';
import { preparePipeRelay } from '../electron/engine/writer-process/pipe-relay';
import { runWriter } from '../electron/engine/writer-process/writer-client';
import { LoopLab } from './helpers/loop-device';

/**
 * The macOS FIFO relay, run for real on Linux: the "elevation tool" is /bin/sh running exactly the line osascript's
 * `do shell script` would run as root (relayShellLine). The Windows named-pipe server is exercised on Unix sockets,
 * which is what net.createServer(path) gives here. Not run: osascript itself, UAC, cmd.exe redirecting to a named pipe.
 */

const MiB = 1 << 20;
const repo = resolve(import.meta.dirname, '..');
const runtime: WriterRuntime = { node: [process.execPath, '--import', 'tsx'], script: join(repo, 'electron/cli/macula.ts') };
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** A macOS-shaped relay (two FIFOs in a fresh directory) under `tmp`, and its stand-in elevation command. */
function macRelay(tmp: string, shellLine: (ends: RelayEndpoints) => string): { relay: WriterRelay; command: [string, ...string[]] } {
  const ends = freshRelay('darwin', tmp);
  if (!ends) throw new Error('no relay for darwin');
  return { relay: { via: 'osascript', ...ends }, command: ['/bin/sh', '-c', shellLine(ends)] };
}

/** Fails if the libuv threadpool cannot run a file read within 5 s (e.g. all its threads stuck in FIFO opens). */
async function threadpoolAnswers(): Promise<void> {
  const read = readFile(import.meta.filename).then(() => 'read' as const);
  expect(await Promise.race([read, delay(5000).then(() => 'stuck' as const)])).toBe('read');
}

describe('the writer relay, without devices', () => {
  let tmp: string;
  beforeAll(async () => void (tmp = await mkdtemp(join(tmpdir(), 'macula-relay-'))));
  afterAll(() => rm(tmp, { recursive: true, force: true }));

  it('a dismissed authorization dialog (the tool exits 1, FIFOs never opened) is a clear error, promptly, relay removed', async () => {
    // Six in a row: a FIFO open that is never released would hold a threadpool thread each time (four by default).
    for (let i = 0; i < 6; i++) {
      const { relay, command } = macRelay(tmp, () => 'echo "execution error: User canceled. (-128)" >&2; exit 1');
      const started = Date.now();
      const run = runWriter({ command, relay, image: '/nonexistent.img', targets: ['/dev/null'], verify: true }).then(() => 'resolved', (e: unknown) => e);
      expect(await Promise.race([run, delay(5000).then(() => 'stuck')])).toMatchObject({ code: 'ERR_TARGET_ACCESS_DENIED', message: expect.stringMatching(/authorization was cancelled or refused.*exited 1.*User canceled/) });
      expect(Date.now() - started).toBeLessThan(3000);
      expect(existsSync(dirname(relay.input))).toBe(false);
    }
    await threadpoolAnswers();
  });

  it('gives up after the open timeout, kills the elevation tool and removes the relay; an abort does the same', async () => {
    const pidFile = join(tmp, 'tool.pid');
    const { relay, command } = macRelay(tmp, () => `echo $$ >${pidFile}; exec sleep 30`);
    await expect(runWriter({ command, relay, openTimeoutMs: 300, image: '/x.img', targets: ['/dev/null'], verify: true })).rejects.toMatchObject({
      code: 'ERR_WRITE_FAILED',
      message: expect.stringMatching(/did not start within/),
    });
    expect(existsSync(dirname(relay.input))).toBe(false);
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    await delay(100);
    expect(() => process.kill(pid, 0)).toThrow();

    const aborted = macRelay(tmp, () => 'exec sleep 30');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    await expect(runWriter({ ...aborted, signal: controller.signal, image: '/x.img', targets: ['/dev/null'], verify: true })).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    expect(existsSync(dirname(aborted.relay.input))).toBe(false);
    await threadpoolAnswers();
  });

  it('the FIFOs exist only for this flash, in a directory only the user can enter', async () => {
    const seen = join(tmp, 'seen');
    const { relay, command } = macRelay(tmp, (ends) => `stat -c '%a %F' ${dirname(ends.input)} ${ends.input} ${ends.output} >${seen}; exit 1`);
    await expect(runWriter({ command, relay, image: '/x.img', targets: ['/dev/null'], verify: true })).rejects.toMatchObject({ code: 'ERR_TARGET_ACCESS_DENIED' });
    expect((await readFile(seen, 'utf8')).trim().split('\n')).toEqual(['700 directory', '600 fifo', '600 fifo']);
    expect(relay.input).toMatch(/\/macula-writer-[0-9a-f]{32}\/in$/);
    expect(freshRelay('darwin', tmp)?.input).not.toBe(relay.input);
  });

  it('an elevation tool that cannot start is an error, relay removed', async () => {
    const { relay } = macRelay(tmp, () => '');
    await expect(runWriter({ command: [join(tmp, 'no-such-tool')], relay, image: '/x.img', targets: ['/dev/null'], verify: true })).rejects.toMatchObject({
      code: 'ERR_WRITE_FAILED',
      message: expect.stringMatching(/cannot start .*no-such-tool.*ENOENT/),
    });
    expect(existsSync(dirname(relay.input))).toBe(false);
    await threadpoolAnswers();
  });

  it('refuses a relay directory that already exists (someone pre-created the name)', async () => {
    const { relay, command } = macRelay(tmp, () => 'exit 0');
    execFileSync('mkdir', [dirname(relay.input)]);
    await expect(runWriter({ command, relay, image: '/x.img', targets: ['/dev/null'], verify: true })).rejects.toMatchObject({ code: 'ERR_IO', message: expect.stringMatching(/EEXIST/) });
  });

  it('named-pipe server (a Unix socket here): one connection per end, then no one else can connect', async () => {
    const ends = { input: join(tmp, 'in.sock'), output: join(tmp, 'out.sock') };
    const pending = await preparePipeRelay(ends);
    const writerIn = connect(ends.input);
    const writerOut = connect(ends.output);
    const { input, output } = await pending.connected;
    // The listening names are gone: a second client cannot connect to either.
    for (const path of [ends.input, ends.output]) {
      const late = connect(path);
      await expect(new Promise((ok, fail) => late.once('connect', ok).once('error', fail))).rejects.toMatchObject({ code: expect.stringMatching(/ENOENT|ECONNREFUSED/) });
    }
    // Bytes flow both ways through the accepted pair.
    const got = new Promise<string>((ok) => writerIn.once('data', (b: Buffer) => ok(b.toString())));
    input.write('request\n');
    expect(await got).toBe('request\n');
    const back = new Promise<string>((ok) => output.once('data', (b: Buffer) => ok(b.toString())));
    writerOut.write('event\n');
    expect(await back).toBe('event\n');
    for (const s of [writerIn, writerOut, input, output]) s.destroy();
  });

  it('named-pipe relay: the UAC prompt declined (the tool exits 1 without connecting) is the same clear error', async () => {
    const relay: WriterRelay = { via: 'uac', input: join(tmp, 'uac-in.sock'), output: join(tmp, 'uac-out.sock') };
    const command: [string, ...string[]] = ['/bin/sh', '-c', 'echo "The operation was canceled by the user." >&2; exit 1'];
    await expect(runWriter({ command, relay, image: '/x.img', targets: ['/dev/null'], verify: true })).rejects.toMatchObject({
      code: 'ERR_TARGET_ACCESS_DENIED',
      message: expect.stringMatching(/authorization was cancelled or refused.*canceled by the user/),
    });
    expect([existsSync(relay.input), existsSync(relay.output)]).toEqual([false, false]);
  });
});

describe('the Windows relay attacked: another account opens the named pipes first (Unix sockets here)', () => {
  let tmp: string;
  beforeAll(async () => void (tmp = await mkdtemp(join(tmpdir(), 'macula-pipes-'))));
  afterAll(() => rm(tmp, { recursive: true, force: true }));

  it('reads nothing of the request (seeds included) and cannot forge the writer\'s result', async () => {
    const relay: WriterRelay = { via: 'uac', input: join(tmp, 'in.sock'), output: join(tmp, 'out.sock'), key: randomBytes(32).toString('hex') };
    const stolen = join(tmp, 'stolen');
    const forged = JSON.stringify({ kind: 'result', size: 1, targets: [{ path: '/dev/sdz', ok: true, verified: true, notes: [] }] });
    // The squatter: connects to both pipes before the real writer, keeps what the app sends, answers with a result.
    const squatter =
      `const net=require('node:net'),fs=require('node:fs');let got='';` +
      `const a=net.connect(${JSON.stringify(relay.input)}),b=net.connect(${JSON.stringify(relay.output)});` +
      `a.on('data',(d)=>{got+=d;fs.writeFileSync(${JSON.stringify(stolen)},got);b.end(${JSON.stringify(`${forged}
`)});});` +
      `b.on('close',()=>setTimeout(()=>process.exit(0),100));`;
    const seed = '#cloud-config\nmaculaos:\n  portal:\n    enrollment_token: tok-SECRET-1234567890\n';
    const run = runWriter({ command: [process.execPath, '-e', squatter], relay, image: '/x.img', targets: ['/dev/sdz'], verify: true, seeds: [seed] });
    await expect(run).rejects.toMatchObject({ message: expect.stringMatching(/failed authentication|not sealed/) });
    const got = await readFile(stolen, 'utf8');
    expect(got.length).toBeGreaterThan(0);
    expect(got).not.toMatch(/SECRET|enrollment|x\.img|sdz|"kind"/);
  });
});

describe.skipIf(process.getuid?.() !== 0)('the writer through the relay, on real loop devices (root)', () => {
  let lab: LoopLab;
  let image: string;
  let imageBytes: Buffer;

  beforeAll(async () => {
    lab = new LoopLab();
    image = join(lab.dir, 'small.img');
    imageBytes = randomBytes(24 * MiB);
    await writeFile(image, imageBytes);
  });
  afterEach(() => lab.cleanup());
  afterAll(() => lab.dispose());

  const deviceHash = (device: string, length: number): string =>
    sha256(execFileSync('dd', [`if=${device}`, 'bs=1M', `count=${length / MiB}`, 'iflag=direct', 'status=none'], { maxBuffer: 1 << 30 }));

  it('flashes through the FIFOs exactly as the osascript line runs it: progress, verified result, bytes equal', async () => {
    const target = lab.create({ sizeMiB: 32 });
    const { relay, command } = macRelay(lab.dir, (ends) => relayShellLine(runtime, ends));
    const phases = new Set<string>();
    const result = await runWriter({ command, relay, image, targets: [target.device], verify: true, onProgress: (p) => phases.add(p.phase) });
    expect(result).toMatchObject({ kind: 'result', sha256: sha256(imageBytes), targets: [{ path: target.device, ok: true, verified: true }] });
    expect([...phases]).toEqual(expect.arrayContaining(['writing', 'verifying']));
    expect(deviceHash(target.device, imageBytes.length)).toBe(sha256(imageBytes));
    expect(existsSync(dirname(relay.input))).toBe(false);
  });

  it("the app's hand-over: runFlashWrite with an elevated-relay launch writes through the relay", async () => {
    const target = lab.create({ sizeMiB: 32 });
    const { relay, command } = macRelay(lab.dir, (ends) => relayShellLine(runtime, ends));
    const phases = new Set<string>();
    const result = await runFlashWrite({
      launch: { kind: 'elevated-relay', command, relay },
      image,
      source: await openImage(image),
      targets: [target.device],
      verify: true,
      onProgress: (p) => phases.add(p.phase),
    });
    expect(result).toMatchObject({ sha256: sha256(imageBytes), targets: [{ path: target.device, ok: true, verified: true }] });
    expect(phases.has('writing')).toBe(true);
    expect(existsSync(dirname(relay.input))).toBe(false);
  });

  it('cancelling mid-write sends cancel over the relay and the writer reports it', async () => {
    const target = lab.create({ sizeMiB: 32 });
    const { relay, command } = macRelay(lab.dir, (ends) => relayShellLine(runtime, ends));
    const controller = new AbortController();
    const run = runWriter({
      command,
      relay,
      image,
      targets: [target.device],
      verify: true,
      signal: controller.signal,
      onProgress: (p) => p.phase === 'writing' && controller.abort(),
    });
    const outcome = await run.then(
      (r) => (r.targets[0]?.ok === false ? r.targets[0].error : r.targets[0]),
      (e: unknown) => e,
    );
    // Reported by the writer either way, depending on where the cancel lands: as its `error` event (reading the image
    // was cancelled; the code is kept by the client) or as the target's failure in the result.
    expect(outcome).toMatchObject({ code: 'ERR_ABORTED', message: expect.stringMatching(/cancelled/) });
    expect(existsSync(dirname(relay.input))).toBe(false);
  });

  it('the named-pipe relay carries the same protocol, sealed with the key on the writer command line (a stand-in connects the writer to both sockets)', async () => {
    const target = lab.create({ sizeMiB: 32 });
    const key = randomBytes(32).toString('hex');
    const relay: WriterRelay = { via: 'uac', input: join(lab.dir, 'w-in.sock'), output: join(lab.dir, 'w-out.sock'), key };
    // What cmd.exe's `<"pipe" >"pipe"` does on Windows: the writer's stdin and stdout are the two connections.
    const standIn =
      `const net=require('node:net'),{spawn}=require('node:child_process');` +
      `const a=net.connect(${JSON.stringify(relay.input)}),b=net.connect(${JSON.stringify(relay.output)});` +
      `let n=0;const go=()=>{if(++n<2)return;const c=spawn(process.execPath,${JSON.stringify([...runtime.node.slice(1), runtime.script, 'write', '--ipc', '--relay-key', key])},{stdio:[a,b,'inherit']});` +
      `c.on('close',(code)=>{a.destroy();b.destroy();process.exit(code??1)});};a.on('connect',go);b.on('connect',go);`;
    const result = await runWriter({ command: [process.execPath, '-e', standIn], relay, image, targets: [target.device], verify: true });
    expect(result).toMatchObject({ kind: 'result', sha256: sha256(imageBytes), targets: [{ path: target.device, ok: true, verified: true }] });
    expect(deviceHash(target.device, imageBytes.length)).toBe(sha256(imageBytes));
  });
});


import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type ElevationHost, type WriterRuntime, elevationPlan, freshRelay, shQuote, writerLaunch } from '../electron/engine/app/writer-launch';
import { appWriterRuntime } from '../electron/main/app-writer';

const user = (platform: NodeJS.Platform, extra: Partial<ElevationHost> = {}): ElevationHost => ({ platform, uid: 1000, hasPkexec: true, ...extra });
const electron: WriterRuntime = { node: ['/opt/Macula Companion/macula-companion'], script: '/opt/Macula Companion/resources/app.asar/dist/cli/macula.js', env: { ELECTRON_RUN_AS_NODE: '1' } };

describe('writer elevation, per platform (platform injected)', () => {
  it('runs in-process as root and elevates nothing', () => {
    expect(elevationPlan(user('linux', { uid: 0 }), electron)).toEqual({ kind: 'none' });
    expect(writerLaunch(electron, user('linux', { uid: 0 }))).toEqual({ kind: 'in-process' });
  });

  it('Linux: pkexec with the writer variables through env(1), sudo without polkit', () => {
    expect(elevationPlan(user('linux'), electron)).toEqual({
      kind: 'stdio',
      via: 'pkexec',
      command: ['/usr/bin/pkexec', '/usr/bin/env', 'ELECTRON_RUN_AS_NODE=1', ...electron.node, electron.script, 'write', '--ipc'],
    });
    expect(writerLaunch({ node: ['/usr/bin/node'], script: '/srv/macula.js' }, user('linux', { hasPkexec: false }))).toEqual({
      kind: 'elevated',
      command: ['sudo', '/usr/bin/node', '/srv/macula.js', 'write', '--ipc'],
    });
  });

  it('Linux AppImage: root runs the AppImage file itself and finds the script under its own mount', async () => {
    const mount = '/tmp/.mount_MaculaAbC123';
    const host = user('linux', { appImage: { file: '/home/ada/Apps/Macula-Companion.AppImage', mount } });
    const runtime = { ...electron, node: [`${mount}/macula-companion`] as [string], script: `${mount}/resources/app.asar/dist/cli/macula.js` };
    const plan = elevationPlan(host, runtime);
    if (plan.kind !== 'stdio') throw new Error(plan.kind);
    const [pkexec, env, runAsNode, exe, evalFlag, bootstrap, ...args] = plan.command;
    expect([pkexec, env, runAsNode, exe, evalFlag]).toEqual(['/usr/bin/pkexec', '/usr/bin/env', 'ELECTRON_RUN_AS_NODE=1', '/home/ada/Apps/Macula-Companion.AppImage', '--eval']);
    expect(args).toEqual(['write', '--ipc']);
    // Nothing of the user's FUSE mount reaches root's command line.
    expect(plan.command.join(' ')).not.toContain(mount);
    expect(bootstrap).toContain('"resources/app.asar/dist/cli/macula.js"');
    // The bootstrap really starts the script under root's $APPDIR with `write --ipc` as its arguments (run by Node,
    // which Electron-as-Node is): a stand-in ESM macula.js prints what it was given.
    const appDir = await mkdtemp(join(tmpdir(), 'macula-appdir-'));
    try {
      const cli = join(appDir, 'resources', 'app.asar', 'dist', 'cli');
      await mkdir(cli, { recursive: true });
      await writeFile(join(appDir, 'resources', 'app.asar', 'package.json'), '{"type":"module"}');
      await writeFile(join(cli, 'macula.js'), 'console.log(JSON.stringify({ url: import.meta.url, args: process.argv.slice(2) }));');
      const out = execFileSync(process.execPath, [evalFlag ?? '', bootstrap ?? '', ...args], { env: { APPDIR: appDir }, encoding: 'utf8' });
      expect(JSON.parse(out)).toEqual({ url: pathToFileURL(join(cli, 'macula.js')).href, args: ['write', '--ipc'] });
    } finally {
      await rm(appDir, { recursive: true, force: true });
    }
  });

  it('macOS: osascript with administrator privileges, stdio relayed through FIFOs, every word shell-quoted', () => {
    const mac: WriterRuntime = { node: ['/Applications/Macula Companion.app/Contents/MacOS/Macula Companion'], script: "/Applications/Macula Companion.app/Contents/Resources/app.asar/dist/cli/macula.js", env: { ELECTRON_RUN_AS_NODE: '1' } };
    const plan = elevationPlan(user('darwin', { hasPkexec: false }), mac, { input: '/tmp/m/in', output: '/tmp/m/out' });
    expect(plan).toMatchObject({ kind: 'relay', via: 'osascript', relay: { input: '/tmp/m/in', output: '/tmp/m/out' } });
    if (plan.kind !== 'relay') throw new Error(plan.kind);
    expect(plan.command.slice(0, 2)).toEqual(['/usr/bin/osascript', '-e']);
    expect(plan.command[2]).toBe(
      // SUDO_UID names the user, as sudo would: the root writer opens the image with the user's rights.
      `do shell script "ELECTRON_RUN_AS_NODE=1 SUDO_UID=1000 '/Applications/Macula Companion.app/Contents/MacOS/Macula Companion' '/Applications/Macula Companion.app/Contents/Resources/app.asar/dist/cli/macula.js' write --ipc </tmp/m/in >/tmp/m/out" with administrator privileges`,
    );
    // The launch: fresh FIFO names per flash, which the osascript line redirects to.
    const launch = writerLaunch(mac, user('darwin', { hasPkexec: false }));
    if (launch.kind !== 'elevated-relay') throw new Error(launch.kind);
    expect(launch.relay).toMatchObject({ via: 'osascript', input: expect.stringMatching(/\/macula-writer-[0-9a-f]{32}\/in$/), output: expect.stringMatching(/\/macula-writer-[0-9a-f]{32}\/out$/) });
    expect(launch.relay.output.replace(/out$/, 'in')).toBe(launch.relay.input);
    expect(launch.command[2]).toContain(` <${launch.relay.input} >${launch.relay.output}"`);
    const again = writerLaunch(mac, user('darwin', { hasPkexec: false }));
    expect(again.kind === 'elevated-relay' && again.relay.input).not.toBe(launch.relay.input);
  });

  it('quotes hostile paths for the shell and for AppleScript', () => {
    expect(shQuote(`it's "x" $(rm -rf /)`)).toBe(`'it'\\''s "x" $(rm -rf /)'`);
    const plan = elevationPlan(user('darwin'), { node: ['/a"b\\c'], script: '/s.js' }, { input: '/i', output: '/o' });
    if (plan.kind !== 'relay') throw new Error(plan.kind);
    expect(plan.command[2]).toContain(`'/a\\"b\\\\c'`);
  });

  it('Windows: UAC through Start-Process -Verb RunAs, cmd.exe relaying stdio to named pipes, env set inside', () => {
    const win: WriterRuntime = { node: ['C:\\Program Files\\Macula Companion\\Macula Companion.exe'], script: "C:\\Program Files\\Macula Companion\\resources\\app.asar\\dist\\cli\\macula.js", env: { ELECTRON_RUN_AS_NODE: '1' } };
    const relay = { input: '\\\\.\\pipe\\macula-1-in', output: '\\\\.\\pipe\\macula-1-out' };
    const plan = elevationPlan({ platform: 'win32', uid: undefined, hasPkexec: false }, win, relay);
    expect(plan).toMatchObject({ kind: 'relay', via: 'uac', relay });
    if (plan.kind !== 'relay') throw new Error(plan.kind);
    expect(plan.command.slice(0, 4)).toEqual(['powershell.exe', '-NoProfile', '-NonInteractive', '-Command']);
    expect(plan.command[4]).toBe(
      `Start-Process -FilePath 'cmd.exe' -ArgumentList '/d /s /c "set "ELECTRON_RUN_AS_NODE=1"&& "C:\\Program Files\\Macula Companion\\Macula Companion.exe" "C:\\Program Files\\Macula Companion\\resources\\app.asar\\dist\\cli\\macula.js" write --ipc <"\\\\.\\pipe\\macula-1-in" >"\\\\.\\pipe\\macula-1-out""' -Verb RunAs -WindowStyle Hidden -Wait`,
    );
    const quoted = elevationPlan({ platform: 'win32', uid: undefined, hasPkexec: false }, { node: ["C:\\it's\\node.exe"], script: 'C:\\m.js' });
    expect(quoted.kind === 'relay' ? quoted.command[4] : '').toContain("it''s");
    // The launch: two fresh named pipes per flash (the app serves each for one connection), named in cmd's redirections.
    const launch = writerLaunch(win, { platform: 'win32', uid: undefined, hasPkexec: false });
    if (launch.kind !== 'elevated-relay') throw new Error(launch.kind);
    const id = /^\\\\\.\\pipe\\macula-writer-([0-9a-f]{32})-in$/.exec(launch.relay.input)?.[1];
    expect(id).toBeDefined();
    // …and a fresh key the protocol is sealed with over them, handed to the writer on its elevated command line.
    expect(launch.relay).toEqual({ via: 'uac', input: `\\\\.\\pipe\\macula-writer-${id}-in`, output: `\\\\.\\pipe\\macula-writer-${id}-out`, key: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(launch.command[4]).toContain(`write --ipc --relay-key ${launch.relay.key} <"${launch.relay.input}" >"${launch.relay.output}"`);
    expect(freshRelay('win32')?.input).not.toBe(launch.relay.input);
    // Linux hands stdio through: no relay names at all.
    expect(freshRelay('linux')).toBeUndefined();
  });

  it('the packaged app runs the writer as Electron-as-Node over the CLI bundle beside main.cjs', () => {
    expect(appWriterRuntime('/opt/M/resources/app.asar/dist/electron', '/opt/M/macula-companion')).toEqual({
      node: ['/opt/M/macula-companion', '--max-semi-space-size=1'],
      script: '/opt/M/resources/app.asar/dist/cli/macula.js',
      env: { ELECTRON_RUN_AS_NODE: '1' },
    });
  });
});

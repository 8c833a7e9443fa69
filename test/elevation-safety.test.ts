import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFlashWrite } from '../electron/engine/app/flash-write';
import { assertSafeToElevate, filesRunBy, modifiableBy } from '../electron/engine/app/elevation-safety';
import { rawSource } from '../electron/engine/source/raw-source';

/**
 * What the app refuses to run as root: anything a non-root user could swap before the next flash (issue 13). Built
 * as an attacker finds it — a checkout owned by the desktop user, a group-writable script, a directory anyone may
 * write — and as a package leaves it (root-owned all the way up, /tmp's sticky bit included).
 */
const root = process.getuid?.() === 0;
const NOBODY = 65534;

describe.skipIf(!root)('elevation safety (root: files are chowned to another user)', () => {
  let dir: string;
  beforeAll(() => {
    // Under /tmp (root-owned, sticky): a root-owned 0755 directory of our own.
    dir = mkdtempSync(join(tmpdir(), 'macula-elevate-'));
    chmodSync(dir, 0o755);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function file(name: string, mode = 0o755, uid = 0): string {
    const path = join(dir, name);
    writeFileSync(path, '#!/bin/sh\n', { mode });
    chmodSync(path, mode);
    chownSync(path, uid, 0);
    return path;
  }

  it('accepts a root-owned program in root-owned directories, a sticky /tmp above them included', async () => {
    expect(await modifiableBy(file('ok'))).toBeUndefined();
    expect(await modifiableBy(process.execPath)).toBeUndefined();
  });

  it('refuses a program owned by the user, or writable by its group or everyone', async () => {
    expect(await modifiableBy(file('mine', 0o755, NOBODY))).toMatch(/owned by uid 65534/);
    expect(await modifiableBy(file('group', 0o775))).toMatch(/writable by its group or by everyone \(mode 775\)/);
    expect(await modifiableBy(file('anyone', 0o757))).toMatch(/mode 757/);
  });

  it('refuses a root-owned program in a directory the user owns or anyone may write (it can be replaced)', async () => {
    const userDir = join(dir, 'checkout');
    mkdirSync(userDir, { mode: 0o755 });
    chownSync(userDir, NOBODY, NOBODY);
    const inUserDir = join(userDir, 'macula.js');
    writeFileSync(inUserDir, '');
    expect(await modifiableBy(inUserDir)).toMatch(/checkout is owned by uid 65534/);
    const openDir = join(dir, 'open');
    mkdirSync(openDir);
    chmodSync(openDir, 0o777);
    writeFileSync(join(openDir, 'w'), '');
    expect(await modifiableBy(join(openDir, 'w'))).toMatch(/open is writable/);
    // The same directory with the sticky bit: only the file's (root) owner may replace it.
    chmodSync(openDir, 0o1777);
    expect(await modifiableBy(join(openDir, 'w'))).toBeUndefined();
  });

  it('checks every file an elevated command names (paths and file: URLs), and lets a trusted checkout through on request', async () => {
    const script = file('script.js', 0o644, NOBODY);
    const command = ['/usr/bin/pkexec', process.execPath, '--import', pathToFileURL(file('loader.mjs', 0o644)).href, script, 'write', '--ipc'];
    expect(await filesRunBy(command)).toEqual([...(existsSync('/usr/bin/pkexec') ? ['/usr/bin/pkexec'] : []), process.execPath, join(dir, 'loader.mjs'), script]);
    await expect(assertSafeToElevate(command, {})).rejects.toMatchObject({ code: 'ERR_WRITER_UNSAFE', message: expect.stringMatching(/script\.js is owned by uid 65534.*MACULA_UNSAFE_WRITER=1/) });
    await expect(assertSafeToElevate(command, { MACULA_UNSAFE_WRITER: '1' })).resolves.toBeUndefined();
  });

  it('the app never starts an elevation tool over a user-modifiable writer: refused before anything runs', async () => {
    const ran = join(dir, 'pkexec-ran');
    // A stand-in elevation tool that leaves a mark if it is ever started.
    const pkexec = file('pkexec', 0o755);
    writeFileSync(pkexec, `#!/bin/sh\ntouch ${ran}\n`);
    const script = file('user-macula.js', 0o644, NOBODY);
    const image = file('image.img', 0o644);
    const flash = runFlashWrite({
      launch: { kind: 'elevated', command: [pkexec, process.execPath, script, 'write', '--ipc'] },
      image,
      source: rawSource(image, 10),
      targets: ['/dev/null'],
      verify: true,
      onProgress: () => undefined,
    });
    await expect(flash).rejects.toMatchObject({ code: 'ERR_WRITER_UNSAFE' });
    expect(existsSync(ran)).toBe(false);
  });
});

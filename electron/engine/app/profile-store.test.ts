import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EMPTY_SEED_FORM } from '../../../shared/seed-form';
import { profileFormOf } from '../../../shared/profile';
import { createIpcHandlers } from '../ipc-handlers';
import { dispatchIpc } from '../ipc-dispatch';
import { configDirFor } from './config-dir';
import { FlashSessions } from './flash-sessions';
import { PROFILES_FILE, ProfileStore } from './profile-store';

/** The profiles store and its channels: 0600 file in a 0700 directory, secrets refused at the boundary, bad files kept. */

let dir: string;
let store: ProfileStore;
const form = profileFormOf({ ...EMPTY_SEED_FORM, hostname: 'edge-{nn}', wifiSsid: 'lab', portalToken: 'tok-123456', wifiPassphrase: 'secret-pass' });

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'macula-profiles-'));
  store = new ProfileStore(join(dir, 'config'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ProfileStore', () => {
  it('saves, replaces by name, sorts, and deletes; the file is 0600 in a 0700 directory', async () => {
    await store.save('b', form);
    await store.save('a', { ...form, hostname: 'one' });
    const list = await store.save('a', { ...form, hostname: 'two' });
    expect(list.map((p) => [p.name, p.form.hostname])).toEqual([['a', 'two'], ['b', 'edge-{nn}']]);
    expect((await stat(store.path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'config'))).mode & 0o777).toBe(0o700);
    expect(await store.delete('a')).toMatchObject({ deleted: true });
    expect(await store.delete('a')).toMatchObject({ deleted: false });
    expect((await store.list()).map((p) => p.name)).toEqual(['b']);
  });

  it('never takes a secret: profileFormOf drops them and the channel refuses a form that carries one', async () => {
    expect(JSON.stringify(form)).not.toMatch(/tok-123456|secret-pass/);
    const flashes = new FlashSessions(() => ({ kind: 'in-process' }), () => undefined);
    const handlers = createIpcHandlers({ flashes, fleet: { fleetDir: dir, watch: undefined as never, pairings: undefined as never }, profiles: store, signIns: undefined as never });
    const refused = await dispatchIpc('profiles.save', { name: 'x', form: { ...form, portalToken: 'tok-123456' } }, handlers);
    expect(refused).toMatchObject({ ok: false, error: { code: 'ERR_USAGE' } });
    expect(await dispatchIpc('profiles.save', { name: '  x  ', form }, handlers)).toMatchObject({ ok: true, value: { profiles: [{ name: 'x' }] } });
  });

  it('refuses a corrupt file rather than overwriting it', async () => {
    await store.save('a', form);
    await writeFile(store.path, '{"version":1,"profiles":[{"name":"a"}]}');
    await expect(store.list()).rejects.toMatchObject({ code: 'ERR_IO' });
    await expect(store.save('b', form)).rejects.toMatchObject({ code: 'ERR_IO' });
    expect(await readFile(join(dir, 'config', PROFILES_FILE), 'utf8')).toContain('"name":"a"');
  });

  it('lives in MACULA_CONFIG_DIR, else the XDG config home', () => {
    expect(configDirFor({ MACULA_CONFIG_DIR: '/x' }, 'linux', '/home/u')).toBe('/x');
    expect(configDirFor({ XDG_CONFIG_HOME: '/c' }, 'linux', '/home/u')).toBe('/c/macula-companion');
    expect(configDirFor({ XDG_CONFIG_HOME: 'rel' }, 'linux', '/home/u')).toBe('/home/u/.config/macula-companion');
  });
});

import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MaculaError } from '../../../shared/errors';
import { type Profile, type ProfileFile, type ProfileForm, profileFileSchema, profileFormSchema } from '../../../shared/profile';

export const PROFILES_FILE = 'profiles.json';

/**
 * The saved Customise profiles: one JSON file (`shared/profile.ts`'s schema) in the user's config directory, 0600 in a
 * 0700 directory, replaced atomically (write a temporary file, rename) so a crash never leaves half a file. Secrets
 * cannot get in: the form is parsed with the strict secret-free schema before it is written. Writes are serialised.
 */
export class ProfileStore {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly dir: string) {}

  get path(): string {
    return join(this.dir, PROFILES_FILE);
  }

  async list(): Promise<Profile[]> {
    return (await this.read()).profiles;
  }

  /** Saves `form` under `name`, replacing a profile of that name; returns the profiles, sorted by name. */
  async save(name: string, form: ProfileForm): Promise<Profile[]> {
    const clean = profileFormSchema.parse(form);
    return this.update((profiles) => [...profiles.filter((p) => p.name !== name), { name, savedAt: new Date().toISOString(), form: clean }]);
  }

  async delete(name: string): Promise<{ profiles: Profile[]; deleted: boolean }> {
    let deleted = false;
    const profiles = await this.update((list) => {
      deleted = list.some((p) => p.name === name);
      return list.filter((p) => p.name !== name);
    });
    return { profiles, deleted };
  }

  private update(change: (profiles: Profile[]) => Profile[]): Promise<Profile[]> {
    const run = this.queue.then(async () => {
      const next: ProfileFile = { version: 1, profiles: change((await this.read()).profiles).sort((a, b) => a.name.localeCompare(b.name)) };
      await this.write(profileFileSchema.parse(next));
      return next.profiles;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async read(): Promise<ProfileFile> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, profiles: [] };
      throw new MaculaError('ERR_IO', `cannot read the saved profiles (${this.path})`, { path: this.path }, { cause: err });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const parsed = profileFileSchema.safeParse(json);
    // Refused rather than overwritten: the user's file is theirs to fix or remove.
    if (!parsed.success) throw new MaculaError('ERR_IO', `the saved profiles file ${this.path} is not valid: fix or remove it`, { path: this.path });
    return parsed.data;
  }

  private async write(file: ProfileFile): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      // A new file (wx) created 0600 — a umask can only narrow that — then renamed over the old one, taking its place.
      await writeFile(tmp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
      await rename(tmp, this.path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw new MaculaError('ERR_IO', `cannot save the profiles (${this.path})`, { path: this.path }, { cause: err });
    }
  }
}

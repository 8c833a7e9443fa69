import { open, stat } from 'node:fs/promises';
import { MaculaError } from '../../../shared/errors';
import type { Seed } from '../../../shared/seed';
import { parseSeedYaml } from '../../../shared/seed-yaml';
import { readSuperblock } from '../../../electron/engine/seed/ext4-superblock';
import { findStatePartition } from '../../../electron/engine/seed/find-state-partition';
import { readStateConfig } from '../../../electron/engine/seed/read-state';
import { MAX_STATE_CONFIG_BYTES } from '../../../electron/engine/seed/state-filesystem';

/**
 * Where the agent finds its seed: `macula/system/config.yaml` as a plain file (the state partition already mounted by
 * the boot scripts), or read straight from the MACULAOS_STATE filesystem — a partition (`/dev/disk/by-label/…`), or a
 * whole disk or image whose partition table holds it — through libext2fs, without mounting anything.
 */

type SeedLocation = { readonly kind: 'yaml' } | { readonly kind: 'filesystem' } | { readonly kind: 'disk' };

/** Decides by content, not by name: an ext superblock is a filesystem, a boot signature a disk, the rest YAML. */
async function locate(path: string): Promise<SeedLocation> {
  const info = await stat(path).catch((err: unknown) => {
    throw new MaculaError('ERR_IO', `cannot read the seed at ${path}`, { path }, { cause: err });
  });
  const handle = await open(path, 'r');
  const head = Buffer.alloc(2048);
  try {
    await handle.read(head, 0, head.length, 0);
  } finally {
    await handle.close();
  }
  if (readSuperblock(head).isExt) return { kind: 'filesystem' };
  // 0x55AA at byte 510: an MBR or a GPT's protective MBR (UEFI spec §5.2).
  if (info.isBlockDevice() || (head[510] === 0x55 && head[511] === 0xaa)) return { kind: 'disk' };
  if (info.size > MAX_STATE_CONFIG_BYTES) throw new MaculaError('ERR_SEED_INVALID', `${path} is too large to be a seed`, { path });
  return { kind: 'yaml' };
}

async function seedText(path: string): Promise<string> {
  const location = await locate(path);
  switch (location.kind) {
    case 'yaml': {
      const handle = await open(path, 'r');
      try {
        return await handle.readFile('utf8');
      } finally {
        await handle.close();
      }
    }
    case 'filesystem':
      return (await readStateConfig({ path })).text;
    case 'disk': {
      const partition = await findStatePartition(path);
      return (await readStateConfig({ path, offset: partition.offset })).text;
    }
  }
}

/**
 * The seed, or undefined when there is none at `path` (a node flashed without customisation, or by another tool): such
 * a node runs unseeded and waits to be adopted. A seed that is there but unreadable or invalid still throws.
 */
export async function loadSeedIfAny(path: string): Promise<Seed | undefined> {
  const exists = await stat(path).then(
    () => true,
    (err: NodeJS.ErrnoException) => err.code !== 'ENOENT',
  );
  return exists ? loadSeed(path) : undefined;
}

/** Reads and validates the seed; errors name the field, never a secret's value (shared/seed-yaml.ts). */
export async function loadSeed(path: string): Promise<Seed> {
  return parseSeedYaml(await seedText(path), path);
}

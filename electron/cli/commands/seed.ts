import { readFile, stat } from 'node:fs/promises';
import { MaculaError, isMaculaError } from '../../../shared/errors';
import { MESH_ROLES, type MeshRole, type Seed, seedWarnings, validateSeed } from '../../../shared/seed';
import { maskSecrets } from '../../../shared/seed-secrets';
import { parseSeedYaml, seedToYaml } from '../../../shared/seed-yaml';
import type { Args } from '../args';
import type { Command } from '../command';
import type { Output } from '../output';
import { findStatePartition } from '../../engine/seed/find-state-partition';
import { readStateConfig } from '../../engine/seed/read-state';
import { STATE_LABEL } from '../../engine/seed/state-filesystem';
import { hasSeedFlags } from '../seed-flags';

export { SEED_FLAG_OPTIONS, SEED_FLAG_USAGE } from '../seed-flags';

/** Seed files are small: write_files may hold 4 MiB in all. */
const MAX_SEED_FILE_BYTES = 8 * 1024 * 1024;

/** Which flag sets which seed field, to name the flag when the field is refused. */
const FLAG_OF_FIELD: ReadonlyArray<readonly [RegExp, string]> = [
  [/^hostname$/, '--hostname'],
  [/^maculaos\.timezone$/, '--timezone'],
  [/^maculaos\.keyboard$/, '--keyboard'],
  [/^maculaos\.locale$/, '--locale'],
  [/^maculaos\.portal\.url$/, '--portal-url'],
  [/^maculaos\.portal\.enrollment_token$/, '--portal-token'],
  [/^ssh_authorized_keys/, '--ssh-key'],
];

/** Reads `@FILE` for a flag; errors name the flag and the file, never the content. */
async function readAtFile(flag: string, value: string): Promise<string> {
  const path = value.slice(1);
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new MaculaError('ERR_IO', `${flag} ${value}: cannot read ${path}: ${(e as Error).message}`, { path }, { cause: e });
  }
}

function meshRoles(values: readonly string[]): { bootstrap: boolean; relay: boolean } {
  const roles = values.flatMap((v) => v.split(',')).map((r) => r.trim()).filter((r) => r !== '');
  for (const role of roles) {
    if (!(MESH_ROLES as readonly string[]).includes(role)) {
      throw new MaculaError('ERR_SEED_INVALID', `--mesh-role: maculaos.mesh: unknown mesh role "${role}" (known: ${MESH_ROLES.join(', ')})`, {
        field: 'maculaos.mesh',
      });
    }
  }
  const has = (r: MeshRole): boolean => roles.includes(r);
  return { bootstrap: has('bootstrap'), relay: has('relay') };
}

/**
 * A seed from `--hostname … --portal-token @FILE --ssh-key @FILE …` flags, or undefined when none is given. Secrets
 * come only from files (`@FILE`), so they stay out of shell history and the process list. The hostname may be a
 * batch template (`macula-{nn}`).
 */
export async function seedFromFlags(args: Args): Promise<Seed | undefined> {
  if (!hasSeedFlags(args)) return undefined;
  const token = args.string('portal-token');
  if (token !== undefined && !token.startsWith('@')) {
    throw new MaculaError(
      'ERR_USAGE',
      '--portal-token takes @FILE (the token is read from FILE), never the token itself: it would stay in shell history and the process list',
      { field: 'maculaos.portal.enrollment_token' },
    );
  }
  const sshKeys: string[] = [];
  for (const value of args.strings('ssh-key')) {
    const lines = value.startsWith('@') ? (await readAtFile('--ssh-key', value)).split(/\r?\n/) : [value];
    sshKeys.push(...lines.map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#')));
  }
  const portalUrl = args.string('portal-url');
  const roles = args.strings('mesh-role');
  const maculaos = {
    ...optional('timezone', args.string('timezone')),
    ...optional('keyboard', args.string('keyboard')),
    ...optional('locale', args.string('locale')),
    ...(roles.length > 0 ? { mesh: meshRoles(roles) } : {}),
    ...(portalUrl !== undefined || token !== undefined
      ? { portal: { url: portalUrl, ...optional('enrollment_token', token && (await readAtFile('--portal-token', token)).trim()) } }
      : {}),
  };
  const raw = { ...optional('hostname', args.string('hostname')), ...(sshKeys.length > 0 ? { ssh_authorized_keys: sshKeys } : {}), maculaos };
  try {
    return validateSeed(raw, 'given on the command line', { templates: true });
  } catch (e) {
    const field = isMaculaError(e) ? e.details.field : undefined;
    const flag = FLAG_OF_FIELD.find(([re]) => field !== undefined && re.test(field))?.[1];
    if (isMaculaError(e) && flag) throw new MaculaError(e.code, `${flag}: ${e.message}`, e.details, { cause: e });
    throw e;
  }
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

/** A seed file (YAML cloud-config; the hostname may be a batch template), size-checked, parsed and validated. */
export async function readSeedFile(path: string): Promise<Seed> {
  const size = (await stat(path).catch((e: unknown) => {
    throw new MaculaError('ERR_IO', `cannot read seed ${path}: ${(e as Error).message}`, { path }, { cause: e });
  })).size;
  if (size > MAX_SEED_FILE_BYTES) {
    throw new MaculaError('ERR_SEED_INVALID', `seed ${path} is ${size} bytes: too large for a seed file`, { path, actual: size });
  }
  return parseSeedYaml(await readFile(path, 'utf8'), path, { templates: true });
}

/** `macula seed show DEV`: the seed on a flashed target's MACULAOS_STATE partition, secrets masked, nothing mounted. */
async function showSeed(device: string, out: Output): Promise<void> {
  const partition = await findStatePartition(device);
  const state = await readStateConfig({ path: device, offset: partition.offset });
  const seed = parseSeedYaml(state.text, `${device} partition ${partition.index}`);
  const masked = maskSecrets(seed);
  const file = { mode: `0${state.mode.toString(8)}`, uid: state.uid, gid: state.gid, growpart: state.growpart, uuid: state.uuid };
  out.event(
    'seed',
    { device, partition: partition.index, offset: partition.offset, ...file, seed: masked },
    `${device}: ${STATE_LABEL} on partition ${partition.index} (UUID ${state.uuid}); config.yaml mode ${file.mode}, ` +
      `owner ${state.uid}:${state.gid}${state.growpart ? ', grows on first boot' : ''} (secrets masked)\n${seedToYaml(masked).trimEnd()}`,
  );
}

/** `macula seed check FILE` / `macula seed show DEV`: validate a seed file, or read one back from a target. */
export const seedCommand: Command = {
  usage: 'macula seed check FILE [--json] | macula seed show DEV [--json]',
  summary: 'validate a seed (cloud-config) file, or show the seed on a flashed target; secrets masked',
  options: {},
  async run({ args, out }) {
    const sub = args.positional(0, 'a seed subcommand (check, show)');
    if (sub === 'show') return showSeed(args.positional(1, 'DEV'), out);
    if (sub !== 'check') throw new MaculaError('ERR_USAGE', `unknown seed subcommand "${sub}"\nusage: ${seedCommand.usage}`);
    const path = args.positional(1, 'FILE');
    const seed = await readSeedFile(path);
    const masked = maskSecrets(seed);
    const warnings = seedWarnings(seed);
    out.event('seed', { path, valid: true, seed: masked, warnings }, `${path}: valid seed (secrets masked)\n${seedToYaml(masked).trimEnd()}`);
    if (!out.json) for (const message of warnings) out.event('warning', { message }, `warning: ${message}`);
  },
};

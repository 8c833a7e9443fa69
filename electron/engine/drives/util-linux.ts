import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { z } from 'zod';

/** What lsblk(8) and losetup(8) of util-linux say about a block device, as JSON (`-J`). */

const run = promisify(execFile);

/** Columns asked of lsblk; MOUNTPOINTS (plural: every mount of a device) needs util-linux ≥ 2.37. */
const COLUMNS = 'NAME,PATH,SIZE,RO,RM,TYPE,MOUNTPOINTS,MODEL,SERIAL,TRAN,PKNAME';

// util-linux before 2.33 printed every JSON value as a string ("1", "0", "512"); accept both shapes.
const flag = z.union([z.boolean(), z.string().transform((s) => s === '1' || s === 'true')]).nullable();
const bytes = z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]).nullable();

export interface LsblkDevice {
  readonly name: string;
  readonly path?: string | undefined;
  readonly size: number | null;
  readonly ro: boolean | null;
  readonly rm: boolean | null;
  readonly type: string;
  readonly mountpoints: (string | null)[];
  readonly model?: string | null | undefined;
  readonly serial?: string | null | undefined;
  readonly tran?: string | null | undefined;
  readonly pkname?: string | null | undefined;
  readonly children?: LsblkDevice[] | undefined;
}

const deviceSchema: z.ZodType<LsblkDevice> = z.lazy(() =>
  z.object({
    name: z.string(),
    path: z.string().optional(),
    size: bytes,
    ro: flag,
    rm: flag,
    type: z.string(),
    mountpoints: z.array(z.string().nullable()).default([]),
    model: z.string().nullable().optional(),
    serial: z.string().nullable().optional(),
    tran: z.string().nullable().optional(),
    pkname: z.string().nullable().optional(),
    children: z.array(deviceSchema).optional(),
  }),
);

const outputSchema = z.object({ blockdevices: z.array(deviceSchema) });

/** lsblk's view (lsblk(8), `-J -b`) of one block device and its partitions; undefined when lsblk is missing or fails. */
export async function lsblk(devicePath: string): Promise<LsblkDevice | undefined> {
  try {
    const { stdout } = await run('lsblk', ['-J', '-b', '-o', COLUMNS, devicePath], { timeout: 10_000 });
    return outputSchema.parse(JSON.parse(stdout)).blockdevices[0];
  } catch {
    return undefined;
  }
}

/** Every mountpoint of the device and, recursively, of its children (partitions, and what is stacked on them). */
export function lsblkMountpoints(device: LsblkDevice): string[] {
  const own = device.mountpoints.filter((m): m is string => m !== null && m !== '');
  return [...own, ...(device.children ?? []).flatMap(lsblkMountpoints)];
}

/** Whether losetup(8) reports the loop device read-only (`losetup -r`); undefined when it cannot tell. */
export async function loopReadOnly(devicePath: string): Promise<boolean | undefined> {
  try {
    const { stdout } = await run('losetup', ['-J', '-l', '-O', 'NAME,RO', devicePath], { timeout: 10_000 });
    const parsed = z.object({ loopdevices: z.array(z.object({ ro: flag })) }).parse(JSON.parse(stdout));
    return parsed.loopdevices[0]?.ro ?? undefined;
  } catch {
    return undefined;
  }
}

/** The drive's serial number as lsblk reports it (USB sticks and SD readers usually have one; loop devices never). */
export async function driveSerial(devicePath: string): Promise<string | undefined> {
  const serial = (await lsblk(devicePath))?.serial?.trim();
  return serial === undefined || serial === '' ? undefined : serial;
}

/** What blkid(8) finds on a device by probing it (`-p`, bypassing its cache): `TYPE`, `LABEL`, `UUID`, … */
export type BlkidTags = Readonly<Record<string, string>>;

/** Parses `blkid -o export`: one `KEY=value` a line, with shell escapes (`\ `) in the values. */
export function parseBlkidExport(text: string): BlkidTags {
  const tags: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) tags[line.slice(0, eq)] = line.slice(eq + 1).replace(/\\(.)/g, '$1');
  }
  return tags;
}

/**
 * The signatures blkid finds on a device; undefined when it finds none (exit 2), cannot open the device (not root),
 * or is missing. It reads a few KiB at the offsets each format defines.
 */
export async function blkidProbe(devicePath: string): Promise<BlkidTags | undefined> {
  try {
    const { stdout } = await run('blkid', ['-p', '-o', 'export', '--', devicePath], { timeout: 10_000 });
    return parseBlkidExport(stdout);
  } catch {
    return undefined;
  }
}

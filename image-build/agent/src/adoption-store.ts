import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { nodeIdSchema, pairingKeySchema, portalUrlSchema } from '../../../shared/fleet/seed-formats';
import { ensurePrivateDir, writePrivateFile } from './private-file';

/**
 * What a node not seeded here keeps across reboots: its own node id (made at first start, `agent/node-id`) and, once
 * adopted, the pairing key and Portal the desktop installed (`credentials/adoption.json`; folders 0700, files 0600,
 * written atomically). The key is a secret exactly like a seeded one (plan §9.3).
 */

export const adoptionRecordSchema = z.strictObject({
  version: z.literal(1),
  node_id: nodeIdSchema,
  pairing_key: pairingKeySchema,
  portal_url: portalUrlSchema.optional(),
  adopted_at: z.iso.datetime(),
});
export type AdoptionRecord = z.infer<typeof adoptionRecordSchema>;

const adoptionPath = (stateDir: string): string => join(stateDir, 'credentials', 'adoption.json');
const nodeIdPath = (stateDir: string): string => join(stateDir, 'agent', 'node-id');

/** The node's own id: the stored one, or a new random UUID stored for next time. */
export async function ensureOwnNodeId(stateDir: string): Promise<string> {
  const stored = await readFile(nodeIdPath(stateDir), 'utf8').catch(() => undefined);
  const parsed = nodeIdSchema.safeParse(stored?.trim());
  if (parsed.success) return parsed.data;
  const id = randomUUID();
  await ensurePrivateDir(join(stateDir, 'agent'));
  await writePrivateFile(nodeIdPath(stateDir), `${id}\n`);
  return id;
}

export async function loadAdoption(stateDir: string): Promise<AdoptionRecord | undefined> {
  const text = await readFile(adoptionPath(stateDir), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const parsed = adoptionRecordSchema.safeParse(JSON.parse(text) as unknown);
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export async function saveAdoption(stateDir: string, record: AdoptionRecord): Promise<void> {
  await ensurePrivateDir(join(stateDir, 'credentials'));
  await writePrivateFile(adoptionPath(stateDir), `${JSON.stringify(adoptionRecordSchema.parse(record), null, 2)}\n`);
}

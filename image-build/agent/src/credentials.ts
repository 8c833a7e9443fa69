import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ensurePrivateDir, writePrivateFile } from './private-file';

/**
 * `<stateDir>/credentials/portal.json` (plan Phase 3: folder 0700, file 0600): what the Portal handed the node, by
 * either way of pairing, plus where and when. The refresh token is the node's standing secret towards the Portal.
 */

export const portalCredentialsSchema = z.object({
  version: z.literal(1),
  portal_url: z.string(),
  node_id: z.string(),
  method: z.enum(['enrollment_token', 'device_flow']),
  refresh_token: z.string().min(1),
  /** Only the device flow hands out an access token; it expires and is renewed with the refresh token. */
  access_token: z.string().optional(),
  access_token_expires_at: z.string().optional(),
  scope: z.string().optional(),
  user_name: z.string(),
  org_identity: z.string(),
  paired_at: z.string(),
});
export type PortalCredentials = z.infer<typeof portalCredentialsSchema>;

export function credentialsPath(stateDir: string): string {
  return join(stateDir, 'credentials', 'portal.json');
}

export async function saveCredentials(stateDir: string, credentials: PortalCredentials): Promise<void> {
  await ensurePrivateDir(join(stateDir, 'credentials'));
  await writePrivateFile(credentialsPath(stateDir), `${JSON.stringify(portalCredentialsSchema.parse(credentials), null, 2)}\n`);
}

/** The stored credentials, or undefined if the node was never paired (or the file is unreadable: pair again). */
export async function loadCredentials(stateDir: string): Promise<PortalCredentials | undefined> {
  const text = await readFile(credentialsPath(stateDir), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const parsed = portalCredentialsSchema.safeParse(JSON.parse(text) as unknown);
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

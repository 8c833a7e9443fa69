import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SeedInput } from '../../../shared/seed';
import { seedToYaml } from '../../../shared/seed-yaml';
import { validateSeed } from '../../../shared/seed';

/** Test support, not shipped: a node's seed and state folder in a temporary directory. */

export interface NodeFixture {
  readonly dir: string;
  readonly seedPath: string;
  readonly stateDir: string;
  readonly nodeId: string;
  /** The seeded pairing key, as text and as HMAC key bytes. */
  readonly key: string;
  readonly keyBytes: Uint8Array;
  cleanup(): Promise<void>;
}

export async function makeNodeFixture(options: { enrollmentToken?: string; hostname?: string } = {}): Promise<NodeFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'macula-agent-'));
  const nodeId = randomUUID();
  const keyBytes = new Uint8Array(randomBytes(32));
  const key = Buffer.from(keyBytes).toString('base64url');
  const seed: SeedInput = {
    hostname: options.hostname ?? 'macula-test-01',
    maculaos: {
      mesh: { relay: true },
      portal: { url: 'https://portal.example.test', ...(options.enrollmentToken ? { enrollment_token: options.enrollmentToken } : {}) },
      pairing: { node_id: nodeId, key },
    },
  };
  const seedPath = join(dir, 'config.yaml');
  await writeFile(seedPath, seedToYaml(validateSeed(seed, 'fixture')), { mode: 0o600 });
  return { dir, seedPath, stateDir: join(dir, 'state'), nodeId, key, keyBytes, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

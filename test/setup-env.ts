import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/**
 * Every test file (and the CLI processes it starts, which inherit the environment) gets its own fleet directory and
 * config directory, so a seeded flash in a test records its node there and a catalog it loads is remembered there
 * (the catalog versions seen, docs/acquisition.md), never in the fleet inventory or settings of whoever runs the
 * tests. Tests that look at either set MACULA_FLEET_DIR / MACULA_CONFIG_DIR themselves. The directories made here are
 * removed after the file's tests.
 */
function ownDir(variable: 'MACULA_FLEET_DIR' | 'MACULA_CONFIG_DIR', prefix: string): void {
  if (process.env[variable] !== undefined) return;
  const made = mkdtempSync(join(tmpdir(), prefix));
  process.env[variable] = made;
  afterAll(() => {
    rmSync(made, { recursive: true, force: true });
    // A forked worker runs further test files in this same process: each makes its own directory again.
    if (process.env[variable] === made) delete process.env[variable];
  });
}

ownDir('MACULA_FLEET_DIR', 'macula-test-fleet-');
ownDir('MACULA_CONFIG_DIR', 'macula-test-config-');

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/**
 * Every test file (and the CLI processes it starts, which inherit the environment) gets its own fleet directory, so a
 * seeded flash in a test records its node there and never in the fleet inventory of whoever runs the tests. Tests that
 * look at the inventory set MACULA_FLEET_DIR themselves. The directory made here is removed after the file's tests.
 */
if (process.env['MACULA_FLEET_DIR'] === undefined) {
  const made = mkdtempSync(join(tmpdir(), 'macula-test-fleet-'));
  process.env['MACULA_FLEET_DIR'] = made;
  afterAll(() => {
    rmSync(made, { recursive: true, force: true });
    // A forked worker runs further test files in this same process: each makes its own directory again.
    if (process.env['MACULA_FLEET_DIR'] === made) delete process.env['MACULA_FLEET_DIR'];
  });
}

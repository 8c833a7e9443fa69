import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Every test file (and the CLI processes it starts, which inherit the environment) gets its own fleet directory, so a
 * seeded flash in a test records its node there and never in the fleet inventory of whoever runs the tests. Tests that
 * look at the inventory set MACULA_FLEET_DIR themselves.
 */
process.env['MACULA_FLEET_DIR'] ??= mkdtempSync(join(tmpdir(), 'macula-test-fleet-'));

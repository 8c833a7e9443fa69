import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { parseSeedYaml } from '../../shared/seed-yaml';
import { applyPlan } from './apply';
import { planSeed } from './plan';
import { seedReport } from './report';

/**
 * `node apply-seed.js [--seed PATH] [--root DIR] [--run-dir DIR] [--report PATH] [--sys-class-net DIR] [--dry-run]`:
 * applies the node's seed
 * (`macula/system/config.yaml` on MACULAOS_STATE, mounted by the initramfs at /run/maculaos/state) at boot, from
 * maculaos-seed.service, before the network, Avahi, SSH, the firewall and the keyboard come up. A node without a seed,
 * or with one it refuses, still boots: it says so and goes on with the image's defaults.
 * Prints one `MACULAOS: …` line that tests read from the serial console; never a secret. Leaves the seed report
 * (report.ts: per setting applied, failed and why, or not applicable) at `--report`, by default
 * `<run-dir>/seed-report.json`, which the agent serves to the desktop MACed with the pairing key.
 */

const DEFAULT_SEED = '/run/maculaos/state/macula/system/config.yaml';

/** To stdout (the journal) and the kernel log, which reaches every console (screen and serial) whatever /dev/console is. */
async function say(line: string): Promise<void> {
  console.log(line);
  await appendFile('/dev/kmsg', `<5>${line}\n`).catch(() => undefined);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string', default: DEFAULT_SEED },
      root: { type: 'string', default: '/' },
      'run-dir': { type: 'string', default: '/run/maculaos' },
      'dry-run': { type: 'boolean', default: false },
      report: { type: 'string' },
      'sys-class-net': { type: 'string', default: '/sys/class/net' },
    },
  });
  const reportPath = values.report ?? `${values['run-dir']}/seed-report.json`;
  let text: string;
  try {
    text = await readFile(values.seed, 'utf8');
  } catch {
    await say('MACULAOS: no seed found, booting with defaults (waiting to be paired)');
    return;
  }
  let plan;
  try {
    plan = planSeed(parseSeedYaml(text, values.seed), values['run-dir']);
  } catch (err) {
    // The message names the field, never the value (shared/seed-yaml.ts).
    await say(`MACULAOS: seed refused, booting with defaults: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 3;
    return;
  }
  if (values['dry-run']) {
    console.log(JSON.stringify(plan.changes.map((c) => ('path' in c ? c.path : `(${c.kind} ${c.user})`))));
  } else {
    const report = await seedReport(await applyPlan(plan, values.root, values.root === '/'), new Date(), values['sys-class-net']);
    await mkdir(dirname(reportPath), { recursive: true });
    // Not a secret (keys and reasons only), but the node's business: 0600 like the seed.
    await writeFile(reportPath, `${JSON.stringify(report)}\n`, { mode: 0o600 });
    const failed = report.entries.filter((e) => e.status === 'failed').map((e) => e.key);
    if (failed.length > 0) await say(`MACULAOS: seed settings failed: ${failed.join(' ')} (the desktop shows why)`);
  }
  for (const note of plan.notes) await say(`MACULAOS: seed: ${note}`);
  const fields = Object.entries(plan.summary).map(([k, v]) => `${k}=${v}`).join(' ');
  await say(`MACULAOS: seed applied ${fields}`);
}

main().catch(async (err: unknown) => {
  await say(`MACULAOS: seed apply failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

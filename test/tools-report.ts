import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The first thing `npm test` prints: whether this machine has what the integration and vm tiers drive (root, and the
 * Debian packages `.ci/run` installs — that list is the one source), and how to get it. Outside CI a missing piece is
 * a warning (those tests then say they are skipped and why); under CI=true it fails the run at once, before anything
 * else takes time.
 */
const repo = join(import.meta.dirname, '..');

/** The package list `.ci/run` installs. */
export function ciPackages(script: string): string[] {
  const list = /^packages=\(([^)]*)\)/m.exec(script)?.[1];
  if (list === undefined) throw new Error('.ci/run has no packages=(…) line');
  return list.split(/\s+/).filter(Boolean);
}

function installed(pkg: string): boolean {
  try {
    execFileSync('dpkg', ['-s', pkg], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function hasDpkg(): boolean {
  try {
    execFileSync('dpkg', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function report(): { problems: string[] } {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push('not root: loop devices, network namespaces, polkit and QEMU tests need root');
  const packages = ciPackages(readFileSync(join(repo, '.ci/run'), 'utf8'));
  if (!hasDpkg()) problems.push(`not a Debian machine: the integration tier drives ${packages.join(' ')}`);
  else {
    const missing = packages.filter((p) => !installed(p));
    if (missing.length > 0) problems.push(`missing Debian packages: ${missing.join(' ')}`);
  }
  return { problems };
}

const inCi = process.env['CI'] !== undefined && process.env['CI'] !== '' && process.env['CI'] !== 'false';
const { problems } = report();
if (problems.length === 0) console.log('tools: root and every package the tests drive are here');
else {
  console.log(['tools: this machine lacks what part of the suite drives:', ...problems.map((p) => `  - ${p}`)].join('\n'));
  console.log('  To get everything and pass the whole suite (Debian): sudo bash .ci/run');
  if (inCi) {
    console.log('  CI=true: failing now instead of skipping');
    process.exitCode = 1;
  } else console.log('  Going on: the tests that need them will say they are skipped, and why.');
}

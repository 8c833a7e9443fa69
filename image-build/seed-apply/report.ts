import { readdir, access } from 'node:fs/promises';
import { join } from 'node:path';
import type { SeedReport, SeedReportEntry } from '../../shared/fleet/seed-report';
import { seedReportSchema } from '../../shared/fleet/seed-report';

/**
 * The seed report (shared/fleet/seed-report.ts) as the applier finishes it: what applyPlan found, plus what only the
 * running system can tell — Wi-Fi networks were configured, but is there any wireless interface to use them (a chip
 * without its driver or firmware, brcmfmac's on a Raspberry Pi, shows none)?
 */

/** Names of the network interfaces with a `wireless` folder in sysfs (the kernel's cfg80211 devices). */
export async function wirelessInterfaces(sysClassNet: string): Promise<string[]> {
  const names = await readdir(sysClassNet).catch(() => []);
  const found: string[] = [];
  for (const name of names) {
    const wireless = await access(join(sysClassNet, name, 'wireless')).then(() => true, () => false);
    if (wireless) found.push(name);
  }
  return found;
}

/** The report: applyPlan's entries, Wi-Fi turned to failed when no wireless interface exists to carry it. */
export async function seedReport(entries: readonly SeedReportEntry[], appliedAt: Date, sysClassNet: string): Promise<SeedReport> {
  const checked: SeedReportEntry[] = [];
  for (const entry of entries) {
    if (entry.key === 'wifi' && entry.status === 'applied' && (await wirelessInterfaces(sysClassNet)).length === 0) {
      checked.push({ key: 'wifi', status: 'failed', reason: 'no wireless interface: no driver or firmware for the Wi-Fi chip' });
    } else checked.push(entry);
  }
  return seedReportSchema.parse({ version: 1, applied_at: appliedAt.toISOString(), entries: checked });
}

/**
 * `npm run bench -- [SUITE…]`: benchmarks that put our engine side by side with the reference tools in one run and
 * print ratios. Not tests: nothing here asserts a time. Suites: acquire (download, decompression), flash (write +
 * verify to a loop device, unthrottled and throttled to USB2/USB3-like rates; needs root), discovery (mDNS announce →
 * `up`, goodbye and crash → `down`, between network namespaces; needs root), discovery-scale (100 to 1,000 services from
 * python-zeroconf and from our agent's responder: found/N, time to all, wire and CPU; needs root).
 */
import { runAcquireBench } from './acquire';
import { runDiscoveryBench } from './discovery';
import { runDiscoveryScaleBench } from './discovery-scale';
import { runFlashBench } from './flash';

const SUITES: Record<string, () => Promise<void>> = { acquire: runAcquireBench, flash: runFlashBench, discovery: runDiscoveryBench, 'discovery-scale': runDiscoveryScaleBench };

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
for (const name of wanted.length > 0 ? wanted : Object.keys(SUITES)) {
  const suite = SUITES[name];
  if (!suite) {
    console.error(`unknown bench suite "${name}"; known: ${Object.keys(SUITES).join(', ')}`);
    process.exit(2);
  }
  await suite();
}

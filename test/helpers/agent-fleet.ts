/**
 * Many simulated nodes answering as our agent does (image-build/agent/src/advertiser.ts: bonjour-service, SRV target
 * `<name>.local`, no IPv6, TXT in encodeTxtRecord's order), for the discovery-scale benchmark, from one process:
 * `ip netns exec NS node --import tsx agent-fleet.ts CONFIG_JSON`. A real fleet is one responder per node; a
 * thousand processes do not fit on two cores, and one bonjour-service responder cannot answer for a thousand (it puts
 * every answer into one datagram, past UDP's 64 kB), so GROUP services share each responder. Prints `ready` once
 * every service has announced; `stop` on stdin sends the goodbyes and exits.
 */
import { createInterface } from 'node:readline';
import { Bonjour, type ServiceConfig } from 'bonjour-service';
import { encodeTxtRecord } from '../../shared/fleet/txt-record';

interface FleetConfig {
  readonly address: string;
  readonly count: number;
  readonly prefix: string;
  readonly fingerprint: string;
  /** Services per responder (socket). */
  readonly group?: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as FleetConfig;
const group = config.group ?? 40;

const txtObject = (nodeId: string): Record<string, string> =>
  Object.fromEntries(
    encodeTxtRecord({ nodeId, state: 'unpaired', fingerprint: config.fingerprint, osVersion: '0.1.0', arch: 'amd64', meshRoles: [], apiPort: 8443 }).map((s) => [
      s.slice(0, s.indexOf('=')),
      s.slice(s.indexOf('=') + 1),
    ]),
  );

const responders: Bonjour[] = [];
let up = 0;
for (let i = 0; i < config.count; i++) {
  if (i % group === 0) {
    // The agent's socket options (advertiser.ts): bonjour-service passes them to multicast-dns.
    responders.push(new Bonjour({ interface: config.address, bind: '0.0.0.0' } as unknown as Partial<ServiceConfig>));
  }
  const name = `${config.prefix}-${String(i).padStart(4, '0')}`;
  const service = responders[responders.length - 1]?.publish({
    name,
    type: 'macula',
    protocol: 'tcp',
    port: 8443,
    host: `${name}.local`,
    txt: txtObject(name),
    probe: false,
    disableIPv6: true,
  });
  service?.on('up', () => {
    if (++up === config.count) process.stdout.write('ready\n');
  });
}

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() !== 'stop') return;
  let left = responders.length;
  for (const bonjour of responders) {
    bonjour.unpublishAll(() => {
      bonjour.destroy();
      if (--left === 0) {
        process.stdout.write('stopped\n');
        process.exit(0);
      }
    });
  }
});

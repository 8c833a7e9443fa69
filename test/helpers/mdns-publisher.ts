/**
 * A simulated node's mDNS advertisement for the fleet tests, run inside a network namespace as its own process
 * (`ip netns exec NS node --import tsx mdns-publisher.ts CONFIG_JSON`). It publishes `_macula._tcp` with
 * bonjour-service — one instance per interface address, the same multi-homing rule the desktop follows — then takes
 * commands on stdin: `txt JSON` (new TXT pairs, re-announced), `stop` (goodbye packets, then exit). SIGKILL it to
 * simulate a crash. Prints `ready` once the first announcement has gone out.
 */
import { createInterface } from 'node:readline';
import { Bonjour, Service, type ServiceConfig } from 'bonjour-service';

type ServiceRecord = ReturnType<Service['records']>[number];

interface PublisherConfig {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** TXT key/value pairs, in order (txtvers first). */
  readonly txt: ReadonlyArray<readonly [string, string]>;
  /** TTL of every record, seconds: short, so a killed publisher expires within the test. */
  readonly ttl: number;
  /** Interface addresses to publish on. */
  readonly addresses: readonly string[];
}

/** The part of bonjour-service's private responder this script drives to re-announce a changed TXT record. */
interface Responder {
  register(records: ServiceRecord[]): void;
  unregister(records: Array<Pick<ServiceRecord, 'name' | 'type'>>): void;
  mdns: { respond(records: ServiceRecord[], cb?: () => void): void };
}

const config = JSON.parse(process.argv[2] ?? '{}') as PublisherConfig;

// bonjour-service hard-codes its TTLs (PTR 28800 s, TXT 4500 s, SRV/A 120 s); the test needs seconds. Goodbyes
// (TTL 0) are built from these records too, so only non-zero TTLs are replaced.
const records = Service.prototype.records;
Service.prototype.records = function patched(this: Service): ServiceRecord[] {
  return records.call(this).map((r) => ({ ...r, ttl: config.ttl }));
};

const txtObject = (pairs: PublisherConfig['txt']): Record<string, string> => Object.fromEntries(pairs.map(([k, v]) => [k, v]));

// bonjour-service passes these options to multicast-dns; its type names only the service fields.
const socketOptions = (address: string): Partial<ServiceConfig> => ({ interface: address, bind: '0.0.0.0' }) as Partial<ServiceConfig>;
const instances = config.addresses.map((address) => new Bonjour(socketOptions(address)));
const services = instances.map((b) =>
  b.publish({ name: config.name, host: config.host, type: 'macula', port: config.port, txt: txtObject(config.txt), probe: false }),
);
let announced = 0;
for (const service of services) {
  service.on('up', () => {
    if (++announced === services.length) process.stdout.write('ready\n');
  });
}

function updateTxt(pairs: PublisherConfig['txt']): void {
  instances.forEach((bonjour, i) => {
    const service = services[i];
    if (!service) return;
    const responder = (bonjour as unknown as { server: Responder }).server;
    responder.unregister([{ name: service.fqdn, type: 'TXT' }]);
    service.txt = txtObject(pairs);
    const fresh = service.records();
    responder.register(fresh);
    // RFC 6762 §8.4: a changed record is announced again; the whole set is simplest.
    responder.mdns.respond(fresh, () => process.stdout.write('updated\n'));
  });
}

function stop(): void {
  let left = instances.length;
  for (const bonjour of instances) {
    bonjour.unpublishAll(() => {
      bonjour.destroy();
      if (--left === 0) {
        process.stdout.write('stopped\n');
        process.exit(0);
      }
    });
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, ...rest] = line.split(' ');
  if (command === 'txt') updateTxt(JSON.parse(rest.join(' ')) as PublisherConfig['txt']);
  else if (command === 'stop') stop();
});

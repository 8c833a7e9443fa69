import { safeParseTxtRecord, type TxtRecord } from '../../../shared/fleet/txt-record';
import type { DiscoveredNode, InvalidAdvertisement } from './discovery-events';
import type { ResolvedInstance } from './service-cache';

/** One interface's resolved instances. */
export interface InterfaceView {
  readonly iface: string;
  readonly instances: Iterable<ResolvedInstance>;
}

export interface MergeResult {
  readonly nodes: Map<string, DiscoveredNode>;
  readonly invalid: InvalidAdvertisement[];
}

interface Sighting {
  readonly iface: string;
  readonly instance: ResolvedInstance;
  readonly txt: TxtRecord;
}

/**
 * Parses by TXT record: the cache hands the same string array until the record changes, so a fleet of a thousand
 * is parsed once per change, not once per recompute.
 */
const parsedTxt = new WeakMap<readonly string[], ReturnType<typeof safeParseTxtRecord>>();
function parseTxt(strings: readonly string[]): ReturnType<typeof safeParseTxtRecord> {
  let parsed = parsedTxt.get(strings);
  if (!parsed) {
    parsed = safeParseTxtRecord(strings);
    parsedTxt.set(strings, parsed);
  }
  return parsed;
}

function sameTxt(a: TxtRecord, b: TxtRecord): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Folds every interface's instances into one node per `nodeId/fingerprint` (de-duplication across interfaces).
 * Where sightings disagree for a moment (an update heard on one link first), the one that differs from `previous`
 * wins: it is the newer. Pure.
 */
export function mergeSightings(views: readonly InterfaceView[], previous: ReadonlyMap<string, DiscoveredNode>): MergeResult {
  const groups = new Map<string, Sighting[]>();
  const invalid: InvalidAdvertisement[] = [];
  for (const view of views) {
    for (const instance of view.instances) {
      const parsed = parseTxt(instance.txt);
      if (!parsed.ok) {
        const { code, message, key } = parsed.error;
        invalid.push({
          interface: view.iface,
          name: instance.instanceName,
          host: instance.host,
          addresses: instance.addresses,
          error: key === undefined ? { code, message } : { code, message, field: key },
        });
        continue;
      }
      const key = `${parsed.record.nodeId}/${parsed.record.fingerprint}`;
      const list = groups.get(key) ?? [];
      list.push({ iface: view.iface, instance, txt: parsed.record });
      groups.set(key, list);
    }
  }
  const nodes = new Map<string, DiscoveredNode>();
  for (const [key, sightings] of groups) {
    const before = previous.get(key);
    const chosen = (before && sightings.find((s) => !sameTxt(s.txt, before.txt))) ?? sightings[0];
    if (!chosen) continue;
    nodes.set(key, {
      key,
      nodeId: chosen.txt.nodeId,
      name: chosen.instance.instanceName,
      host: chosen.instance.host,
      port: chosen.instance.port,
      addresses: [...new Set(sightings.flatMap((s) => s.instance.addresses))].sort(),
      txt: chosen.txt,
      interfaces: [...new Set(sightings.map((s) => s.iface))].sort(),
    });
  }
  return { nodes, invalid };
}

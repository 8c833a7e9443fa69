import { networkInterfaces } from 'node:os';

/** One IPv4 address of a network interface that can carry mDNS (not loopback). */
export interface Ipv4Interface {
  /** The OS name, such as `eth0` or `en0`. */
  readonly name: string;
  readonly address: string;
  /** Prefix length of the subnet, from the OS's CIDR. */
  readonly prefix: number;
}

type InterfaceTable = ReturnType<typeof networkInterfaces>;

/**
 * The IPv4 interfaces to browse on: the first IPv4 address of each non-internal interface (one multicast membership
 * per interface is all the kernel takes, and one is enough to hear the link).
 */
export function listIpv4Interfaces(table: InterfaceTable = networkInterfaces()): Ipv4Interface[] {
  const found: Ipv4Interface[] = [];
  for (const [name, addresses] of Object.entries(table)) {
    const v4 = (addresses ?? []).find((a) => a.family === 'IPv4' && !a.internal);
    if (!v4) continue;
    const prefix = Number(v4.cidr?.split('/')[1] ?? 32);
    found.push({ name, address: v4.address, prefix });
  }
  return found;
}

function toUint32(address: string): number | undefined {
  const parts = address.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    value = value * 256 + Number(part);
  }
  return value;
}

/** Whether `address` (IPv4) lies in `iface`'s subnet. Anything that is not IPv4 does not. */
export function inSubnet(iface: Ipv4Interface, address: string): boolean {
  const a = toUint32(address);
  const b = toUint32(iface.address);
  if (a === undefined || b === undefined) return false;
  const size = 2 ** (32 - iface.prefix);
  return Math.floor(a / size) === Math.floor(b / size);
}

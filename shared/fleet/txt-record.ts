import { z } from 'zod';
import { utf8Length } from '../seed-fields';
import { fingerprintSchema } from './cert-fingerprint';
import { FleetProtocolError } from './fleet-error';
import { MESH_ROLES, type MeshRole, archSchema, nodeIdSchema, osVersionSchema } from './seed-formats';

/**
 * The TXT record of a node's `_macula._tcp` DNS-SD service (RFC 6763 §6): `txtvers=1` first (§6.7), then short
 * lower-case keys (§6.4 asks for ≤ 9 characters), 200 bytes at most in all (§6.2). Only what lets a desktop find and
 * recognise a node goes here — everything in it is world-readable on the LAN, so no field can hold a secret.
 */

export const MACULA_SERVICE_TYPE = '_macula._tcp';
export const TXT_VERSION = '1';
/** RFC 6763 §6.2: "the total size of a typical DNS-SD TXT record is intended to be small — 200 bytes or less". */
export const TXT_MAX_BYTES = 200;
/** RFC 6763 §6.1: each string is one length byte followed by at most 255 bytes. */
const TXT_MAX_STRING_BYTES = 255;

/**
 * A node's pairing state as advertised: `pairing` while a Portal exchange is under way; `unadopted` for a node that
 * holds no pairing key yet (not seeded here) and waits to be adopted with the setup code on its console.
 */
export const NODE_STATES = ['unadopted', 'unpaired', 'pairing', 'paired'] as const;
export type NodeState = (typeof NODE_STATES)[number];

/** The wire key of each field, in the order they follow `txtvers`. */
export const TXT_KEYS = {
  nodeId: 'id',
  state: 'st',
  fingerprint: 'fp',
  osVersion: 'os',
  arch: 'arch',
  meshRoles: 'roles',
  apiPort: 'port',
} as const;
type Field = keyof typeof TXT_KEYS;
const FIELDS = Object.keys(TXT_KEYS) as Field[];

export const txtRecordSchema = z.strictObject({
  nodeId: nodeIdSchema,
  state: z.enum(NODE_STATES),
  /** SHA-256 of the node's TLS certificate (DER), base64url. */
  fingerprint: fingerprintSchema,
  // Bounded so that the longest record (UUID id, `unadopted`, both roles, port 65535) stays within 200 bytes (190).
  osVersion: osVersionSchema.max(32),
  arch: archSchema,
  meshRoles: z.array(z.enum(MESH_ROLES)).refine((roles) => new Set(roles).size === roles.length, 'must not repeat a role'),
  /** TCP port of the node agent's HTTPS API. */
  apiPort: z.number().int().min(1).max(65535),
});
export type TxtRecord = z.infer<typeof txtRecordSchema>;

/** Bytes the strings take in a DNS TXT RDATA: a length byte plus the UTF-8 bytes of each (RFC 6763 §6.1). */
export function txtRecordSize(strings: readonly string[]): number {
  return strings.reduce((sum, s) => sum + 1 + utf8Length(s), 0);
}

function checkSize(strings: readonly string[]): void {
  for (const s of strings) {
    if (utf8Length(s) > TXT_MAX_STRING_BYTES) {
      throw new FleetProtocolError('ERR_TXT_TOO_LARGE', `a TXT string of ${utf8Length(s)} bytes, more than 255 (RFC 6763 §6.1)`);
    }
  }
  const size = txtRecordSize(strings);
  if (size > TXT_MAX_BYTES) {
    throw new FleetProtocolError('ERR_TXT_TOO_LARGE', `TXT record of ${size} bytes, more than ${TXT_MAX_BYTES} (RFC 6763 §6.2)`);
  }
}

function invalid(field: Field, error: z.ZodError): FleetProtocolError {
  const key = TXT_KEYS[field];
  return new FleetProtocolError('ERR_TXT_INVALID_VALUE', `TXT key "${key}" ${error.issues[0]?.message ?? 'is invalid'}`, key);
}

/** Roles in MESH_ROLES order, comma-separated; no roles is an empty value (`roles=`, RFC 6763 §6.4). */
function encodeValue(record: TxtRecord, field: Field): string {
  if (field === 'meshRoles') return MESH_ROLES.filter((r) => record.meshRoles.includes(r)).join(',');
  return String(record[field]);
}

/**
 * The record as ordered `key=value` strings, `txtvers=1` first. Refused (FleetProtocolError) if a field is invalid,
 * if it would exceed 200 bytes, or if any value contains one of `secrets` — pass the node's pairing key and enrollment
 * token, so a slip such as putting the key where the fingerprint belongs can never be advertised.
 */
export function encodeTxtRecord(record: TxtRecord, { secrets = [] }: { secrets?: readonly string[] } = {}): string[] {
  const checked = txtRecordSchema.safeParse(record);
  if (!checked.success) {
    const field = checked.error.issues[0]?.path[0];
    if (typeof field === 'string' && field in TXT_KEYS) throw invalid(field as Field, checked.error);
    throw new FleetProtocolError('ERR_TXT_INVALID_VALUE', `TXT record refused: ${checked.error.issues[0]?.message ?? 'invalid'}`);
  }
  const strings = [`txtvers=${TXT_VERSION}`];
  for (const field of FIELDS) {
    const value = encodeValue(checked.data, field);
    // Secrets shorter than 8 characters cannot be told from ordinary values; the seed never makes one that short.
    if (secrets.some((secret) => secret.length >= 8 && value.includes(secret))) {
      throw new FleetProtocolError('ERR_TXT_SECRET', `TXT key "${TXT_KEYS[field]}" would carry a secret; refused`, TXT_KEYS[field]);
    }
    strings.push(`${TXT_KEYS[field]}=${value}`);
  }
  checkSize(strings);
  return strings;
}

/** `key` → value (`undefined` for a boolean attribute without `=`), keys lower-cased (RFC 6763 §6.4). */
function splitAttributes(strings: readonly string[]): Map<string, string | undefined> {
  const attributes = new Map<string, string | undefined>();
  for (const s of strings) {
    const eq = s.indexOf('=');
    const key = (eq < 0 ? s : s.slice(0, eq)).toLowerCase();
    // §6.4: a string with no key (empty, or starting with "=") is silently ignored.
    if (key === '') continue;
    if (!/^[\x20-\x3c\x3e-\x7e]+$/.test(key)) {
      throw new FleetProtocolError('ERR_TXT_MALFORMED', 'a TXT key must be printable US-ASCII without "=" (RFC 6763 §6.4)');
    }
    // §6.4 says keep the first of repeated keys; we refuse the record instead, because two resolvers could keep
    // different ones and a spoofer could show each a different node.
    if (attributes.has(key)) throw new FleetProtocolError('ERR_TXT_DUPLICATE_KEY', `TXT key "${key}" appears twice`, key);
    attributes.set(key, eq < 0 ? undefined : s.slice(eq + 1));
  }
  return attributes;
}

/** A role list as written; role names this version does not know are skipped, as unknown keys are. */
function decodeRoles(value: string): unknown {
  if (value === '') return [];
  const tokens = value.split(',');
  if (tokens.some((t) => !/^[a-z][a-z0-9-]*$/.test(t))) return value;
  return tokens.filter((t): t is MeshRole => (MESH_ROLES as readonly string[]).includes(t));
}

function decodeValue(field: Field, value: string): unknown {
  if (field === 'meshRoles') return decodeRoles(value);
  if (field === 'apiPort') return /^[1-9][0-9]{0,4}$/.test(value) ? Number(value) : value;
  return value;
}

/**
 * Reads a TXT record back. Refused (FleetProtocolError, naming the key) when oversize, when `txtvers=1` is not the
 * first string, on a duplicate or malformed key, a missing required key or an invalid value. Keys this version does
 * not know are skipped, so newer nodes stay discoverable (RFC 6763 §6.7); they never reach the result.
 */
export function parseTxtRecord(strings: readonly string[]): TxtRecord {
  checkSize(strings);
  const first = strings[0] ?? '';
  if (!/^txtvers=/i.test(first)) throw new FleetProtocolError('ERR_TXT_VERSION', 'the first TXT string must be txtvers (RFC 6763 §6.7)', 'txtvers');
  const attributes = splitAttributes(strings);
  if (attributes.get('txtvers') !== TXT_VERSION) {
    throw new FleetProtocolError('ERR_TXT_VERSION', `txtvers "${attributes.get('txtvers') ?? ''}" is not supported (this reads ${TXT_VERSION})`, 'txtvers');
  }
  const raw: Partial<Record<Field, unknown>> = {};
  for (const field of FIELDS) {
    const key = TXT_KEYS[field];
    if (!attributes.has(key)) throw new FleetProtocolError('ERR_TXT_MISSING_KEY', `TXT key "${key}" is missing`, key);
    const value = attributes.get(key);
    if (value === undefined) throw new FleetProtocolError('ERR_TXT_INVALID_VALUE', `TXT key "${key}" has no value`, key);
    const parsed = txtRecordSchema.shape[field].safeParse(decodeValue(field, value));
    if (!parsed.success) throw invalid(field, parsed.error);
    raw[field] = parsed.data;
  }
  return txtRecordSchema.parse(raw);
}

export type TxtParseResult = { readonly ok: true; readonly record: TxtRecord } | { readonly ok: false; readonly error: FleetProtocolError };

/** `parseTxtRecord` for a discovery loop: any refusal comes back as a value, never as a throw. */
export function safeParseTxtRecord(strings: readonly string[]): TxtParseResult {
  try {
    return { ok: true, record: parseTxtRecord(strings) };
  } catch (e) {
    if (e instanceof FleetProtocolError) return { ok: false, error: e };
    throw e;
  }
}

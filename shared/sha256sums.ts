import { MaculaError } from './errors';

/**
 * Parsing of SHA256SUMS files as written by GNU coreutils `sha256sum` (default and `--tag` output), and lookup of
 * the entry for a downloaded file. Pure: the caller decodes bytes to text and verifies the signature first.
 */

/** One checksum line: the file name as written by the publisher and its lower-case hex SHA-256. */
export interface Sha256Entry {
  readonly name: string;
  readonly sha256: string;
  /** 1-based line number in the sums file, for messages. */
  readonly line: number;
}

/** The entries of a sums file, in file order, without duplicates. */
export interface Sha256Sums {
  readonly entries: readonly Sha256Entry[];
}

// `<64 hex><space><space|*><name>`, optionally led by `\` when the name is escaped (coreutils >= 8.16).
const GNU_LINE = /^(\\?)([0-9a-fA-F]{64}) ([ *])(.+)$/s;
// `SHA256 (<name>) = <64 hex>` from `sha256sum --tag` / BSD `sha256`; greedy name so `)` inside it is kept.
const TAG_LINE = /^(\\?)SHA256 \((.+)\) = ([0-9a-fA-F]{64})$/s;

/** Parses `sha256sum` output; a bad line, a duplicate name with another hash, or no entries → ERR_SUMS_MALFORMED. */
export function parseSha256Sums(text: string): Sha256Sums {
  const byName = new Map<string, Sha256Entry>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    // CRLF files (made on Windows) are accepted, as coreutils does; `#` lines are comments, as coreutils allows.
    const line = (lines[i] ?? '').replace(/\r$/, '');
    if (line.trim() === '' || line.startsWith('#')) continue;
    const entry = parseLine(line, lineNo);
    const previous = byName.get(entry.name);
    if (previous && previous.sha256 !== entry.sha256) {
      throw malformed(lineNo, `"${entry.name}" is listed again with a different hash (first on line ${previous.line})`);
    }
    if (!previous) byName.set(entry.name, entry);
  }
  if (byName.size === 0) {
    throw new MaculaError('ERR_SUMS_MALFORMED', 'SHA256SUMS contains no checksum lines');
  }
  return { entries: [...byName.values()] };
}

/**
 * The entry for `name`: the exact name first, else the entry whose base name equals the base name of `name`
 * (sums often list `./x.iso` or `dir/x.iso`). None, or several with different hashes → ERR_SUMS_NO_ENTRY.
 */
export function lookupSha256(sums: Sha256Sums, name: string): Sha256Entry {
  const exact = sums.entries.find((e) => e.name === name);
  if (exact) return exact;
  const base = baseName(name);
  const candidates = sums.entries.filter((e) => baseName(e.name) === base);
  const first = candidates[0];
  if (!first) {
    throw new MaculaError('ERR_SUMS_NO_ENTRY', `SHA256SUMS has no entry for "${name}"`, { path: name });
  }
  if (candidates.some((e) => e.sha256 !== first.sha256)) {
    const names = candidates.map((e) => `"${e.name}"`).join(', ');
    throw new MaculaError('ERR_SUMS_NO_ENTRY', `SHA256SUMS has no single entry for "${name}": ${names} differ`, {
      path: name,
    });
  }
  return first;
}

function parseLine(line: string, lineNo: number): Sha256Entry {
  const gnu = GNU_LINE.exec(line);
  if (gnu) return entry(gnu[4] ?? '', gnu[2] ?? '', gnu[1] === '\\', lineNo);
  const tag = TAG_LINE.exec(line);
  if (tag) return entry(tag[2] ?? '', tag[3] ?? '', tag[1] === '\\', lineNo);
  throw malformed(lineNo, 'expected "<sha256>  <name>" or "SHA256 (<name>) = <sha256>"');
}

function entry(rawName: string, hex: string, escaped: boolean, lineNo: number): Sha256Entry {
  const name = escaped ? unescapeName(rawName, lineNo) : rawName;
  return { name, sha256: hex.toLowerCase(), line: lineNo };
}

/** Reverses coreutils' name escaping: a line starting with `\` has `\\`, `\n` (and since 9.0 `\r`) in its name. */
function unescapeName(raw: string, lineNo: number): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = raw[++i];
    if (next === '\\') out += '\\';
    else if (next === 'n') out += '\n';
    else if (next === 'r') out += '\r';
    else throw malformed(lineNo, `invalid escape "\\${next ?? ''}" in file name`);
  }
  return out;
}

function baseName(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}

function malformed(lineNo: number, why: string): MaculaError {
  return new MaculaError('ERR_SUMS_MALFORMED', `SHA256SUMS line ${lineNo}: ${why}`);
}

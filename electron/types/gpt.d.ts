/**
 * Minimal typings for `gpt` 2.x (jhermsmeier's GUID Partition Table parser/serializer): only what the state-partition
 * planner uses. Its known gaps (see electron/engine/seed/partition-gpt.ts): `parseTable` drops empty slots, so a table
 * written back is renumbered; `attr` is read as a double and loses bits above 2^53 (xorriso's GUID:60 + bit 0);
 * `checksumTable` covers at least 16 KiB, not NumberOfPartitionEntries * SizeOfPartitionEntry bytes.
 */
declare module 'gpt' {
  namespace GPT {
    interface PartitionEntryOptions {
      type?: string;
      guid?: string;
      name?: string;
      firstLBA?: number;
      lastLBA?: number;
      attr?: number;
    }

    /** One 128-byte partition entry (UEFI 2.10 §5.3.3). GUIDs are upper-case text, names UCS-2. */
    class PartitionEntry {
      constructor(options?: PartitionEntryOptions);
      type: string;
      guid: string;
      name: string;
      firstLBA: number;
      lastLBA: number;
      attr: number;
      isEmpty(): boolean;
      parse(buffer: Buffer, offset?: number): this;
      /** Writes the 128 bytes at `offset`, zero-filling the name field first. */
      write(buffer?: Buffer, offset?: number): Buffer;
    }

    /** GUID text ⇄ the mixed-endian 16 bytes of UEFI 2.10 appendix A. */
    const GUID: {
      readonly ZERO: string;
      toString(buffer: Buffer, offset?: number): string;
      write(value: string, buffer?: Buffer, offset?: number): Buffer;
    };
  }

  /** A GPT header (UEFI 2.10 §5.3.2) and its entries. */
  class GPT {
    constructor(options?: { blockSize?: number });
    blockSize: number;
    guid: string;
    revision: number;
    headerSize: number;
    headerChecksum: number;
    currentLBA: number;
    backupLBA: number;
    firstLBA: number;
    lastLBA: number;
    tableOffset: number;
    entries: number;
    entrySize: number;
    tableChecksum: number;
    /** Reads the header fields at `offset`; throws on a missing "EFI PART" signature. */
    parseHeader(buffer: Buffer, offset?: number): this;
    /** Writes the header fields at `offset` and, unless `noChecksum`, the CRC32 of its first `headerSize` bytes. */
    writeHeader(buffer?: Buffer, offset?: number, noChecksum?: boolean): Buffer;
  }

  export = GPT;
}

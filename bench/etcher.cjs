/**
 * etcher-sdk's write + verify of one image to one block device, for `npm run bench -- flash` (bench/flash.ts).
 * Usage: node bench/etcher.cjs SDK_PREFIX IMAGE DEVICE
 *
 * etcher-sdk is not a dependency of the product: the bench installs it on demand under SDK_PREFIX (.cache/bench/
 * etcher-sdk). The source is a File, or the decompressing source `getInnerSource()` picks for a compressed image; the
 * destination is etcher-sdk's own BlockDevice (O_DIRECT, O_EXCL, its aligned write stream), given the drivelist-shaped
 * description of the loop device by hand since drivelist does not list loop devices. Prints `ELAPSED s` on stderr,
 * timed from opening the source to the end of the verification, and `CPU s` over the same span, as bench/probe.ts
 * does for our engine. etcher-sdk does not fsync a block device after an O_DIRECT write; that is its behaviour, kept.
 */
'use strict';
const { execFileSync } = require('node:child_process');
const { basename, join } = require('node:path');
const { readFileSync } = require('node:fs');

const [prefix, image, device] = process.argv.slice(2);
if (!prefix || !image || !device) {
  console.error('usage: node bench/etcher.cjs SDK_PREFIX IMAGE DEVICE');
  process.exit(2);
}
const sdk = require(join(prefix, 'node_modules', 'etcher-sdk'));

function sysfs(name) {
  return readFileSync(`/sys/class/block/${basename(device)}/${name}`, 'utf8').trim();
}

/** What drivelist would say about the device, had it listed loop devices. */
function driveOf(path) {
  const size = Number(execFileSync('blockdev', ['--getsize64', path], { encoding: 'utf8' }).trim());
  const logical = Number(sysfs('queue/logical_block_size'));
  return {
    device: path,
    devicePath: null,
    raw: path,
    description: 'macula bench loop device',
    size,
    blockSize: logical,
    logicalBlockSize: logical,
    mountpoints: [],
    isReadOnly: sysfs('ro') === '1',
    isSystem: false,
    isVirtual: true,
    isRemovable: true,
    isCard: false,
    isSCSI: false,
    isUSB: false,
    isUAS: false,
    busType: 'VIRTUAL',
    busVersion: null,
    enumerator: 'bench',
    error: null,
    partitionTableType: null,
  };
}

async function main() {
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  const file = new sdk.sourceDestination.File({ path: image });
  const source = await file.getInnerSource();
  const destination = new sdk.sourceDestination.BlockDevice({
    drive: driveOf(device),
    write: true,
    direct: true,
    unmountOnSuccess: false,
    keepOriginal: true,
  });
  const failures = [];
  const result = await sdk.multiWrite.pipeSourceToDestinations({
    source,
    destinations: [destination],
    verify: true,
    onFail: (_destination, error) => failures.push(error),
    onProgress: () => undefined,
  });
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuAtStart);
  if (failures.length > 0 || result.failures.size > 0) {
    const error = failures[0] ?? [...result.failures.values()][0];
    throw new Error(`etcher-sdk failed: ${error && error.message}`);
  }
  process.stderr.write(`etcher-sdk wrote ${result.bytesWritten} bytes, verified\n`);
  process.stderr.write(`ELAPSED ${elapsed.toFixed(3)}\nCPU ${((cpu.user + cpu.system) / 1e6).toFixed(3)}\n`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err && err.stack ? err.stack : String(err));
    process.exit(1);
  },
);

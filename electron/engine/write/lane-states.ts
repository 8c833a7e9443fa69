import { MaculaError } from '../../../shared/errors';
import { type Lane, type Streamed } from './lane';
import { asMaculaError } from './prepare-target';

/** Size of the disk a target stands for: a device's size, or a regular file's current length (image included). */
async function diskSize(lane: Lane): Promise<number> {
  const opened = lane.prepared?.opened;
  if (opened?.kind === 'file') return Number((await opened.handle.stat()).size);
  const { describeTarget } = await import('../drives/describe-target');
  const { size } = await describeTarget(lane.path);
  if (size === null) throw new MaculaError('ERR_TARGET_UNSUPPORTED', `the size of ${lane.path} is unknown: it cannot be given a state partition`, { path: lane.path });
  return size;
}

/**
 * Builds each seeded target's state filesystem, one after another (libext2fs is one instance), before the image
 * streams: it depends on the seed alone, and libext2fs's memory (its WebAssembly heap) is then taken while the chunk
 * pool is still empty instead of on top of it. Never throws: a target whose filesystem cannot be built (a seed too
 * big for it) keeps the reason and is written with the image alone.
 */
export async function buildStates(lanes: readonly Lane[]): Promise<void> {
  if (!lanes.some((l) => l.stateConfig !== undefined && l.writer)) return;
  const { buildTargetFilesystem } = await import('../seed/target-state');
  for (const lane of lanes) {
    if (lane.stateConfig === undefined || !lane.writer?.alive) continue;
    try {
      lane.stateFs = await buildTargetFilesystem(lane.stateConfig);
    } catch (err) {
      lane.stateFailure = asMaculaError(lane.path, err);
    }
  }
}

/**
 * Plans each seeded live target's state partition (its filesystem is built already). Never throws: a target that
 * cannot be seeded keeps the reason and is written with the image alone.
 */
export async function planStates(lanes: readonly Lane[], streamed: Streamed): Promise<void> {
  const first = streamed.first;
  if (!lanes.some((l) => l.stateFs !== undefined)) return;
  const { planTargetState } = await import('../seed/target-state');
  for (const lane of lanes) {
    const opened = lane.prepared?.opened;
    if (lane.stateFs === undefined || !opened || !lane.writer?.alive) continue;
    try {
      if (!first) throw new MaculaError('ERR_NO_ROOM_FOR_STATE', 'the image is empty: there is no partition table to add MACULAOS_STATE to');
      lane.state = planTargetState({
        filesystem: lane.stateFs,
        head: first.buffer.subarray(0, first.length),
        imageSize: streamed.size,
        targetSize: await diskSize(lane),
        sectorSize: opened.kind === 'file' ? 512 : opened.sectorSize,
      });
    } catch (err) {
      lane.stateFailure = asMaculaError(lane.path, err);
    }
  }
}


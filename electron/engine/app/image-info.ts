import type { IpcResponse } from '../../../shared/ipc-contract';
import { inspectImage } from '../inspect/inspect-image';

/** `image.inspect`: format, size and partition table of a local image, without hashing it. */
export async function inspectForApp(path: string): Promise<IpcResponse<'image.inspect'>> {
  const report = await inspectImage(path, { hash: false });
  return {
    path: report.path,
    compression: report.compression,
    compressedSize: report.compressedSize,
    layout: report.layout,
    ...(report.sizeHint !== undefined ? { size: report.sizeHint } : {}),
    ...(report.partitionTable ? { partitionTable: report.partitionTable.type } : {}),
    partitions: report.partitionTable?.partitions.length ?? 0,
    ...(report.volumeId !== undefined ? { volumeId: report.volumeId } : {}),
  };
}

import { nodeName } from '../../../shared/fleet/node-name';
import type { WriterResult } from '../../../shared/writer-protocol';
import { recordFlashedNode } from '../fleet/record-flashed-node';
import type { TargetSeed } from './target-seeds';

/**
 * After a flash (CLI and app alike): every target that was written, verified and seeded goes into the fleet inventory
 * with its pairing key, so `pair` and discovery know it. A failure to record does not undo a good flash: it comes
 * back as a warning per target.
 */
export async function recordSeededNodes(result: WriterResult, seeds: readonly TargetSeed[] | undefined, imageName: string, fleetDir?: string): Promise<{ target: string; nodeId: string; warning?: string }[]> {
  const recorded: { target: string; nodeId: string; warning?: string }[] = [];
  for (const [i, t] of result.targets.entries()) {
    const seed = seeds?.[i];
    if (!t.ok || !t.state || !seed || result.sha256 === undefined) continue;
    try {
      await recordFlashedNode(
        { nodeId: seed.nodeId, hostname: nodeName(seed.hostname, seed.nodeId), imageName, imageSha256: result.sha256, seededAt: new Date(), pairingKey: seed.pairingKey },
        ...(fleetDir !== undefined ? [fleetDir] : []),
      );
      recorded.push({ target: t.path, nodeId: seed.nodeId });
    } catch (err) {
      recorded.push({ target: t.path, nodeId: seed.nodeId, warning: `not recorded in the fleet inventory: ${err instanceof Error ? err.message : String(err)}` });
    }
  }
  return recorded;
}

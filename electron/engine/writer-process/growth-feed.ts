import { MaculaError } from '../../../shared/errors';
import { type GrowingFile, endGrowth } from '../source/growing-file';

/**
 * The writer's side of a growing image (shared/writer-protocol.ts, `growing`): the client's `grown` ends the file's
 * reads, `cancel` (or the client going away) fails them, whichever comes first and whether or not the file has been
 * opened yet.
 */
export class GrowthFeed {
  private file: GrowingFile | undefined;
  private size: number | undefined;
  private failure: Error | undefined;

  constructor(private readonly controller: AbortController) {}

  /** The image's growth, once opened; what was already said about it applies at once. */
  attach(file: GrowingFile): void {
    this.file = file;
    if (this.failure) file.fail(this.failure);
    else if (this.size !== undefined) file.finish(this.size);
  }

  detach(): void {
    if (this.file) endGrowth(this.file);
  }

  grown(size: number): void {
    this.size ??= size;
    this.file?.finish(size);
  }

  cancel(): void {
    const error = new MaculaError('ERR_ABORTED', 'cancelled');
    this.controller.abort(error);
    this.fail(error);
  }

  /** Input ended: a download not said to be complete by now never will be. */
  closed(): void {
    if (this.size === undefined) this.fail(new MaculaError('ERR_ABORTED', 'the client went away before the image was complete'));
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.file?.fail(error);
  }
}

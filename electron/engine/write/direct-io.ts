import { createRequire } from 'node:module';
import type * as DirectIo from '@ronomon/direct-io';

/**
 * @ronomon/direct-io, loaded through require: its package entry is the `.node` addon itself, which Node's ESM loader
 * refuses to import (ERR_UNKNOWN_FILE_EXTENSION).
 */
export const directIo = createRequire(import.meta.url)('@ronomon/direct-io') as typeof DirectIo;

/** Address alignment of every buffer handed to an O_DIRECT read or write: a 4 KiB (Advanced Format) sector. */
export const ALIGNMENT = 4096;

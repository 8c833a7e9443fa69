import { MaculaError } from '../../../shared/errors';
import type { TargetState } from '../seed/target-state';
import { type Lane, failureOf } from './lane';
import type { StateResult, TargetResult } from './write-types';

function stateResult(state: TargetState): StateResult {
  const { table, partitionNumber: partition, offset, size } = state.plan;
  return { table, partition, offset, size, uuid: state.uuid };
}

/** The failure of a target that holds the image (verified, unless verification was off) but not its seed. */
function notSeeded(lane: Lane, why: MaculaError): MaculaError {
  const message = `the image was written${lane.verified ? ' and verified' : ''} but NOT seeded: ${why.message}`;
  return new MaculaError(why.code, message, why.details, { cause: why });
}

export function resultOf(lane: Lane): TargetResult {
  const { path, notes, state } = lane;
  const failure = failureOf(lane) ?? (lane.stateFailure && notSeeded(lane, lane.stateFailure));
  if (failure === undefined) return { path, ok: true, verified: lane.verified, notes, ...(state ? { state: stateResult(state) } : {}) };
  const { code, message, details } = failure;
  const { offset, expected, actual } = details;
  const error = {
    code,
    message,
    ...(offset !== undefined ? { offset } : {}),
    ...(typeof expected === 'string' ? { expected } : {}),
    ...(typeof actual === 'string' ? { actual } : {}),
  };
  return { path, ok: false, notes, error };
}


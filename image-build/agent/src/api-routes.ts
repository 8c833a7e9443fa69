import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { NODE_API, SESSION_AUTH_SCHEME, type PairingStatus, type nodeInfoSchema } from '../../../shared/fleet/node-api';
import { ApiError, readRequest, sendError, sendResponse } from './api-io';
import { FIRST_BOOT_CSP } from './first-boot-page';
import type { AdoptionGrant } from '../../../shared/fleet/adopt-api';
import type { SignedSeedReport } from '../../../shared/fleet/seed-report';
import type { AdoptionDesk, AdoptRefusal } from './adoption';
import type { Handshake } from './handshake';
import type { RateLimiter } from './rate-limit';

/**
 * The node agent's HTTPS API (shared/fleet/node-api.ts) and its first-boot page at `/`. Before pairing anyone may
 * ask `info` and the page (both say the pairing state and no more) and run the challenge/proof handshake
 * (rate-limited per address); the pairing endpoints, which carry the user code and the organisation, want the
 * session token the handshake gives. Once paired, challenge and proof answer 410 `already_paired`: nobody can start a
 * new session against a node that has its credentials.
 *
 * A node with no pairing key yet (not seeded here) refuses the handshake with 409 `not_adopted` and opens
 * adopt/start|finish instead (shared/fleet/adopt-api.ts), rate-limited per address on their own budget; once a key
 * is installed those answer 409 `not_adoptable`. The setup code is never in any answer.
 */

export interface ApiContext {
  readonly handshake: Handshake;
  readonly limiter: RateLimiter;
  /** Adoption's own per-address budget: five wrong codes take ten requests, and the lock is what stops guessing. */
  readonly adoptLimiter: RateLimiter;
  /** Undefined on a node seeded with its key: there is nothing to adopt. */
  adoption(): AdoptionDesk | undefined;
  /** The seed report, MACed with the pairing key; undefined when the node has none. */
  seedReport(): Promise<SignedSeedReport | undefined>;
  /** Installs what an adoption granted (key, Portal) before the node's tag goes out. */
  install(grant: AdoptionGrant): Promise<void>;
  info(): z.input<typeof nodeInfoSchema>;
  status(): PairingStatus;
  start(mode: 'auto' | 'device_flow'): PairingStatus;
  /** The first-boot page: the pairing state only, as anyone may read it. */
  page(): string;
}

/** The client's address, IPv4-mapped IPv6 written as plain IPv4 so both forms share one rate-limit bucket. */
function clientAddress(req: IncomingMessage): string {
  return (req.socket.remoteAddress ?? 'unknown').replace(/^::ffff:/, '');
}

function requireSession(req: IncomingMessage, ctx: ApiContext): void {
  const header = req.headers.authorization ?? '';
  const [scheme, token, extra] = header.split(' ');
  const ok = scheme?.toLowerCase() === SESSION_AUTH_SCHEME.toLowerCase() && token !== undefined && extra === undefined && ctx.handshake.hasSession(token);
  // RFC 6750 §3: a protected resource answers 401 with a Bearer challenge.
  if (!ok) throw new ApiError(401, 'unauthorized', 'a session token from the proof step is required', { 'www-authenticate': SESSION_AUTH_SCHEME });
}

/** Challenge and proof: closed once paired, then counted against the caller's address. */
function guardHandshake(req: IncomingMessage, ctx: ApiContext): void {
  if (!ctx.handshake.ready) throw new ApiError(409, 'not_adopted', 'this node holds no pairing key yet: adopt it with the setup code on its console');
  if (ctx.status().state === 'paired') throw new ApiError(410, 'already_paired', 'this node is paired; pairing endpoints are closed');
  const wait = ctx.limiter.take(clientAddress(req));
  if (wait !== undefined) throw new ApiError(429, 'rate_limited', `too many attempts; retry in ${wait} s`, { 'retry-after': String(wait) });
}

/**
 * The adoption desk, after the caller's address is counted; 409 when the node has its key, 423 while locked (said
 * before the rate limit, so whoever asks learns the lock and its end rather than a per-address wait).
 */
function guardAdoption(req: IncomingMessage, ctx: ApiContext): AdoptionDesk {
  const desk = ctx.adoption();
  if (!desk) throw notAdoptable();
  const refused = desk.refusal();
  if (refused) throw adoptError(refused);
  const wait = ctx.adoptLimiter.take(clientAddress(req));
  if (wait !== undefined) throw new ApiError(429, 'rate_limited', `too many attempts; retry in ${wait} s`, { 'retry-after': String(wait) });
  return desk;
}

const notAdoptable = (): ApiError => new ApiError(409, 'not_adoptable', 'this node holds a pairing key already: pair it instead');

function adoptError(refusal: AdoptRefusal): ApiError {
  switch (refusal.error) {
    case 'not_adoptable':
      return notAdoptable();
    case 'adoption_locked':
      // RFC 4918 §11.3: the resource is locked; Retry-After (RFC 9110 §10.2.3) says until when.
      return new ApiError(423, 'adoption_locked', `too many wrong setup codes; adoption is locked for ${refusal.retryAfter} s, then the console shows a new code`, {
        'retry-after': String(refusal.retryAfter),
      });
    case 'code_invalid':
      return new ApiError(403, 'code_invalid', 'the setup code does not match the one on the node\'s console');
    case 'unknown_challenge':
      return new ApiError(400, 'unknown_challenge', 'no open adoption has this id');
    case 'challenge_expired':
      return new ApiError(400, 'challenge_expired', 'the adoption exchange expired');
    case 'invalid_request':
      return new ApiError(400, 'invalid_request', 'the sealed grant does not open');
  }
}

async function route(req: IncomingMessage, res: ServerResponse, ctx: ApiContext): Promise<void> {
  const path = new URL(req.url ?? '/', 'https://node.invalid').pathname;
  const key = `${req.method ?? ''} ${path}`;
  switch (key) {
    case 'GET /': {
      const html = ctx.page();
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': FIRST_BOOT_CSP, 'cache-control': 'no-store' }).end(html);
      return;
    }
    case `GET ${NODE_API.info.path}`:
      return sendResponse(res, 'info', ctx.info());
    case `POST ${NODE_API.challenge.path}`: {
      guardHandshake(req, ctx);
      const body = await readRequest(req, NODE_API.challenge.request);
      return sendResponse(res, 'challenge', ctx.handshake.challenge(body.desktop_nonce));
    }
    case `POST ${NODE_API.proof.path}`: {
      guardHandshake(req, ctx);
      const body = await readRequest(req, NODE_API.proof.request);
      const outcome = ctx.handshake.prove(body.challenge_id, body.desktop_proof);
      if (!outcome.ok) {
        const status = outcome.error === 'proof_invalid' ? 403 : 400;
        const message = { proof_invalid: 'the proof does not check out', challenge_expired: 'the challenge expired', unknown_challenge: 'no open challenge has this id' };
        throw new ApiError(status, outcome.error, message[outcome.error]);
      }
      return sendResponse(res, 'proof', { session_token: outcome.sessionToken, expires_in: outcome.expiresIn });
    }
    case `POST ${NODE_API.pairingStart.path}`: {
      requireSession(req, ctx);
      const body = await readRequest(req, NODE_API.pairingStart.request);
      return sendResponse(res, 'pairingStart', ctx.start(body.mode));
    }
    case `GET ${NODE_API.pairingStatus.path}`:
      requireSession(req, ctx);
      return sendResponse(res, 'pairingStatus', ctx.status());
    case `GET ${NODE_API.seedReport.path}`: {
      requireSession(req, ctx);
      const report = await ctx.seedReport();
      if (!report) throw new ApiError(404, 'no_seed_report', 'this node applied no seed this boot');
      return sendResponse(res, 'seedReport', report);
    }
    case `POST ${NODE_API.adoptStart.path}`: {
      const desk = guardAdoption(req, ctx);
      const body = await readRequest(req, NODE_API.adoptStart.request);
      const outcome = desk.start(body.sid, body.desktop_share);
      if (!outcome.ok) throw adoptError(outcome);
      return sendResponse(res, 'adoptStart', { adoption_id: outcome.adoptionId, node_share: outcome.nodeShare, expires_in: outcome.expiresIn });
    }
    case `POST ${NODE_API.adoptFinish.path}`: {
      const desk = guardAdoption(req, ctx);
      const body = await readRequest(req, NODE_API.adoptFinish.request);
      const outcome = desk.finish(body.adoption_id, body.desktop_confirm, body.sealed);
      if (!outcome.ok) throw adoptError(outcome);
      // Stored before the node confirms: a desktop that gets the tag can rely on the key being there.
      await ctx.install(outcome.grant);
      return sendResponse(res, 'adoptFinish', { node_confirm: outcome.nodeConfirm, node_id: outcome.grant.node_id });
    }
    default:
      throw new ApiError(404, 'not_found', `no ${req.method ?? ''} ${path}`);
  }
}

/** The request listener for node:https. */
export function apiHandler(ctx: ApiContext, onInternalError: (err: unknown) => void): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    route(req, res, ctx).catch((err: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (err instanceof ApiError) return sendError(res, err);
      onInternalError(err);
      res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
    });
  };
}

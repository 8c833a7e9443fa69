import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { NODE_API, SESSION_AUTH_SCHEME, type PairingStatus, type nodeInfoSchema } from '../../../shared/fleet/node-api';
import { ApiError, readRequest, sendError, sendResponse } from './api-io';
import { FIRST_BOOT_CSP } from './first-boot-page';
import type { Handshake } from './handshake';
import type { RateLimiter } from './rate-limit';

/**
 * The node agent's HTTPS API (shared/fleet/node-api.ts) and its first-boot page at `/`. Before pairing anyone may
 * ask `info` and the page (both say the pairing state and no more) and run the challenge/proof handshake
 * (rate-limited per address); the pairing endpoints, which carry the user code and the organisation, want the
 * session token the handshake gives. Once paired, challenge and proof answer 410 `already_paired`: nobody can start a
 * new session against a node that has its credentials.
 */

export interface ApiContext {
  readonly handshake: Handshake;
  readonly limiter: RateLimiter;
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
  if (ctx.status().state === 'paired') throw new ApiError(410, 'already_paired', 'this node is paired; pairing endpoints are closed');
  const wait = ctx.limiter.take(clientAddress(req));
  if (wait !== undefined) throw new ApiError(429, 'rate_limited', `too many attempts; retry in ${wait} s`, { 'retry-after': String(wait) });
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

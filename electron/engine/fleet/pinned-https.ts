import { createHash } from 'node:crypto';
import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { MaculaError } from '../../../shared/errors';
import { bytesToBase64url } from '../../../shared/fleet/base64url';

/**
 * HTTPS to a node agent, which has a self-signed certificate: no CA and no host name can vouch for it, so the
 * certificate's SHA-256 fingerprint is compared with the one expected (advertised in TXT `fp`, pinned in the inventory
 * once the node proved its key) before a single byte of the request is sent.
 */

/** Where a node's API is and the certificate it must present. */
export interface NodeEndpoint {
  readonly host: string;
  readonly port: number;
  /** base64url SHA-256 of the certificate's DER. */
  readonly fingerprint: string;
}

export interface NodeResponse {
  readonly status: number;
  /** The body parsed as JSON; undefined when it is not JSON. */
  readonly json: unknown;
}

/** A node's answers are small; anything larger is not the agent. */
const MAX_BODY_BYTES = 64 * 1024;
const TIMEOUT_MS = 10_000;

function fingerprintOf(socket: TLSSocket): string {
  const cert = socket.getPeerCertificate();
  return bytesToBase64url(new Uint8Array(createHash('sha256').update(cert.raw).digest()));
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * One request to the node's API. Rejects with ERR_NODE_IMPOSTOR when the certificate is not the expected one (nothing
 * sent), ERR_NODE_API when the node cannot be reached, times out or answers too much.
 */
export function callNode(endpoint: NodeEndpoint, method: 'GET' | 'POST', path: string, options: { body?: unknown; token?: string } = {}): Promise<NodeResponse> {
  const where = `${endpoint.host}:${endpoint.port}`;
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = request({
      host: endpoint.host,
      port: endpoint.port,
      method,
      path,
      // The chain and name checks are replaced by the fingerprint check below.
      rejectUnauthorized: false,
      // A fresh connection per request: the pin is checked on every one.
      agent: false,
      timeout: TIMEOUT_MS,
      headers: {
        accept: 'application/json',
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      },
    });
    req.on('socket', (socket) => {
      (socket as TLSSocket).once('secureConnect', () => {
        const seen = fingerprintOf(socket as TLSSocket);
        if (seen !== endpoint.fingerprint) {
          req.destroy(
            new MaculaError('ERR_NODE_IMPOSTOR', `the node at ${where} presents certificate ${seen}, not ${endpoint.fingerprint}: nothing was sent to it`, {
              expected: endpoint.fingerprint,
              actual: seen,
            }),
          );
        } else {
          req.end(payload);
        }
      });
    });
    req.on('timeout', () => req.destroy(new MaculaError('ERR_NODE_API', `the node at ${where} did not answer ${method} ${path} within ${TIMEOUT_MS / 1000} s`)));
    req.on('error', (err) =>
      reject(err instanceof MaculaError ? err : new MaculaError('ERR_NODE_API', `cannot reach the node at ${where}: ${err.message}`, {}, { cause: err })),
    );
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) req.destroy(new MaculaError('ERR_NODE_API', `the node at ${where} answered more than ${MAX_BODY_BYTES} bytes`));
        else chunks.push(chunk);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: parseJson(Buffer.concat(chunks).toString('utf8')) }));
    });
  });
}

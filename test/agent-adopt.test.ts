import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ADOPT_AD_DESKTOP, ADOPT_AD_NODE, adoptChannelId, openGrant, sealGrant } from '../electron/engine/fleet/adopt-crypto';
import { calculateGenerator, confirmationTag, cpaceIsk, cpaceShare, tagsEqual } from '../electron/engine/fleet/cpace';
import { verifySeedReport } from '../electron/engine/fleet/seed-report-fetch';
import { type RunningAgent, startAgent } from '../image-build/agent/src/agent';
import { makeNodeFixture } from '../image-build/agent/testing/fixtures';
import { openSession, pinnedRequest } from '../image-build/agent/testing/pinned-client';
import { adoptFinishResponseSchema, adoptStartResponseSchema } from '../shared/fleet/adopt-api';
import { base64urlToBytes, bytesToBase64url } from '../shared/fleet/base64url';
import { NODE_API } from '../shared/fleet/node-api';
import { signedSeedReportSchema } from '../shared/fleet/seed-report';
import { SETUP_CODE_LENGTH, setupCodeFrom } from '../shared/fleet/setup-code';

/**
 * Adoption as a watcher of the traffic sees it (issue 14 item 3), and the seed report as a forger would make it
 * (item 6), against the real agent on 127.0.0.1. The watcher is given every byte of the exchange in the clear — more
 * than TLS lets it see — and still has nothing to test setup codes against: no field of the transcript is a function
 * of the code alone, and checking a guess needs an ephemeral scalar that never left either side.
 */

let dir: string | undefined;
let agent: RunningAgent | undefined;

afterEach(async () => {
  await agent?.close();
  agent = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

const b64 = (b: Uint8Array): string => bytesToBase64url(b);
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

interface Transcript {
  readonly nodeId: string;
  readonly fingerprint: string;
  readonly sid: string;
  readonly ya: string;
  readonly yb: string;
  readonly ta: string;
  readonly tb: string;
  readonly sealed: ReturnType<typeof sealGrant>;
}

/** The desktop's side done by hand, recording everything that crossed the wire. */
async function adoptRecorded(a: RunningAgent, code: string): Promise<{ transcript: Transcript; ya: Uint8Array; key: string }> {
  const target = { host: '127.0.0.1', port: a.port, pin: a.fingerprint };
  const sid = new Uint8Array(randomBytes(16));
  const session = { prs: utf8(code), ci: adoptChannelId(a.nodeId, base64urlToBytes(a.fingerprint)), sid };
  const own = cpaceShare(session);
  const startRes = await pinnedRequest(target, 'POST', NODE_API.adoptStart.path, { body: { sid: b64(sid), desktop_share: b64(own.share) } });
  expect(startRes.status, startRes.body).toBe(200);
  const start = adoptStartResponseSchema.parse(startRes.json());
  const yb = base64urlToBytes(start.node_share);
  const isk = cpaceIsk(session, own, yb, { ya: own.share, ada: ADOPT_AD_DESKTOP, yb, adb: ADOPT_AD_NODE });
  if (!isk) throw new Error('no key');
  const key = b64(new Uint8Array(randomBytes(32)));
  const sealed = sealGrant(isk, sid, { node_id: a.nodeId, pairing_key: key });
  const ta = b64(confirmationTag(isk, sid, own.share, ADOPT_AD_DESKTOP));
  const finishRes = await pinnedRequest(target, 'POST', NODE_API.adoptFinish.path, { body: { adoption_id: start.adoption_id, desktop_confirm: ta, sealed } });
  expect(finishRes.status, finishRes.body).toBe(200);
  const tb = adoptFinishResponseSchema.parse(finishRes.json()).node_confirm;
  return { transcript: { nodeId: a.nodeId, fingerprint: a.fingerprint, sid: b64(sid), ya: b64(own.share), yb: start.node_share, ta, tb, sealed }, ya: own.scalar, key };
}

/**
 * Whether `candidate` is consistent with the transcript. The code enters CPace only through the generator g, and Ya =
 * ya·g: with the desktop's ephemeral `scalar` ya (if the attacker somehow had it) a guess is checked by recomputing
 * Ya. Without it, the attacker tries every stand-in for the missing scalar it can form from the transcript and the
 * candidate alone, against the desktop's tag and the sealed grant.
 */
function consistent(t: Transcript, candidate: string, scalar: Uint8Array | undefined): boolean {
  const sid = base64urlToBytes(t.sid);
  const session = { prs: utf8(candidate), ci: adoptChannelId(t.nodeId, base64urlToBytes(t.fingerprint)), sid };
  const ya = base64urlToBytes(t.ya);
  const yb = base64urlToBytes(t.yb);
  const transcript = { ya, ada: ADOPT_AD_DESKTOP, yb, adb: ADOPT_AD_NODE };
  const ta = base64urlToBytes(t.ta);
  if (scalar) return b64(cpaceShare(session, scalar).share) === t.ya;
  // Without a scalar: the generator of the candidate, and the shares themselves, as stand-ins for ya and yb.
  const g = calculateGenerator(session.prs, session.ci, sid);
  for (const standIn of [g, ya, yb]) {
    const isk = cpaceIsk(session, { scalar: standIn, share: ya }, yb, transcript);
    if (isk && (tagsEqual(confirmationTag(isk, sid, ya, ADOPT_AD_DESKTOP), ta) || openGrant(isk, sid, t.nodeId, t.sealed))) return true;
  }
  return false;
}

describe('adoption against the real agent: what a watcher of the traffic can do with it', () => {
  it('adopts an unseeded node, whose code is in no answer and no TXT string, and leaves a transcript useless offline', async () => {
    dir = await mkdtemp(join(tmpdir(), 'macula-adopt-'));
    agent = await startAgent({ seed: join(dir, 'no-seed.yaml'), stateDir: join(dir, 'state'), host: '127.0.0.1', port: 0, mdns: false, osVersion: '0.1.0' });
    const state = agent.setupCode;
    if (state.kind !== 'open') throw new Error(`no setup code: ${state.kind}`);
    expect(agent.txt.join('\n')).toContain('st=unadopted');
    expect(agent.txt.join('\n')).not.toContain(state.code);
    const { transcript, ya } = await adoptRecorded(agent, state.code);
    const wire = JSON.stringify(transcript);
    expect(wire).not.toContain(state.code);
    expect(agent.txt.join('\n')).toContain('st=unpaired');

    // The dictionary: the right code among three hundred others, the nearest ones included.
    const wrong = Array.from({ length: 300 }, () => setupCodeFrom(new Uint8Array(randomBytes(SETUP_CODE_LENGTH))));
    const near = Array.from('0123456789ABCDEF', (ch) => `${state.code.slice(0, 9)}${ch}`).filter((c) => c !== state.code);
    const dictionary = [...wrong, ...near, state.code];
    // Nothing in the transcript is a function of the code alone: no share is any candidate's generator…
    for (const candidate of dictionary) {
      const g = b64(calculateGenerator(utf8(candidate), adoptChannelId(transcript.nodeId, base64urlToBytes(transcript.fingerprint)), base64urlToBytes(transcript.sid)));
      expect([transcript.ya, transcript.yb]).not.toContain(g);
    }
    // …and the offline check singles out no candidate, not even the right one: the watcher cannot tell it apart.
    expect(dictionary.filter((c) => consistent(transcript, c, undefined))).toEqual([]);
    // The check itself works: with the desktop's ephemeral scalar (which never leaves the desktop) it finds the code,
    // and only it. Without that scalar — a CDH problem per guess — the transcript alone is not enough.
    expect(dictionary.filter((c) => consistent(transcript, c, ya))).toEqual([state.code]);
  });

  it('stays adopted across a restart: same node id, the installed key proves itself, no code, no second adoption', async () => {
    dir = await mkdtemp(join(tmpdir(), 'macula-adopt-'));
    const options = { seed: join(dir, 'no-seed.yaml'), stateDir: join(dir, 'state'), host: '127.0.0.1', port: 0, mdns: false as const, osVersion: '0.1.0' };
    agent = await startAgent(options);
    const state = agent.setupCode;
    if (state.kind !== 'open') throw new Error('no setup code');
    const { key } = await adoptRecorded(agent, state.code);
    const nodeId = agent.nodeId;
    await agent.close();
    agent = await startAgent(options);
    expect(agent.nodeId).toBe(nodeId);
    expect(agent.setupCode.kind).toBe('closed');
    expect(agent.txt).toContain('st=unpaired');
    const target = { host: '127.0.0.1', port: agent.port, pin: agent.fingerprint };
    await expect(openSession(target, base64urlToBytes(key))).resolves.toMatch(/^[A-Za-z0-9_-]{43}$/);
    const again = await pinnedRequest(target, 'POST', NODE_API.adoptStart.path, { body: { sid: 'A'.repeat(22), desktop_share: `CQ${'A'.repeat(41)}` } });
    expect([again.status, again.body]).toEqual([409, expect.stringContaining('not_adoptable')]);
  });
});

describe('the seed report as a forger would make it', () => {
  it('serves the report MACed with the pairing key, and the desktop refuses one that does not verify', async () => {
    const fixture = await makeNodeFixture();
    dir = fixture.dir;
    const reportPath = join(fixture.dir, 'seed-report.json');
    const report = {
      version: 1,
      applied_at: new Date().toISOString(),
      entries: [
        { key: 'hostname', status: 'applied' },
        { key: 'wifi', status: 'failed', reason: 'no wireless interface: no driver or firmware for the Wi-Fi chip' },
      ],
    };
    await writeFile(reportPath, JSON.stringify(report));
    agent = await startAgent({ seed: fixture.seedPath, seedReport: reportPath, stateDir: fixture.stateDir, host: '127.0.0.1', port: 0, mdns: false, osVersion: '0.1.0' });
    const target = { host: '127.0.0.1', port: agent.port, pin: agent.fingerprint };
    // Only for a session: a stranger gets no report.
    expect((await pinnedRequest(target, 'GET', NODE_API.seedReport.path)).status).toBe(401);
    const token = await openSession(target, fixture.keyBytes);
    const res = await pinnedRequest(target, 'GET', NODE_API.seedReport.path, { token });
    expect(res.status, res.body).toBe(200);
    const signed = signedSeedReportSchema.parse(res.json());
    const expected = { nodeId: fixture.nodeId, key: fixture.keyBytes, fingerprint: agent.fingerprint };
    expect(verifySeedReport(signed, expected).entries).toContainEqual({ key: 'wifi', status: 'failed', reason: expect.stringContaining('no wireless interface') });

    // A forger turns the failure into success, or replays the report as another node's, or signs with its own key.
    const forged = { ...signed, report: signed.report.replace('"status":"failed","reason":"no wireless interface: no driver or firmware for the Wi-Fi chip"', '"status":"applied"') };
    expect(forged.report).not.toBe(signed.report);
    expect(() => verifySeedReport(forged, expected)).toThrow(expect.objectContaining({ code: 'ERR_SEED_REPORT_INVALID' }));
    expect(() => verifySeedReport({ ...signed, node_id: 'another-node' }, { ...expected, nodeId: 'another-node' })).toThrow(expect.objectContaining({ code: 'ERR_SEED_REPORT_INVALID' }));
    expect(() => verifySeedReport(signed, { ...expected, key: new Uint8Array(randomBytes(32)) })).toThrow(expect.objectContaining({ code: 'ERR_SEED_REPORT_INVALID' }));
    expect(() => verifySeedReport(signed, { ...expected, fingerprint: b64(new Uint8Array(randomBytes(32))) })).toThrow(expect.objectContaining({ code: 'ERR_SEED_REPORT_INVALID' }));
  });
});

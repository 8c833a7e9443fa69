/**
 * The real node agent as its own process inside a network namespace, for the pairing tests:
 * `agent-host.ts CONFIG_JSON` with { seed, stateDir, host, port, portalUrl } → startAgent with its own mDNS responder on
 * `host` and an http Portal allowed (the contract server; main.ts never allows that). Prints `{"listening": …}` with
 * the fingerprint and node id, then `{"state": …}` on every pairing change. SIGTERM closes it (mDNS goodbye).
 * A node waiting to be adopted also prints `{"console_setup_code": …}` whenever its code changes: that line stands for
 * the node's console (main.ts prints the code there), the only place the code is ever shown.
 */
import { startAgent } from '../../image-build/agent/src/agent';

interface AgentHostConfig {
  readonly seed: string;
  readonly stateDir: string;
  readonly host: string;
  readonly port: number;
  readonly portalUrl: string;
  /** Start the Portal exchange at once, as main.ts does on a node (default false: a desktop starts it). */
  readonly pairOnStart?: boolean;
  readonly seedReport?: string;
  readonly adoption?: { readonly codeTtlMs?: number; readonly lockMs?: number };
}

const config = JSON.parse(process.argv[2] ?? '{}') as AgentHostConfig;
const agent = await startAgent({
  seed: config.seed,
  stateDir: config.stateDir,
  host: config.host,
  port: config.port,
  mdns: { interface: config.host },
  portalUrl: config.portalUrl,
  allowInsecurePortal: true,
  pairOnStart: config.pairOnStart ?? false,
  ...(config.seedReport ? { seedReport: config.seedReport } : {}),
  ...(config.adoption ? { adoption: config.adoption } : {}),
  osVersion: '0.1.0',
  arch: 'amd64',
  onError: (err) => console.error(`agent error: ${err instanceof Error ? err.message : String(err)}`),
});
console.log(JSON.stringify({ listening: agent.port, fingerprint: agent.fingerprint, nodeId: agent.nodeId }));
agent.onChange((status) => console.log(JSON.stringify({ state: status.state })));
const showCode = (): void => console.log(JSON.stringify({ console_setup_code: agent.setupCode }));
if (agent.setupCode.kind !== 'closed') showCode();
agent.onSetupCode(showCode);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void agent.close().then(() => process.exit(0)));

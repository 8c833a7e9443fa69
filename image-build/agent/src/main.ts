import { parseArgs } from 'node:util';
import { DEFAULT_PORT, DEFAULT_SEED_REPORT, DEFAULT_STATE_DIR, startAgent } from './agent';
import { lanAddresses } from './os-facts';
import { setupCodeScreen } from './setup-code-screen';
import { welcomeBanner } from './welcome-banner';

/**
 * `node macula-agent.js --seed PATH [--seed-report PATH] [--state-dir DIR] [--port N] [--host ADDR] [--mdns-interface ADDR]
 * [--no-mdns] [--no-pair-on-start]`: the node agent as the OS's init script runs it, seeded or not. Prints the welcome
 * banner at start and again whenever the pairing state changes, and on a node waiting to be adopted the setup code
 * (with its QR code) whenever it changes — to the console and journal only. The Portal is always the seed's or the
 * adopting desktop's (https only): no flag loosens that.
 */

const USAGE =
  'usage: macula-agent --seed PATH [--seed-report PATH] [--state-dir DIR] [--port N] [--host ADDR] [--mdns-interface ADDR] [--no-mdns] [--no-pair-on-start]';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string' },
      'seed-report': { type: 'string', default: DEFAULT_SEED_REPORT },
      'state-dir': { type: 'string', default: DEFAULT_STATE_DIR },
      port: { type: 'string', default: String(DEFAULT_PORT) },
      host: { type: 'string' },
      'mdns-interface': { type: 'string' },
      'no-mdns': { type: 'boolean', default: false },
      'no-pair-on-start': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = Number(values.port);
  if (values.seed === undefined || !Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(USAGE);
    process.exitCode = 2;
    return;
  }
  const agent = await startAgent({
    seed: values.seed,
    seedReport: values['seed-report'],
    stateDir: values['state-dir'],
    port,
    ...(values.host ? { host: values.host } : {}),
    mdns: values['no-mdns'] ? false : values['mdns-interface'] ? { interface: values['mdns-interface'] } : {},
    pairOnStart: !values['no-pair-on-start'],
    onError: (err) => console.error('macula-agent:', err instanceof Error ? err.message : err),
  });
  const banner = () => console.log(welcomeBanner({ hostname: agent.hostname, addresses: lanAddresses(), port: agent.port, status: agent.state }));
  banner();
  // Machine-readable line for the init script and tests (no secrets: id, port and fingerprint are all public).
  console.log(JSON.stringify({ event: 'listening', node_id: agent.nodeId, port: agent.port, fingerprint: agent.fingerprint }));
  agent.onChange(banner);
  const showCode = (): void => {
    void setupCodeScreen(agent.hostname, agent.nodeId, agent.setupCode).then((text) => console.log(text));
  };
  if (agent.setupCode.kind !== 'closed') showCode();
  agent.onSetupCode(showCode);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void agent.close().then(() => process.exit(0));
    });
  }
}

main().catch((err: unknown) => {
  console.error('macula-agent:', err instanceof Error ? err.message : err);
  process.exit(1);
});

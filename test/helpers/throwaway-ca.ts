import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A CA made for one test run and a server certificate it signed, all PEM. */
export interface ThrowawayCa {
  readonly caCert: string;
  readonly serverKey: string;
  readonly serverCert: string;
}

/**
 * Makes a CA and a server certificate for `ip` (an IP subjectAltName: the node reaches the Portal by address, there is
 * no DNS on the test LAN) with openssl, in `dir`. P-256 keys, one day: nothing outlives the test.
 */
export async function throwawayCa(dir: string, ip: string): Promise<ThrowawayCa> {
  const f = (name: string): string => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await run('openssl', ['req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '1', '-subj', '/CN=Macula e2e throwaway CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  await run('openssl', ['req', '-new', ...ec, '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', `/CN=${ip}`]);
  // The extensions of the signed certificate: RFC 5280 §4.2.1.6 (an IP address SAN), serverAuth for TLS servers.
  await writeFile(f('server.ext'), `subjectAltName=IP:${ip}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`);
  await run('openssl', ['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial',
    '-out', f('server.pem'), '-days', '1', '-extfile', f('server.ext')]);
  const [caCert, serverKey, serverCert] = await Promise.all(['ca.pem', 'server.key', 'server.pem'].map((n) => readFile(f(n), 'utf8')));
  return { caCert: caCert ?? '', serverKey: serverKey ?? '', serverCert: serverCert ?? '' };
}

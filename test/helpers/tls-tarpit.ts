/**
 * A node API that never finishes a TLS handshake, for tests that need a pairing to stay in its first step: it answers
 * every connection with the header of a 16 KiB handshake record and then one byte every second, so the client waits
 * for the record's end and never reaches its idle timeout. `tls-tarpit.ts HOST PORT`; prints `listening`.
 */
import { createServer } from 'node:net';

const [host, port] = process.argv.slice(2);
if (!host || !port) throw new Error('usage: tls-tarpit.ts HOST PORT');
const server = createServer((socket) => {
  // TLS record header (RFC 8446 §5.1): handshake (22), legacy version 3.3, length 0x4000.
  socket.write(Buffer.from([22, 3, 3, 0x40, 0x00]));
  const drip = setInterval(() => socket.write(Buffer.from([0])), 1000);
  socket.on('error', () => clearInterval(drip));
  socket.on('close', () => clearInterval(drip));
});
server.listen(Number(port), host, () => console.log('listening'));

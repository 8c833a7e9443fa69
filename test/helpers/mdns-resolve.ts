/**
 * `mdns-resolve.ts INTERFACE_ADDRESS NAME.local [SECONDS]`: what `avahi-resolve -n NAME.local` does, without the
 * avahi-daemon and D-Bus a test namespace lacks: asks for NAME's A record over mDNS (RFC 6762 §5.3, a one-shot query
 * from the interface at INTERFACE_ADDRESS, repeated each second) and prints `{"name": …, "address": …}` for the first
 * answer, or `{"error": "timeout"}` and exit 1.
 */
import makeMdns from 'multicast-dns';

const [iface, name, seconds = '10'] = process.argv.slice(2);
if (!iface || !name) throw new Error('usage: mdns-resolve.ts INTERFACE_ADDRESS NAME.local [SECONDS]');
const mdns = makeMdns({ interface: iface, bind: '0.0.0.0', reuseAddr: true });
const ask = (): void => mdns.query({ questions: [{ name, type: 'A' }] });
mdns.on('response', (packet) => {
  for (const answer of [...packet.answers, ...(packet.additionals ?? [])]) {
    if (answer.type === 'A' && answer.name.toLowerCase() === name.toLowerCase()) {
      console.log(JSON.stringify({ name: answer.name, address: answer.data }));
      mdns.destroy();
      process.exit(0);
    }
  }
});
ask();
const timer = setInterval(ask, 1000);
setTimeout(() => {
  clearInterval(timer);
  console.log(JSON.stringify({ error: 'timeout' }));
  mdns.destroy();
  process.exit(1);
}, Number(seconds) * 1000);

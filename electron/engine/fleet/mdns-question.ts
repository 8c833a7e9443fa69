/** A question a DNS-SD browser asks (RFC 6763 §4: PTR to browse, SRV + TXT to resolve, A/AAAA for addresses). */
export interface MdnsQuestion {
  /** Normalized or as advertised: mDNS compares names case-insensitively (RFC 6762 §16). */
  readonly name: string;
  readonly type: 'PTR' | 'SRV' | 'TXT' | 'A' | 'AAAA';
}

/** A question as a map key: type and lower-cased name. */
export function questionKey(question: MdnsQuestion): string {
  return `${question.type}|${question.name.replace(/\.$/, '').toLowerCase()}`;
}

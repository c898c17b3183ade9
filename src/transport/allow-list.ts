/**
 * Which TCP clients a server accepts: addresses and CIDR ranges, IPv4 and IPv6. A client that
 * connects over IPv6 with an IPv4-mapped address (`::ffff:192.168.1.7`, what a server bound
 * to `::` sees from IPv4 clients) matches the IPv4 entries too, so users write addresses the
 * way they know them. Lives in the transport layer because it uses `node:net`.
 */
import * as net from 'node:net';

export type AllowListParse = { ok: true; entries: string[] } | { ok: false; reason: string };

/** Reads "192.168.1.0/24, 10.0.0.7 fd00::/8" (commas or spaces between entries). Empty text: no entries. */
export function parseAllowList(text: string): AllowListParse {
  const entries = text.split(/[\s,;]+/).filter((entry) => entry !== '');
  for (const entry of entries) {
    const problem = entryProblem(entry);
    if (problem) return { ok: false, reason: problem };
  }
  return { ok: true, entries };
}

function entryProblem(entry: string): string | undefined {
  const [address, prefix, extra] = entry.split('/');
  const family = net.isIP(address);
  if (family === 0 || extra !== undefined) return `"${entry}" is not an IP address or CIDR range (e.g. 192.168.1.0/24)`;
  if (prefix === undefined) return undefined;
  const bits = Number(prefix);
  const max = family === 4 ? 32 : 128;
  if (prefix === '' || !Number.isInteger(bits) || bits < 0 || bits > max) return `"${entry}": the prefix length must be from 0 to ${max}`;
  return undefined;
}

/** A parsed, non-empty allow list. */
export class AllowList {
  private readonly rules = new net.BlockList();

  /** `entries` as `parseAllowList` returned them (already checked). */
  constructor(readonly entries: readonly string[]) {
    for (const entry of entries) {
      const [address, prefix] = entry.split('/');
      const type = net.isIP(address) === 4 ? 'ipv4' : 'ipv6';
      if (prefix === undefined) this.rules.addAddress(address, type);
      else this.rules.addSubnet(address, Number(prefix), type);
    }
  }

  allows(address: string | undefined): boolean {
    if (!address) return false;
    const family = net.isIP(address);
    // BlockList matches an IPv4-mapped IPv6 address against the IPv4 rules by itself.
    return family !== 0 && this.rules.check(address, family === 4 ? 'ipv4' : 'ipv6');
  }
}

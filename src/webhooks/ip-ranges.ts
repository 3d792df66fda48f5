// Literal IP addresses that a webhook must not target: IANA special-purpose ranges (RFC 6890 and successors), IPv4 and IPv6.

/** [network, prefix length] of every IPv4 block that is not public unicast. */
const IPV4_RESERVED: ReadonlyArray<readonly [string, number]> = [
  ["0.0.0.0", 8], // "this network"
  ["10.0.0.0", 8], // private (RFC 1918)
  ["100.64.0.0", 10], // carrier-grade NAT (RFC 6598)
  ["127.0.0.0", 8], // loopback
  ["169.254.0.0", 16], // link-local, cloud metadata endpoints
  ["172.16.0.0", 12], // private
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.0.2.0", 24], // documentation
  ["192.88.99.0", 24], // 6to4 relay anycast (deprecated)
  ["192.168.0.0", 16], // private
  ["198.18.0.0", 15], // benchmarking
  ["198.51.100.0", 24], // documentation
  ["203.0.113.0", 24], // documentation
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, and 255.255.255.255 broadcast
];

/** Blocks inside global unicast 2000::/3 that are still not public: [first 16-bit groups, prefix length]. */
const IPV6_RESERVED_IN_GLOBAL: ReadonlyArray<readonly [number[], number]> = [
  [[0x2001, 0x0000], 23], // IETF protocol assignments (Teredo, ORCHID, benchmarking ...)
  [[0x2001, 0x0db8], 32], // documentation
  [[0x2002], 16], // 6to4: embeds an IPv4 address, private ones included
  [[0x3fff, 0x0000], 20], // documentation (RFC 9637)
];

/** Parses a dotted-quad IPv4 address (the form WHATWG URL parsing normalises every IPv4 host to). */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

/** Parses an IPv6 address (no brackets, optional embedded IPv4 tail) into 8 groups. */
export function parseIpv6(text: string): number[] | undefined {
  let body = text.toLowerCase();
  const tail: number[] = [];
  const v4 = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(body);
  if (v4) {
    const n = parseIpv4(v4[2]!);
    if (n === undefined) return undefined;
    tail.push(n >>> 16, n & 0xffff);
    body = v4[1]!.endsWith("::") ? v4[1]! : v4[1]!.slice(0, -1);
  }
  const halves = body.split("::");
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  if (![...head, ...rest].every((g) => /^[0-9a-f]{1,4}$/.test(g))) return undefined;
  const explicit = head.length + rest.length + tail.length;
  if (halves.length === 1 ? explicit !== 8 : explicit > 7) return undefined;
  const zeros = new Array<number>(8 - explicit).fill(0);
  return [...head.map((g) => parseInt(g, 16)), ...zeros, ...rest.map((g) => parseInt(g, 16)), ...tail];
}

export function isReservedIpv4(address: number): boolean {
  return IPV4_RESERVED.some(([base, bits]) => {
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    return (address & mask) >>> 0 === (parseIpv4(base)! & mask) >>> 0;
  });
}

/** Anything outside global unicast 2000::/3 (loopback, unspecified, IPv4-mapped, NAT64, ULA, link-local, multicast ...) is reserved. */
export function isReservedIpv6(groups: readonly number[]): boolean {
  if ((groups[0]! & 0xe000) !== 0x2000) return true;
  return IPV6_RESERVED_IN_GLOBAL.some(([prefix, bits]) => matchesPrefix(groups, prefix, bits));
}

function matchesPrefix(groups: readonly number[], prefix: readonly number[], bits: number): boolean {
  for (let i = 0, left = bits; i < prefix.length && left > 0; i++, left -= 16) {
    const mask = left >= 16 ? 0xffff : (0xffff << (16 - left)) & 0xffff;
    if ((groups[i]! & mask) !== (prefix[i]! & mask)) return false;
  }
  return true;
}

/** IPv4 network arithmetic for the cross-field rules: CIDRs that must not overlap, addresses inside one. */
import { isIPv4 } from "./values";

export interface Cidr {
    readonly text: string;
    readonly base: number;
    readonly bits: number;
}

export function ipToInt(ip: string): number {
    return ip.split(".").reduce((acc, part) => acc * 256 + Number(part), 0);
}

/** a.b.c.d/n, host bits allowed (the schema refuses them separately, with its own message). */
export function parseCidr(text: unknown): Cidr | undefined {
    const m = typeof text === "string" ? /^([^/]+)\/(\d{1,2})$/.exec(text) : null;
    if (!m || !isIPv4(m[1]) || Number(m[2]) > 32) {
        return undefined;
    }
    return { text: text as string, base: ipToInt(m[1]), bits: Number(m[2]) };
}

export function blockSize(c: Cidr): number {
    return 2 ** (32 - c.bits);
}

export function hasHostBits(c: Cidr): boolean {
    return c.base % blockSize(c) !== 0;
}

/** The CIDR, when it is one with no host bits set; what the cross-field rules may rely on. */
export function validCidr(text: unknown): Cidr | undefined {
    const c = parseCidr(text);
    return c && !hasHostBits(c) ? c : undefined;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
    return a.base < b.base + blockSize(b) && b.base < a.base + blockSize(a);
}

export function contains(net: Cidr, ip: string): boolean {
    const n = ipToInt(ip);
    return n >= net.base && n < net.base + blockSize(net);
}

export function isNetworkOrBroadcast(net: Cidr, ip: string): boolean {
    const n = ipToInt(ip);
    return n === net.base || n === net.base + blockSize(net) - 1;
}

/**
 * How a problem quotes what the operator wrote: whole when short, cut to 80 characters with its length
 * said when long, so a pasted certificate or a runaway value never floods the report; and the patterns
 * the JSON Schema carries for editors agree with the program's own checks.
 */
import { validCidr } from "../../config/net";
import { quote, QUOTE_LIMIT } from "../../config/problems";
import { CIDR_PATTERN, IPV4_PATTERN, isIPv4 } from "../../config/values";
import { nodes, problemsOf } from "./rules";

describe("quoting a value in a message", () => {
    it("quotes a short value whole, as JSON", () => {
        expect(quote("lab")).toBe('"lab"');
        expect(quote(7)).toBe("7");
        expect(quote(null)).toBe("null");
        expect(quote("a".repeat(QUOTE_LIMIT - 2))).toBe(JSON.stringify("a".repeat(QUOTE_LIMIT - 2)));
    });

    it.each([
        ["a long string", "x".repeat(300), "(300 characters)"],
        ["a long string of escapes", '"\n'.repeat(200), "(400 characters)"],
        ["a long list", Array.from({ length: 100 }, (_, i) => i), "characters)"],
    ])("cuts %s to the limit and says how long it was", (_, value, tail) => {
        const q = quote(value);
        expect(q.length).toBeLessThanOrEqual(QUOTE_LIMIT);
        expect(q.endsWith(tail)).toBe(true);
        expect(q).not.toBe(JSON.stringify(value));
    });

    it("never repeats a long value whole in a problem", () => {
        const name = "a".repeat(300);
        const [problem] = problemsOf((c) => {
            c.name = name;
        });
        expect(problem).toMatch(/^cluster\.name: "a+"… \(300 characters\) is not a DNS-1123 label$/);
        expect(problem).not.toContain(name);
        expect(problem.length).toBeLessThan("cluster.name: ".length + QUOTE_LIMIT + " is not a DNS-1123 label".length + 1);
    });

    it("cuts a long pasted host key the same way", () => {
        const key = `ssh-ed25519 ${"A".repeat(500)}`;
        const [problem] = problemsOf((c) => {
            nodes(c)[0].hostKey = key;
        });
        expect(problem).toContain("cluster.nodes[0].hostKey: \"ssh-ed25519 AAAA");
        expect(problem).toContain("(512 characters) is not an SSH public host key");
        expect(problem).not.toContain(key);
    });
});

describe("the JSON Schema's patterns agree with the program", () => {
    it.each(["10.0.0.1", "0.0.0.0", "255.255.255.255", "192.0.2.10", "10.0.0.300", "1.2.3", "01.2.3.4", "10.0.0.021",
        "10.0.0.1.5", "10.0.0.-1", " 10.0.0.21", "node.example.org", "256.1.1.1"])("IPv4 %j", (address) => {
        expect(new RegExp(IPV4_PATTERN, "u").test(address)).toBe(isIPv4(address));
    });

    it.each(["10.0.0.0/24", "10.32.0.0/12", "0.0.0.0/0", "10.0.0.0/32"])("accepts the CIDR %j, as the program does", (cidr) => {
        expect(new RegExp(CIDR_PATTERN, "u").test(cidr)).toBe(true);
        expect(validCidr(cidr)?.text).toBe(cidr);
    });

    it.each(["10.0.0.0/33", "10.0.0/24", "10.0.0.0", "10.0.0.0/024x"])("refuses the CIDR %j, as the program does", (cidr) => {
        expect(new RegExp(CIDR_PATTERN, "u").test(cidr)).toBe(false);
        expect(problemsOf((c) => {
            c.networks!.pods = cidr;
        })).toEqual([`cluster.networks.pods: ${JSON.stringify(cidr)} is not an IPv4 CIDR (a.b.c.d/n)`]);
    });
});

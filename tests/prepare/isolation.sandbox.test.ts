/**
 * The sandbox the prepare suites run prepare.sh in (tests/sandbox.ts) keeps the script off the host: only
 * the allow-listed tools and the stand-ins on PATH, no root, no host-changing tool linked in for real.
 */
import * as fs from "fs";
import * as path from "path";
import { createSandbox, SCRIPT_TOOLS } from "../sandbox";
import { debian12 } from "../sandbox/hosts";
import { live } from "./fixtures";

describe("the sandbox", () => {
    test("PATH holds only the allow-listed tools and the stand-ins; host tools are not found", () => {
        const sb = createSandbox(debian12());
        live.push(sb);
        expect(fs.readdirSync(sb.binDir).sort()).toEqual([...SCRIPT_TOOLS, ...debian12().standIns ?? []].sort());
        fs.writeFileSync(path.join(sb.workDir, "probe.sh"), [
            'printf "path=%s\\n" "$PATH"',
            "for c in dnf rpm firewall-cmd netfilter-persistent nft ip ls env python3 perl sudo; do",
            '    command -v "$c" >/dev/null && echo "found $c"',
            "done",
            'printf "root=%s\\n" "$LSST_K8S_ROOT"',
            "",
        ].join("\n"));
        const r = sb.run("probe.sh");
        expect(r.stdout).toBe(`path=${sb.binDir}\nroot=${sb.root}\n`);
    });

    const root = typeof process.getuid === "function" && process.getuid() === 0;
    (root ? test : test.skip)("when the tests run as root, the scripts run as nobody", () => {
        const sb = createSandbox({ standIns: ["id"] });
        live.push(sb);
        fs.writeFileSync(path.join(sb.workDir, "whoami.sh"), 'printf "%s %s\\n" "$EUID" "$(id -u)"\ntouch /etc/lsst-k8s-sandbox-escape 2>/dev/null || echo blocked\n');
        const r = sb.run("whoami.sh");
        // The real uid is nobody's; the id stand-in answers 0 for the script's root check.
        expect(r.stdout).toBe("65534 0\nblocked\n");
        expect(fs.existsSync("/etc/lsst-k8s-sandbox-escape")).toBe(false);
    });

    test("refuses to link in a host-changing tool for real", () => {
        expect(() => createSandbox({ tools: [...SCRIPT_TOOLS, "systemctl"] })).toThrow(/never run for real/);
        expect(() => createSandbox({ tools: [...SCRIPT_TOOLS, "curl"] })).toThrow(/never run for real/);
    });
});

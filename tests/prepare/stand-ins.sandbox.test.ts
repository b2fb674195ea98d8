/**
 * The containerd and package manager stand-ins answer a containerd.io upgrade as the real tools do:
 * `containerd --version` follows the package, dpkg stops at its conffile prompt for a config.toml the
 * host changed unless told to keep it, and dnf upgrades only what is installed, keeping changed files.
 */
import * as fs from "fs";
import * as path from "path";
import { createSandbox, RunResult, Sandbox, SandboxOptions } from "../sandbox";
import { debian12, PACKAGED_CONTAINERD_CONFIG, rocky9, vary } from "../sandbox/hosts";
import { live } from "./fixtures";

const OURS = "# the program's config.toml\nversion = 2\n";

function call(sb: Sandbox, command: string): RunResult {
    fs.writeFileSync(path.join(sb.workDir, "call.sh"), `${command}\necho "rc=$?"\n`);
    return sb.run("call.sh");
}

/** HOST with containerd.io OLD installed, the program's config.toml in place and Docker's repository visible. */
function host(base: SandboxOptions, old: string, files: Record<string, string>): Sandbox {
    const sb = createSandbox(vary(base, {
        state: {
            packages: [...base.state?.packages ?? [], { name: "containerd.io", version: old }],
            available: [...base.state?.available ?? [], { name: "containerd.io", version: old, repo: "base" }],
            units: { ...base.state?.units, containerd: { enabled: true, active: true } },
        },
        files: { "etc/containerd/config.toml": OURS, ...files },
    }));
    live.push(sb);
    return sb;
}

describe("the containerd.io stand-ins", () => {
    test("containerd --version is the installed containerd.io's version; $STATE/containerd-version is refused", () => {
        const sb = host(debian12(), "1.7.27-1", {});
        expect(call(sb, "containerd --version").stdout).toBe("containerd containerd.io 1.7.27 05044ec0a9a75232cad458027ca83437aae3f4da\nrc=0\n");
        sb.writeState("containerd-version", "2.1.4\n");
        expect(call(sb, "containerd --version").stdout).toBe("rc=2\n");
        sb.writeState("packages", "");
        fs.rmSync(path.join(sb.stateDir, "containerd-version"));
        expect(call(sb, "containerd --version").stdout).toBe("rc=127\n");
    });

    test("apt-get: moving containerd.io over a changed config.toml stops at dpkg's conffile prompt, changing nothing; --force-confold keeps the host's file", () => {
        const sb = host(debian12(), "1.7.27-1", {
            "etc/apt/sources.list.d/docker.list": "deb [signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/debian bookworm stable\n",
            "etc/apt/keyrings/docker.asc": "key\n",
        });
        expect(call(sb, "apt-get update -q").stdout).toContain("rc=0");
        const state = sb.stateSnapshot();
        const asked = call(sb, "apt-get install -y -q containerd.io");
        expect(asked.stdout).toContain("Configuration file '/etc/containerd/config.toml'\n ==> Modified (by you or by a script) since installation.\n");
        expect(asked.stdout).toContain("rc=100\n");
        expect(asked.stderr).toContain(" end of file on stdin at conffile prompt\n");
        expect(sb.stateSnapshot()).toEqual(state);
        expect(call(sb, "apt-get install -y -q -o Dpkg::Options::=--force-confnew containerd.io").stdout).toBe("rc=2\n");

        const kept = call(sb, "apt-get install -y -q -o Dpkg::Options::=--force-confold containerd.io");
        expect(kept.stdout).toBe("Setting up containerd.io (2.1.4-1~debian.12~bookworm) ...\nrc=0\n");
        expect(sb.packages().get("containerd.io")?.version).toBe("2.1.4-1~debian.12~bookworm");
        expect(sb.readRoot("etc/containerd/config.toml")).toBe(OURS);
        // A file the host never changed is no reason to ask.
        sb.writeRoot("etc/containerd/config.toml", PACKAGED_CONTAINERD_CONFIG);
        sb.writeState("available", sb.readState("available")!.replace("2.1.4-1~debian.12~bookworm", "2.2.0-1~debian.12~bookworm"));
        expect(call(sb, "apt-get update -q && apt-get install -y -q containerd.io").stdout).toContain("rc=0\n");
    });

    test("dnf upgrade: the newest version a repository has, nothing to do at it, an error for what is not installed; the host's files kept", () => {
        const sb = host(rocky9(), "1.7.27-3.1.el9", {
            "etc/yum.repos.d/docker-ce.repo": "[docker-ce-stable]\nname=Docker CE Stable\nenabled=1\n",
        });
        expect(call(sb, "dnf upgrade -y containerd.io").stdout).toBe("Upgraded: containerd.io-2.1.4-1.el9\nrc=0\n");
        expect(sb.packages().get("containerd.io")?.version).toBe("2.1.4-1.el9");
        expect(sb.readRoot("etc/containerd/config.toml")).toBe(OURS);
        expect(call(sb, "dnf upgrade -y containerd.io").stdout).toBe("Nothing to do.\nrc=0\n");
        const missing = call(sb, "dnf upgrade -y iproute-tc");
        expect(missing.stdout).toBe("rc=1\n");
        expect(missing.stderr).toBe("Package iproute-tc available, but not installed.\nError: No packages marked for upgrade.\n");
        expect(call(sb, "dnf upgrade containerd.io").stdout).toBe("rc=1\n");
    });
});

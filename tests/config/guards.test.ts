/**
 * Config that an older version let through and a live cluster pays for: a backup directory among the
 * host's own files, a CronJob name the API refuses, a schedule the controller never runs, a zero size,
 * a pod network too small for the nodes, a moving or digest-less image where the stack pulls by digest,
 * and the SSH key committed in plain text. Each starts from a valid committed stack and changes one thing.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { CONDOR_TOKEN, PROJECT, SSH_KEY, validateConfig } from "../../config";
import { secretConfigKeys } from "../../config/read";
import { PLACEHOLDER_CONDOR_TOKEN } from "../../tools/offline";
import { FAKE_SSH_KEY, rawConfig, REPO, STACKS, StackName } from "../harness";

type Json = Record<string, any>;

/** Problems of a committed stack with its cluster and platform sections edited. */
function problems(stack: StackName, edit: (cluster: Json, platform: Json) => void): string[] {
    const { config, secretKeys } = rawConfig(stack);
    const cluster = JSON.parse(config[`${PROJECT}:cluster`]);
    const platform = JSON.parse(config[`${PROJECT}:platform`]);
    edit(cluster, platform);
    return validateConfig({ ...config, [`${PROJECT}:cluster`]: JSON.stringify(cluster), [`${PROJECT}:platform`]: JSON.stringify(platform) }, secretKeys).problems;
}

it("the committed stacks pass every guard", () => {
    for (const stack of STACKS) {
        expect(problems(stack, () => undefined)).toEqual([]);
    }
});

describe("platform.etcdBackup.hostPath", () => {
    const own = "give the backups a directory of their own, such as /var/backups/etcd";
    it.each([
        ["/etc/backups", `overlaps /etc: ${own}`],
        ["/etc/kubernetes/backups", `overlaps /etc: ${own}`],
        ["/var/lib/etcd", `overlaps /var/lib/etcd: ${own}`],
        ["/var/lib/etcd/snapshots", `overlaps /var/lib/etcd: ${own}`],
        ["/var/lib/kubelet/backups", `overlaps /var/lib/kubelet: ${own}`],
        ["/usr/local/backups", `overlaps /usr: ${own}`],
        ["/var/lib", `is a system directory: ${own}`],
        ["/var/lib/", `is a system directory: ${own}`],
        ["/var", `is a system directory: ${own}`],
        ["/tmp", `is a system directory: ${own}`],
        ["/", "is not an absolute directory"],
    ])("refuses %j", (dir, why) => {
        expect(problems("test", (_, p) => (p.etcdBackup.hostPath = dir))).toEqual([`platform.etcdBackup.hostPath: ${JSON.stringify(dir)} ${why}`]);
    });

    it.each(["/var/backups/etcd", "/srv/etcd-backups", "/var/lib/etcd-backups", "/data/etcd/"])("accepts %j", (dir) => {
        expect(problems("test", (_, p) => (p.etcdBackup.hostPath = dir))).toEqual([]);
    });
});

describe("platform.etcdBackup.schedule", () => {
    it.each(["*/15 * * * *", "0 3 * * MON-FRI", "30 2 1,15 * *", "0 0 * JAN,jul 0", "0 0 * * 7", "0-30/10 8-18 * * 1-5", "@daily", "@hourly"])(
        "accepts %j, as the CronJob controller does",
        (schedule) => {
            expect(problems("test", (_, p) => (p.etcdBackup.schedule = schedule))).toEqual([]);
        },
    );

    it.each([
        ["61 * * * *", ' (minute "61" is outside 0-59)'],
        ["0 24 * * *", ' (hour "24" is outside 0-23)'],
        ["0 0 0 * *", ' (day of month "0" is outside 1-31)'],
        ["0 0 * 13 *", ' (month "13" is outside 1-12)'],
        ["0 0 * * 8", ' (day of week "8" is outside 0-7)'],
        ["0 0 * * FUN", ' (day of week "FUN" is outside 0-7)'],
        ["*/0 * * * *", ' (minute "*/0" is not a value, range or step)'],
        ["30-10 * * * *", ' (minute "30-10" is a range that runs backwards)'],
        ["1-2-3 * * * *", ' (minute "1-2-3" is outside 0-59)'],
        ["0 0 * * * *", ""],
        ["TZ=UTC 0 0 * * *", ""],
        ["@every 5m", ""],
        ["hourly", ""],
    ])("refuses %j", (schedule, why) => {
        expect(problems("test", (_, p) => (p.etcdBackup.schedule = schedule)))
            .toEqual([`platform.etcdBackup.schedule: ${JSON.stringify(schedule)} is not a five-field cron schedule${why}`]);
    });
});

describe("generated object names", () => {
    it("refuses a control plane whose etcd backup CronJob name would pass the API's 52 characters", () => {
        const name = `cp-${"a".repeat(38)}`;
        expect(problems("test", (c) => (c.nodes[0].name = name))).toEqual([
            `cluster.nodes[0].name: makes the etcd backup CronJob name "etcd-backup-${name}" 53 characters long; ` +
                "the API allows 52: shorten the node name to 40 characters or fewer",
        ]);
    });

    it("accepts 40 characters, a long worker name, and any name when there are no etcd backups", () => {
        expect(problems("test", (c) => (c.nodes[0].name = `cp-${"a".repeat(37)}`))).toEqual([]);
        expect(problems("test", (c) => (c.nodes.find((n: Json) => n.role === "worker").name = `w-${"a".repeat(60)}`))).toEqual([]);
        expect(problems("test", (c, p) => {
            c.nodes[0].name = `cp-${"a".repeat(60)}`;
            delete p.etcdBackup;
        })).toEqual([]);
    });
});

describe("sizes above zero", () => {
    it.each([
        ["registry.storageSize", (p: Json) => (p.registry.storageSize = "0Gi"), '"0Gi"'],
        ["jupyter.homeSize", (p: Json) => (p.jupyter.homeSize = "0"), '"0"'],
        ["htcondor.pools[0].cpu", (p: Json) => (p.htcondor.pools[0].cpu = 0), '"0"'],
        ["htcondor.pools[0].memory", (p: Json) => (p.htcondor.pools[0].memory = "0Mi"), '"0Mi"'],
    ])("refuses a zero platform.%s", (key, edit, quoted) => {
        expect(problems("test", (_, p) => edit(p))).toEqual([`platform.${key}: ${quoted} is zero: give a size above zero`]);
    });
});

describe("the pod network", () => {
    it("refuses one too small for the nodes' pods, naming the size that fits", () => {
        expect(problems("test", (c) => (c.networks.pods = "10.32.0.0/24"))).toEqual([
            "cluster.networks.pods: 10.32.0.0/24 has 256 addresses, too few for 3 nodes of up to 110 pods each: make it a /23 or larger",
        ]);
        expect(problems("dev", (c) => (c.networks.pods = "10.32.0.0/21"))).toEqual([
            "cluster.networks.pods: 10.32.0.0/21 has 2048 addresses, too few for 23 nodes of up to 110 pods each: make it a /20 or larger",
        ]);
    });

    it("accepts the size it names", () => {
        expect(problems("test", (c) => (c.networks.pods = "10.32.0.0/23"))).toEqual([]);
    });
});

describe("images", () => {
    it.each([
        ["registry.image", (p: Json) => (p.registry.image = "docker.io/library/registry:latest")],
        ["htcondor.image", (p: Json) => (p.htcondor.image = "registry.lsst-test.example.org/htcondor/execute:latest")],
        ["etcdBackup.image", (p: Json) => (p.etcdBackup.image = "registry.lsst-test.example.org/lsst-k8s/etcd-backup:latest")],
    ])("refuses latest for platform.%s", (key, edit) => {
        const found = problems("test", (_, p) => edit(p));
        expect(found).toHaveLength(1);
        expect(found[0]).toMatch(new RegExp(`^platform\\.${key.replace(".", "\\.")}: ".*:latest" is pinned to latest, which moves: name a version tag or a digest$`));
    });

    it("refuses a digest-less image where the stack pulls by digest only", () => {
        const image = "registry.lsst-prod.example.org/htcondor/execute:24.0.4-el9";
        expect(problems("prod", (_, p) => (p.htcondor.image = image))).toEqual([
            `platform.htcondor.image: ${JSON.stringify(image)} has no digest, and platform.requireDigests pulls by digest only: name it as host/name:tag@sha256:…`,
        ]);
        expect(problems("prod", (_, p) => (p.etcdBackup.image = image))[0]).toMatch(/^platform\.etcdBackup\.image: .* has no digest/);
        expect(problems("test", (_, p) => (p.htcondor.image = image.replace("prod", "test")))).toEqual([]);
    });

    it("never tells an image with a digest that it has none", () => {
        const image = `registry.lsst-prod.example.org/htcondor/execute:latest@sha256:${"3f1c".repeat(16)}`;
        expect(problems("prod", (_, p) => (p.htcondor.image = image))).toEqual([
            `platform.htcondor.image: ${JSON.stringify(image)} is pinned to latest, which moves: name a version tag or a digest`,
        ]);
    });

    it.each(STACKS)("keeps %s's requireDigests in step with its trusted-images policy", (stack) => {
        const policy = JSON.parse(fs.readFileSync(path.join(REPO, "policies", "config", `${stack}.json`), "utf8"));
        const platform = validateConfig(rawConfig(stack).config).config!.platform!;
        expect(platform.requireDigests).toBe(policy["trusted-images"].requireDigest === true);
    });
});

describe("the secret keys", () => {
    const plain = (key: string) => {
        const { config, secretKeys } = rawConfig("test");
        return validateConfig(config, secretKeys.filter((k) => k !== `${PROJECT}:${key}`)).problems;
    };

    it("refuses the SSH key in plain text in the stack file, without echoing it", () => {
        const found = plain(SSH_KEY);
        expect(found).toEqual([
            "sshPrivateKey: is in the stack file in plain text: remove it (`pulumi config rm sshPrivateKey`), set it with " +
                "`pulumi config set --secret sshPrivateKey < ~/.ssh/id_ed25519`, and replace the key, which has been exposed",
        ]);
        expect(found.join("\n")).not.toContain(FAKE_SSH_KEY.split("\n")[1]);
    });

    it("refuses the HTCondor token in plain text in the stack file, without echoing it", () => {
        const found = plain(CONDOR_TOKEN);
        expect(found).toEqual([
            "condorToken: is in the stack file in plain text: remove it (`pulumi config rm condorToken`), set it with " +
                "`condor_token_create ... | pulumi config set --secret condorToken`, and have the central manager stop accepting the token " +
                "(a new identity, or a new signing key), which has been exposed",
        ]);
        expect(found.join("\n")).not.toContain(PLACEHOLDER_CONDOR_TOKEN);
    });

    it("are known for secrets through the engine's own list, which the pinned @pulumi/pulumi still exposes", () => {
        pulumi.runtime.setAllConfig({ [`${PROJECT}:cluster`]: "{}", [`${PROJECT}:${SSH_KEY}`]: "k" }, [`${PROJECT}:${SSH_KEY}`]);
        expect(secretConfigKeys([`${PROJECT}:cluster`, `${PROJECT}:${SSH_KEY}`])).toEqual([`${PROJECT}:${SSH_KEY}`]);
    });

    it("are accepted as secrets", () => {
        const { config, secretKeys } = rawConfig("test");
        expect(secretKeys).toEqual(expect.arrayContaining([`${PROJECT}:${SSH_KEY}`, `${PROJECT}:${CONDOR_TOKEN}`]));
        expect(validateConfig(config, secretKeys).problems).toEqual([]);
    });
});

/**
 * The id ranges of the developer groups' and the notebook namespace (platform.developerGroups[].ids,
 * platform.jupyter.ids): their form and bounds, required wherever the filesets are mounted, and never
 * shared between two namespaces.
 */
import { PROJECT, validateConfig } from "../../config";
import { rawConfig } from "../harness";

const FILESETS = {
    server: "nfs.example.org",
    exports: {
        project: "/p", projectShared: "/p/shared", datasets: "/d", scratch: "/s", jhome: "/j", software: "/sw",
    },
};

/** The test stack's groups, two developer groups and the notebooks, each with ranges of its own, and the filesets. */
const baseline = () => ({
    groups: { admins: "lsst-test:admins", serviceAdmins: "lsst-test:services", security: "lsst-test:security", scienceUsers: "lsst-test:science" },
    developerAccess: "edit",
    developerGroups: [
        { namespace: "qserv", group: "lsst-test:qserv", ids: { uids: "20000-20999", gids: "20000-20999" } },
        { namespace: "firefly", group: "lsst-test:firefly", ids: { uids: "21000-21999", gids: "21000-21999" } },
    ],
    jupyter: { concurrentUsers: 5, ids: { uids: "30000-39999", gids: "30000-39999" } },
    filesets: FILESETS,
    // The dashboard is on by default and needs the registry, which this baseline has none of.
    dashboard: false,
});

type Platform = ReturnType<typeof baseline> & Record<string, any>;

function validate(platform: unknown) {
    const raw = { ...rawConfig("test").config, [`${PROJECT}:platform`]: JSON.stringify(platform) };
    return validateConfig(raw);
}

const problems = (mutate: (p: Platform) => void) => {
    const p = baseline() as Platform;
    mutate(p);
    return validate(p).problems;
};

const qserv = "platform.developerGroups[0].ids";
const firefly = "platform.developerGroups[1].ids";

describe("the id ranges", () => {
    it("reads the baseline and every stack file, keeping each range as written", () => {
        const { config, problems: found } = validate(baseline());
        expect(found).toEqual([]);
        expect(config!.platform!.developerGroups.map((d) => d.ids)).toEqual([
            { uids: "20000-20999", gids: "20000-20999" }, { uids: "21000-21999", gids: "21000-21999" },
        ]);
        expect(config!.platform!.jupyter!.ids).toEqual({ uids: "30000-39999", gids: "30000-39999" });
        for (const stack of ["dev", "prod", "test"] as const) {
            const stackConfig = validateConfig(rawConfig(stack).config);
            expect(stackConfig.problems).toEqual([]);
            const platform = stackConfig.config!.platform!;
            expect(platform.developerGroups.every((d) => d.ids !== undefined)).toBe(true);
            expect(platform.jupyter!.ids).toBeDefined();
        }
    });

    it("takes MIN-MAX of whole ids, in order, from 1000 to 2^31-1", () => {
        expect(problems((p) => (p.developerGroups[0].ids.uids = "20000"))).toEqual([`${qserv}.uids: "20000" is not a range of ids like "20000-20999"`]);
        expect(problems((p) => (p.developerGroups[0].ids.uids = "20000 - 20999"))).toEqual([`${qserv}.uids: "20000 - 20999" is not a range of ids like "20000-20999"`]);
        expect(problems((p) => (p.developerGroups[0].ids.gids = "-1-5"))).toEqual([`${qserv}.gids: "-1-5" is not a range of ids like "20000-20999"`]);
        expect(problems((p) => ((p.developerGroups[0].ids as any).uids = 20000))).toEqual([`${qserv}.uids: 20000 is not a string`]);
        expect(problems((p) => (p.developerGroups[0].ids.uids = "20999-20000")))
            .toEqual([`${qserv}.uids: "20999-20000" runs backwards: its first id is above its last`]);
        expect(problems((p) => (p.jupyter.ids.gids = "0-39999")))
            .toEqual([`platform.jupyter.ids.gids: "0-39999" reaches below 1000: ids under it are root's and the system accounts'`]);
        expect(problems((p) => (p.jupyter.ids.uids = "999-39999")))
            .toEqual([`platform.jupyter.ids.uids: "999-39999" reaches below 1000: ids under it are root's and the system accounts'`]);
        expect(problems((p) => (p.developerGroups[1].ids.uids = "2147483000-2147483648")))
            .toEqual([`${firefly}.uids: "2147483000-2147483648" reaches above 2147483647, the highest id Kubernetes takes`]);
        // The edges themselves are ids.
        expect(problems((p) => {
            p.developerGroups[0].ids = { uids: "1000-1000", gids: "1000-1999" };
            p.developerGroups[1].ids = { uids: "2147483000-2147483647", gids: "2147483000-2147483647" };
        })).toEqual([]);
    });

    it("needs both ranges, and knows no other key", () => {
        expect(problems((p) => delete (p.developerGroups[0].ids as any).gids)).toEqual([`${qserv}.gids: required`]);
        expect(problems((p) => ((p.developerGroups[0].ids as any).uid = "1-2"))).toEqual([`${qserv}.uid: unknown key (did you mean "uids"?)`]);
        expect(problems((p) => ((p.jupyter as any).ids = "30000-39999"))).toEqual(["platform.jupyter.ids: is not an object"]);
    });

    it("is required wherever the filesets are mounted: every developer group and the notebooks", () => {
        expect(problems((p) => delete (p.developerGroups[1] as any).ids)).toEqual([
            `${firefly}: required with platform.filesets: this namespace mounts the filesets over NFS, and only an id range keeps its pods to their own files`,
        ]);
        expect(problems((p) => delete (p.jupyter as any).ids)).toEqual([
            "platform.jupyter.ids: required with platform.filesets: this namespace mounts the filesets over NFS, and only an id range keeps its pods to their own files",
        ]);
        expect(problems((p) => delete (p as any).jupyter)).toEqual([
            "platform.jupyter: required with platform.filesets: the notebook namespace mounts the filesets, and its id ranges (jupyter.ids) keep notebooks to their users' files",
        ]);
    });

    it("is optional without filesets: absent, that namespace gets no range", () => {
        const { config, problems: found } = validate({ ...baseline(), filesets: undefined, jupyter: { concurrentUsers: 5 },
            developerGroups: [{ namespace: "qserv", group: "lsst-test:qserv" }] });
        expect(found).toEqual([]);
        expect(config!.platform!.developerGroups[0].ids).toBeUndefined();
        expect(config!.platform!.jupyter!.ids).toBeUndefined();
    });

    it("never lets two namespaces share a uid or a gid, naming both ranges", () => {
        expect(problems((p) => (p.developerGroups[1].ids.uids = "20999-21999"))).toEqual([
            `${firefly}.uids: "20999-21999" overlaps ${qserv}.uids ("20000-20999"): pods of either namespace could own the other's files`,
        ]);
        expect(problems((p) => (p.jupyter.ids.gids = "10000-20000"))).toEqual([
            `platform.jupyter.ids.gids: "10000-20000" overlaps ${qserv}.gids ("20000-20999"): pods of either namespace could own the other's files`,
        ]);
        // A range inside another overlaps it too; reported once, against the first.
        expect(problems((p) => {
            p.developerGroups[1].ids.gids = "20100-20200";
            p.jupyter.ids.gids = "20000-39999";
        })).toEqual([
            `${firefly}.gids: "20100-20200" overlaps ${qserv}.gids ("20000-20999"): pods of either namespace could own the other's files`,
            `platform.jupyter.ids.gids: "20000-39999" overlaps ${qserv}.gids ("20000-20999"): pods of either namespace could own the other's files`,
        ]);
    });

    it("lets a namespace's uids and gids be the same numbers, and one namespace's uids another's gids", () => {
        expect(problems((p) => (p.developerGroups[1].ids = { uids: "21000-21999", gids: "40000-40999" }))).toEqual([]);
        expect(problems((p) => (p.developerGroups[1].ids = { uids: "40000-40999", gids: "21000-21999" }))).toEqual([]);
        expect(problems((p) => (p.jupyter.ids = { uids: "30000-39999", gids: "21000-21999" }))).toEqual([
            `platform.jupyter.ids.gids: "21000-21999" overlaps ${firefly}.gids ("21000-21999"): pods of either namespace could own the other's files`,
        ]);
        expect(problems((p) => (p.jupyter.ids = { uids: "40000-40999", gids: "50000-50999" }))).toEqual([]);
        // uids of one namespace against gids of another: separate number spaces, not an overlap.
        expect(problems((p) => (p.jupyter.ids = { uids: "41000-41999", gids: "40000-40999" }))).toEqual([]);
    });

    it("reports a bad range once, and checks the others for overlaps as usual", () => {
        expect(problems((p) => {
            p.developerGroups[0].ids.uids = "21999-21000";
            p.jupyter.ids.uids = "21500-30000";
        })).toEqual([
            `${qserv}.uids: "21999-21000" runs backwards: its first id is above its last`,
            `platform.jupyter.ids.uids: "21500-30000" overlaps ${firefly}.uids ("21000-21999"): pods of either namespace could own the other's files`,
        ]);
    });
});

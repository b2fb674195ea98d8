/**
 * cluster.oidc: the provider people log in through, and the rule that joins it to the platform's groups.
 */
import { PROJECT, validateConfig } from "../../config";
import { rawConfig } from "../harness";

/** The test stack's raw config with cluster.oidc replaced (undefined: removed). */
function withOidc(oidc: unknown): Record<string, string> {
    const { config } = rawConfig("test");
    const cluster = JSON.parse(config[`${PROJECT}:cluster`]) as Record<string, unknown>;
    if (oidc === undefined) {
        delete cluster.oidc;
    } else {
        cluster.oidc = oidc;
    }
    return { ...config, [`${PROJECT}:cluster`]: JSON.stringify(cluster) };
}

const baseline = () => ({ issuer: "https://cilogon.org", clientId: "cilogon:/client_id/abc", groupsPrefix: "lsst-test:" });

const problems = (mutate: (o: Record<string, unknown>) => void) => {
    const o: Record<string, unknown> = baseline();
    mutate(o);
    return validateConfig(withOidc(o)).problems;
};

describe("cluster.oidc", () => {
    it("fills the claims and the username prefix from their defaults", () => {
        const { config, problems: found } = validateConfig(withOidc(baseline()));
        expect(found).toEqual([]);
        expect(config!.oidc).toEqual({
            issuer: "https://cilogon.org", clientId: "cilogon:/client_id/abc",
            usernameClaim: "sub", usernamePrefix: "oidc:", groupsClaim: "groups", groupsPrefix: "lsst-test:",
        });
    });

    it("is optional: without it only the admin kubeconfig reaches the cluster", () => {
        const { config, problems: found } = validateConfig(withOidc(undefined));
        expect(found).toEqual([]);
        expect(config!.oidc).toBeUndefined();
    });

    it.each([
        ["http://cilogon.org", "plain http"],
        ["https://cilogon.org/", "a trailing slash"],
        ["https://cilogon.org/?a=1", "a query"],
        ["https://user:pw@cilogon.org", "credentials"],
        ["cilogon.org", "no scheme"],
    ])("refuses the issuer %s (%s): the API server compares iss to it exactly, over https", (issuer) => {
        expect(problems((o) => (o.issuer = issuer))).toEqual([
            `cluster.oidc.issuer: ${JSON.stringify(issuer)} is not an https URL without a trailing slash, query or fragment`,
        ]);
    });

    it("requires the issuer and the client id, and refuses a client id with spaces", () => {
        expect(problems((o) => delete o.issuer)).toEqual(["cluster.oidc.issuer: required"]);
        expect(problems((o) => delete o.clientId)).toEqual(["cluster.oidc.clientId: required"]);
        expect(problems((o) => (o.clientId = "my client"))).toEqual(['cluster.oidc.clientId: "my client" is not a client id (no spaces)']);
    });

    it("refuses a prefix that would let a token claim a system: name, and a claim that is not a name", () => {
        expect(problems((o) => (o.usernamePrefix = "system:"))).toEqual([
            'cluster.oidc.usernamePrefix: "system:" is not a prefix (printable, no spaces, not system:)',
        ]);
        expect(problems((o) => (o.groupsClaim = "is member of"))).toEqual(['cluster.oidc.groupsClaim: "is member of" is not a claim name']);
        expect(problems((o) => (o.extra = 1))).toEqual([expect.stringMatching(/^cluster\.oidc\.extra: unknown key/)]);
    });

    it("takes the provider's CA as PEM certificates only", () => {
        expect(problems((o) => (o.certificateAuthority = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))).toEqual([]);
        expect(problems((o) => (o.certificateAuthority = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"))).toEqual([
            "cluster.oidc.certificateAuthority: is not one or more PEM certificates (-----BEGIN CERTIFICATE-----...)",
        ]);
    });

    it("refuses a group RBAC binds without the groups prefix, which no token would ever assert", () => {
        const found = validateConfig(withOidc({ ...baseline(), groupsPrefix: "cilogon:" })).problems;
        expect(found).toContain('platform.groups.admins: "lsst-test:k8s-cluster-admins" is never asserted: cluster.oidc gives every group ' +
            'the prefix "cilogon:" (the provider\'s group "x" is "cilogon:x")');
        expect(found.filter((p) => p.startsWith("platform.developerGroups[0].group:"))).toHaveLength(1);
        // The default prefix applies when none is written.
        const { groupsPrefix: _omitted, ...noPrefix } = baseline();
        expect(validateConfig(withOidc(noPrefix)).problems).toContain(
            'platform.groups.security: "lsst-test:security" is never asserted: cluster.oidc gives every group the prefix "oidc:" ' +
            '(the provider\'s group "x" is "oidc:x")');
    });

    it("holds on every committed stack: each configures a provider whose prefix its groups carry", () => {
        for (const stack of ["dev", "prod", "test"] as const) {
            const { config, problems: found } = validateConfig(rawConfig(stack).config);
            expect(found).toEqual([]);
            expect(config!.oidc?.groupsPrefix).toBe(`lsst-${stack}:`);
        }
    });
});

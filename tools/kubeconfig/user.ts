/**
 * A person's kubeconfig: the cluster by its endpoint and CA, and a user that holds no credential at
 * all. kubectl runs `kubectl oidc-login get-token` (int128/kubelogin), which logs the person in with the
 * provider in the browser (authorization code with PKCE: the client is public, so there is no client
 * secret) and hands kubectl the ID token, cached under ~/.kube/cache/oidc-login. The file can be mailed
 * or committed; leaving the provider's group is what takes the access away.
 */
import type { ClusterConfig, OidcConfig } from "../../config";

/** What kubectl tells a person whose PATH has no kubelogin. */
const INSTALL_HINT = [
    "This kubeconfig logs you in with `kubectl oidc-login` (https://github.com/int128/kubelogin), which is not installed:",
    "  kubectl krew install oidc-login    (or: brew install kubelogin; or a release binary named kubectl-oidc_login on PATH)",
].join("\n");

/** The standard claims (OpenID Connect Core 5.4) a username may come from, by the scope that releases them. */
const STANDARD_CLAIM_SCOPES: Readonly<Record<string, string>> = {
    email: "email", email_verified: "email",
    name: "profile", given_name: "profile", family_name: "profile", preferred_username: "profile", nickname: "profile",
};

/** CILogon, whose isMemberOf (and eppn, eptid...) come with its own scope, not with a "groups" one. */
function isCilogon(issuer: string): boolean {
    const host = new URL(issuer).hostname;
    return host === "cilogon.org" || host.endsWith(".cilogon.org");
}

/**
 * The scopes to ask for besides openid (kubelogin always adds it), so the ID token carries the
 * username and groups claims the API server reads. CILogon releases its groups (isMemberOf) under
 * org.cilogon.userinfo, and only the scopes registered with the client: register it with openid and
 * org.cilogon.userinfo. Any other provider gets profile, email and the groups claim's own name, the
 * scope Dex, Keycloak, Okta and Authelia release a "groups" claim under.
 */
export function oidcScopes(oidc: OidcConfig): string[] {
    const scopes = isCilogon(oidc.issuer) ? ["org.cilogon.userinfo"] : ["profile", "email", oidc.groupsClaim];
    const forUsername = STANDARD_CLAIM_SCOPES[oidc.usernameClaim];
    if (forUsername !== undefined) {
        scopes.push(forUsername);
    }
    return [...new Set(scopes)];
}

/** The exec plugin's arguments: the provider, the client and the scopes; its CA when the provider's https needs one. */
function loginArgs(oidc: OidcConfig): string[] {
    const args = ["oidc-login", "get-token", `--oidc-issuer-url=${oidc.issuer}`, `--oidc-client-id=${oidc.clientId}`];
    args.push(...oidcScopes(oidc).map((s) => `--oidc-extra-scope=${s}`));
    if (oidc.certificateAuthority !== undefined) {
        args.push(`--certificate-authority-data=${Buffer.from(oidc.certificateAuthority).toString("base64")}`);
    }
    return args;
}

/** The name of the user entry: one per cluster, so kubeconfigs of several clusters merge without one hiding another's. */
export function userName(cluster: ClusterConfig): string {
    return `${cluster.name}-oidc`;
}

/** The kubeconfig (as an object, for a YAML dump) of CLUSTER for a person logging in through OIDC; CA is the API server's CA (PEM). */
export function userKubeconfig(cluster: ClusterConfig, oidc: OidcConfig, ca: string): Record<string, unknown> {
    const user = userName(cluster);
    return {
        apiVersion: "v1",
        kind: "Config",
        clusters: [{
            name: cluster.name,
            cluster: { server: `https://${cluster.controlPlaneEndpoint.text}`, "certificate-authority-data": Buffer.from(ca).toString("base64") },
        }],
        users: [{
            name: user,
            user: {
                exec: {
                    apiVersion: "client.authentication.k8s.io/v1",
                    command: "kubectl",
                    args: loginArgs(oidc),
                    installHint: INSTALL_HINT,
                    // A terminal, when there is one, serves kubelogin's prompts (--grant-type=authcode-keyboard);
                    // without one (scripts, editors) the browser login still runs.
                    interactiveMode: "IfAvailable",
                    provideClusterInfo: false,
                },
            },
        }],
        contexts: [{ name: cluster.name, context: { cluster: cluster.name, user } }],
        "current-context": cluster.name,
        preferences: {},
    };
}

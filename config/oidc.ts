/**
 * `cluster.oidc`: how people log in (technote 000 "Users": staff who leave lose all access). The API
 * server trusts one OpenID Connect provider (CILogon is one) and takes the username and the groups from
 * its ID tokens; RBAC binds only groups, so removing someone from the provider's group removes their
 * access and nothing per person lives in the cluster.
 */
import { z } from "zod";
import { quote } from "./problems";
import { record, text } from "./values";

/** A claim name as it appears in the token's JSON. */
const CLAIM = /^[A-Za-z_][A-Za-z0-9_.:-]{0,127}$/;

/** A prefix put in front of every asserted name: printable, no spaces, never a system: name. */
const PREFIX = /^(?!system:)[A-Za-z0-9._:@/-]{1,64}$/;

/** The API server fetches the issuer's discovery document and keys over https, and compares `iss` to this exact text. */
function isIssuer(s: string): boolean {
    try {
        const u = new URL(s);
        return u.protocol === "https:" && u.username === "" && u.password === "" && u.search === "" && u.hash === "" && !s.endsWith("/");
    } catch {
        return false;
    }
}

const PEM_CERTIFICATE = /^(-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\s*)+$/;

const prefix = (what: string, fallback: string) => text(PREFIX, "is not a prefix (printable, no spaces, not system:)")
    .default(fallback)
    .meta({ description: `Put in front of every ${what} the provider asserts, so no token can claim a name the cluster gives itself; default "${fallback}".` });

/** The groups prefix when config gives none. */
export const OIDC_GROUPS_PREFIX = "oidc:";

export const oidc = record({
    issuer: text(isIssuer, "is not an https URL without a trailing slash, query or fragment")
        .meta({ description: 'The provider\'s issuer URL exactly as its tokens\' "iss" says it ("https://cilogon.org").' }),
    clientId: text(/^\S{1,256}$/, "is not a client id (no spaces)")
        .meta({ description: "The OAuth client registered for this cluster: tokens must name it in \"aud\"." }),
    usernameClaim: text(CLAIM, "is not a claim name").default("sub")
        .meta({ description: 'The claim the username comes from; default "sub", which never changes for a person, unlike an email address.' }),
    usernamePrefix: prefix("username", "oidc:"),
    groupsClaim: text(CLAIM, "is not a claim name").default("groups")
        .meta({ description: 'The claim that lists the person\'s groups (CILogon: "isMemberOf"); default "groups".' }),
    groupsPrefix: prefix("group", OIDC_GROUPS_PREFIX),
    certificateAuthority: z.string({ error: (iss) => `${quote(iss.input)} is not a string` })
        .regex(PEM_CERTIFICATE, { error: "is not one or more PEM certificates (-----BEGIN CERTIFICATE-----...)" })
        .optional()
        .meta({ description: "PEM certificates that sign the issuer's https certificate; default the control plane's system trust store." }),
});

export type OidcConfig = z.output<typeof oidc>;

/** `cluster.ssh`: how the program reaches every host, and the host keys it pins. */
import { z } from "zod";
import { isHost, port, record, text, USER_NAME, whole } from "./values";

/** Each host key type and how many length-prefixed fields its blob holds, the type name included. */
const HOST_KEY_FIELDS: Readonly<Record<string, number>> = {
    "ssh-ed25519": 2,
    "ecdsa-sha2-nistp256": 3,
    "ecdsa-sha2-nistp384": 3,
    "ecdsa-sha2-nistp521": 3,
    "ssh-rsa": 3,
};

/** Splits an SSH wire-format blob into its length-prefixed fields; undefined unless it parses exactly. */
function blobFields(base64: string): Buffer[] | undefined {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) {
        return undefined;
    }
    const bytes = Buffer.from(base64, "base64");
    const fields: Buffer[] = [];
    let at = 0;
    while (at < bytes.length) {
        if (at + 4 > bytes.length) {
            return undefined;
        }
        const len = bytes.readUInt32BE(at);
        if (len === 0 || at + 4 + len > bytes.length) {
            return undefined;
        }
        fields.push(bytes.subarray(at + 4, at + 4 + len));
        at += 4 + len;
    }
    return fields;
}

/**
 * A host key as in known_hosts ("type base64 [comment]"). The blob must name the same type and hold
 * exactly that type's fields, so a truncated paste is refused rather than pinned.
 */
function isHostKey(s: string): boolean {
    const [type, blob] = s.trim().split(/\s+/);
    const fields = HOST_KEY_FIELDS[type] ? blobFields(blob ?? "") : undefined;
    return !!fields && fields.length === HOST_KEY_FIELDS[type] && fields[0].toString("latin1") === type &&
        (type !== "ssh-ed25519" || fields[1].length === 32);
}

/** Kept trimmed, as `ssh-keyscan` prints it; absent, the host's key is not verified. */
export const hostKey = text(isHostKey, 'is not an SSH public host key ("ssh-ed25519 AAAA...")')
    .transform((s) => s.trim())
    .optional()
    .meta({ description: 'The host\'s SSH public key ("ssh-ed25519 AAAA..." from `ssh-keyscan -t ed25519 HOST`); absent, not verified.' });

const user = text(USER_NAME, "is not a user name");

const bastion = record({
    host: text(isHost, "is not a DNS name or IPv4 address").meta({ description: "The jump host every connection goes through." }),
    port: port().default(22).meta({ description: "Its SSH port; default 22." }),
    user: user.optional().meta({ description: "The user on the jump host; default ssh.user." }),
    hostKey,
});

export const ssh = record({
    user: user.meta({ description: "The user the program logs in as on every host (root, or one with passwordless sudo)." }),
    port: port().default(22).meta({ description: "SSH port on every host; default 22." }),
    bastion: bastion.optional().meta({ description: "A jump host in front of the nodes; absent, the nodes are dialled directly." }),
    dialErrorLimit: whole(1, 1000).default(30).meta({ description: "Dial attempts before giving up on a host (it may still be booting); default 30." }),
    perDialTimeout: whole(1, 600).default(15).meta({ description: "Seconds per dial attempt; default 15." }),
}).transform(({ bastion: b, ...rest }) => ({
    ...rest,
    ...(b ? { bastion: { host: b.host, port: b.port, user: b.user ?? rest.user, ...(b.hostKey ? { hostKey: b.hostKey } : {}) } } : {}),
}));

export type SshConfig = z.output<typeof ssh>;
export type BastionConfig = NonNullable<SshConfig["bastion"]>;

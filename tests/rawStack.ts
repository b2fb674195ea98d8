/** A stack's raw config with a fake SSH key, shared by the jest harness and child-process probes. */
import * as path from "path";
import { PROJECT } from "../config";
import { readStackFile } from "../tools/stackFile";

export const REPO = path.resolve(__dirname, "..");

/** A fake but well-formed SSH key, so tests can check it never leaks. */
export const FAKE_SSH_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nZmFrZS1rZXktZm9yLXRlc3RzLW9ubHk=\n-----END OPENSSH PRIVATE KEY-----\n";

export function rawStack(stack: string, cluster?: Record<string, unknown>): { config: Record<string, string>; secretKeys: string[] } {
    const raw = readStackFile(path.join(REPO, `Pulumi.${stack}.yaml`));
    const config: Record<string, string> = { ...raw.config, [`${PROJECT}:sshPrivateKey`]: FAKE_SSH_KEY };
    if (cluster) {
        config[`${PROJECT}:cluster`] = JSON.stringify(cluster);
    }
    return { config, secretKeys: raw.secretKeys };
}

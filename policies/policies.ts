/** Every policy of the pack, in one list the pack, the synth, `policy check` and the tests share. */
import { Policy } from "@pulumi/policy";
import { noDefaultNamespace } from "./no-default-namespace";

export const policies: Policy[] = [noDefaultNamespace];

import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

// The pack only collects the policies (policies.ts); tests import them without starting a server.
new PolicyPack("lsst-k8s", { policies });

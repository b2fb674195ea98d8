import { kubePolicy } from "./lib/kubePolicy";
import { isNamespaced, namespaceOf } from "./lib/kube";

/**
 * Technote 000/001 "Namespaces": every application lives in its own namespace (JupyterLab in
 * jupyter-lsst, each development group in its own); nothing namespaced lands in `default`.
 */
export const noDefaultNamespace = kubePolicy({
    name: "no-default-namespace",
    description: "Namespaced objects must name a namespace other than default, as each application has its own namespace.",
    defaults: {},
    applies: isNamespaced,
    validate: (_t, obj, _config, report) => {
        if (namespaceOf(obj) === "default") {
            report(obj?.metadata?.namespace
                ? "is in the default namespace; put it in its application's namespace"
                : "names no namespace, so it would land in default; set metadata.namespace");
        }
    },
});

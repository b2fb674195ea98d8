/**
 * Config for stack policies, which kubePolicy does not cover: the engine does not apply config defaults
 * in unit tests, so each stack policy applies its own here.
 */

/** The stack's config for the policy over its defaults; a property left out (or undefined) keeps its default. */
export function withDefaults<C extends object>(defaults: C, given: Partial<C> | undefined): C {
    const set = Object.entries(given ?? {}).filter(([, v]) => v !== undefined);
    return { ...defaults, ...Object.fromEntries(set) } as C;
}

/** Whether node was started with FLAG, on its command line or in NODE_OPTIONS (which child processes inherit). */
export function nodeFlagGiven(flag: string): boolean {
    return [...process.execArgv, process.env.NODE_OPTIONS ?? ""].some((a) => a.includes(flag));
}

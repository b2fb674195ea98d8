/**
 * Talks to the tier's API server directly, for the calls made by the thousand (the Pod Security
 * dry runs) where starting a kubectl for each would cost minutes, and for reading objects back.
 */
import * as https from "https";

export interface ApiServer {
    /** https://127.0.0.1:PORT */
    readonly url: string;
    /** The serving certificate the API server generated for itself, which is its own CA. */
    readonly ca: string;
    /** The admin's bearer token (group system:masters). */
    readonly token: string;
    /** A kubeconfig file for kubectl and the controllers, with the same credential. */
    readonly kubeconfig: string;
}

export interface ApiResponse {
    readonly status: number;
    readonly body: Record<string, unknown>;
    /** The Warning headers, Pod Security's own among them. */
    readonly warnings: string[];
}

const agent = new https.Agent({ keepAlive: true, maxSockets: 8 });

export function request(api: ApiServer, method: string, path: string, body?: unknown): Promise<ApiResponse> {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
        const req = https.request(`${api.url}${path}`, {
            method,
            agent,
            ca: api.ca,
            headers: {
                authorization: `Bearer ${api.token}`,
                accept: "application/json",
                ...(data ? { "content-type": "application/json", "content-length": data.length } : {}),
            },
        }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => {
                const text = Buffer.concat(chunks).toString("utf8");
                let parsed: Record<string, unknown> = {};
                try {
                    parsed = text ? JSON.parse(text) : {};
                } catch {
                    parsed = { message: text };
                }
                const warning = res.headers.warning;
                const warnings = (Array.isArray(warning) ? warning : warning ? [warning] : []).map((w) => w.replace(/^299 - "?|"$/g, ""));
                resolve({ status: res.statusCode ?? 0, body: parsed, warnings });
            });
        });
        req.on("error", reject);
        req.end(data);
    });
}

/** Runs FN over ITEMS, at most LIMIT at a time, results in order. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
    const results: R[] = new Array(items.length);
    let next = 0;
    const worker = async () => {
        while (next < items.length) {
            const i = next++;
            results[i] = await fn(items[i]);
        }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
    return results;
}

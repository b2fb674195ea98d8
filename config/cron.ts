/**
 * Cron schedules as the CronJob controller parses them (robfig/cron's standard parser): five fields,
 * each a list of `*`, a value, a range, or either with a step; month and weekday also by name; or one of
 * the descriptors Kubernetes documents (@hourly ...). Anything else the controller would refuse only
 * after the deploy, with the CronJob left unscheduled.
 */

const FIELDS = [
    { name: "minute", min: 0, max: 59 },
    { name: "hour", min: 0, max: 23 },
    { name: "day of month", min: 1, max: 31 },
    { name: "month", min: 1, max: 12, names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"] },
    // 7 is Sunday too, as in Vixie cron.
    { name: "day of week", min: 0, max: 7, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] },
] as const;

const DESCRIPTORS = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];

/** The value of one field item, by number or by name; undefined when it is neither or out of range. */
function value(text: string, f: (typeof FIELDS)[number]): number | undefined {
    const byName = "names" in f ? f.names.indexOf(text.toUpperCase() as never) : -1;
    if (byName >= 0) {
        return byName + (f.min === 1 ? 1 : 0);
    }
    if (!/^\d{1,2}$/.test(text)) {
        return undefined;
    }
    const n = Number(text);
    return n >= f.min && n <= f.max ? n : undefined;
}

/** Why one field is wrong, or undefined when it is right. */
function fieldProblem(text: string, f: (typeof FIELDS)[number]): string | undefined {
    for (const item of text.split(",")) {
        const m = /^([^/]+)(?:\/(\d+))?$/.exec(item);
        if (!m || (m[2] !== undefined && Number(m[2]) === 0)) {
            return `${f.name} ${JSON.stringify(item)} is not a value, range or step`;
        }
        if (m[1] === "*") {
            continue;
        }
        const [lo, hi] = m[1].split("-");
        const a = value(lo, f);
        const b = hi === undefined ? a : value(hi, f);
        if (a === undefined || b === undefined || m[1].split("-").length > 2) {
            return `${f.name} ${JSON.stringify(item)} is outside ${f.min}-${f.max}`;
        }
        if (b < a) {
            return `${f.name} ${JSON.stringify(item)} is a range that runs backwards`;
        }
    }
    return undefined;
}

/** Why a schedule is refused ("" for a wrong number of fields), or undefined when the controller takes it. */
export function cronProblem(schedule: string): string | undefined {
    const s = schedule.trim();
    if (DESCRIPTORS.includes(s)) {
        return undefined;
    }
    const fields = s.split(/\s+/);
    if (fields.length !== 5) {
        return "";
    }
    for (let i = 0; i < 5; i++) {
        const p = fieldProblem(fields[i], FIELDS[i]);
        if (p) {
            return p;
        }
    }
    return undefined;
}

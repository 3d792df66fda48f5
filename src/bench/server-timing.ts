// The Server-Timing header of a response (the front reports its stage round trips there: `stages`, `hop`).

/** `name;dur=1.5, other;dur=2` -> { name: 1.5, other: 2 } (entries without a duration are left out). */
export function parseServerTiming(header: string | null): Record<string, number> {
  const out: Record<string, number> = {};
  for (const entry of (header ?? "").split(",")) {
    const [name, ...params] = entry.split(";").map((p) => p.trim());
    const dur = params.find((p) => p.startsWith("dur="))?.slice(4);
    if (name && dur !== undefined && Number.isFinite(Number(dur))) out[name] = Number(dur);
  }
  return out;
}

import { UsageError } from "../errors.js";

/** `90`, `30s`, `5m`, `1h`, `500ms` → milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new UsageError(`${flag}: expected a duration like 30s, 5m or 1h, got ${JSON.stringify(text)}`);
  const n = Number(m[1]);
  const unit = m[2] ?? "s";
  return Math.round(n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit]!);
}

export function parsePositiveInt(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag}: expected a positive integer, got ${JSON.stringify(text)}`);
  return n;
}

/** `--batch-size`: a host count or a percentage like 25%. */
export function checkedBatchSize(size: string | undefined): string | undefined {
  if (size !== undefined && !/^[1-9]\d*%?$/.test(size))
    throw new UsageError(`--batch-size: expected a number of hosts or a percentage like 25%, got ${JSON.stringify(size)}`);
  return size;
}

/** A repeatable, comma-separated option (`--override ci,windows --override tasks`) as one list. */
export const commaList = (v: string, prev: string[] = []): string[] => [
  ...prev,
  ...v
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean),
];

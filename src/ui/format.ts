// one formatter: `toLocaleString` builds a new one per call (slow on a board of many GPUs)
const INT = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

export function fmtInt(x: number): string {
  return INT.format(Math.round(x));
}

/** tokens/s with a k suffix above 10,000 */
export function fmtTok(x: number): string {
  if (!Number.isFinite(x)) return "—";
  if (Math.abs(x) >= 10_000) return `${(x / 1000).toFixed(1)}k`;
  return fmtInt(x);
}

export function fmtMoney(x: number): string {
  return `$${x.toFixed(2)}`;
}

export function fmtMs(x: number): string {
  if (!Number.isFinite(x)) return "—";
  if (x >= 10_000) return `${(x / 1000).toFixed(1)} s`;
  if (x >= 100) return `${Math.round(x)} ms`;
  return `${x.toFixed(1)} ms`;
}

export function fmtGiB(x: number): string {
  return `${x.toFixed(1)} GiB`;
}

export function fmtRate(x: number): string {
  if (x >= 100) return x.toFixed(0);
  if (x >= 1) return x.toFixed(2);
  return x.toPrecision(2);
}

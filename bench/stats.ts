/** Percentile summary of latency samples, in milliseconds. */
export interface Latency {
  n: number
  p50_ms: number
  p95_ms: number
  p99_ms: number
  mean_ms: number
}

export function summarize(samplesMs: number[]): Latency {
  const sorted = [...samplesMs].sort((a, b) => a - b)
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN
  const round = (x: number) => Math.round(x * 1000) / 1000
  return {
    n: sorted.length,
    p50_ms: round(q(0.5)),
    p95_ms: round(q(0.95)),
    p99_ms: round(q(0.99)),
    mean_ms: round(sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length)),
  }
}

export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6
}

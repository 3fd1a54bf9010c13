import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** The repo root: nix/ and flake.nix live here. */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url))

/** Bounds of one nix-instantiate run: evaluation here takes well under a second. */
const NIX_TIMEOUT_MS = 60_000
const NIX_MAX_OUTPUT_BYTES = 16 * 1024 * 1024

/** Why nix-instantiate cannot run here (the reason to print when skipping), or null when it can. */
export function nixUnavailable(): string | null {
  const r = spawnSync('nix-instantiate', ['--eval', '--expr', '1'], { encoding: 'utf8', timeout: NIX_TIMEOUT_MS })
  if (r.error) return `nix-instantiate is not installed (apt-get install nix-bin; npm test does it as root): ${r.error.message}`
  if (r.status !== 0) return `nix-instantiate does not run here: ${r.stderr.trim()}`
  return null
}

export type NixResult = { ok: true; value: unknown } | { ok: false; error: string }

/** `nix-instantiate --eval --strict --json` of an expression; a failure keeps nix's error line. */
export function nixEval(expr: string): NixResult {
  const r = spawnSync('nix-instantiate', ['--eval', '--strict', '--json', '--expr', expr], {
    encoding: 'utf8',
    timeout: NIX_TIMEOUT_MS,
    maxBuffer: NIX_MAX_OUTPUT_BYTES,
    cwd: REPO_ROOT,
  })
  if (r.status === 0) return { ok: true, value: JSON.parse(r.stdout) as unknown }
  const line = r.stderr.split('\n').find((l) => l.startsWith('error:'))
  return { ok: false, error: (line ?? r.stderr).replace(/^error:\s*/, '').trim() }
}

/** The value, or the test fails with nix's error. */
export function nixValue(expr: string): unknown {
  const r = nixEval(expr)
  if (!r.ok) throw new Error(`nix evaluation failed: ${r.error}\n  of: ${expr}`)
  return r.value
}

/** `nix-instantiate --parse` of files (one run): null when all parse, else nix's error, which names the file. */
export function nixParseError(...files: string[]): string | null {
  const r = spawnSync('nix-instantiate', ['--parse', ...files], { encoding: 'utf8', timeout: NIX_TIMEOUT_MS, maxBuffer: NIX_MAX_OUTPUT_BYTES })
  return r.status === 0 ? null : r.stderr.trim()
}

/** A Nix string literal of a path or name in a test expression. */
export const nixStr = (s: string) => JSON.stringify(s).replace(/\$\{/g, '\\${')

/**
 * Command words that run whatever follows them, so `Bash(<word> …)` is blanket Bash in effect:
 * - shells, and `exec`/`eval`/`source`-like builtins (`sh -c …`, `eval …`);
 * - wrappers that exec their arguments: privilege and namespace changers (sudo, su, doas, pkexec,
 *   runuser, setpriv, capsh, chroot, nsenter, unshare, systemd-run), process-attribute and timing
 *   wrappers (env, nice, ionice, chrt, taskset, nohup, setsid, stdbuf, timeout, time, flock, watch,
 *   script), argument runners (xargs, parallel) and tracers/debuggers (strace, ltrace, gdb);
 * - interpreters with an inline-program flag (`python -c`, `node -e`, `perl -e`, `awk 'BEGIN{system(…)}'`)
 *   and package runners that fetch and run anything (npx, pnpx, bunx);
 * - tools whose own syntax runs commands: find (-exec), sed (GNU `e`), ed/ex/vi/vim (`!cmd`),
 *   busybox/toybox (a shell by another name), ssh (a remote shell that can loop back).
 * Tools that run only the project's own scripts (make, npm test) are left to the manager's judgment.
 */
const COMMAND_RUNNERS = new Set([
  ...['sh', 'bash', 'rbash', 'dash', 'ash', 'zsh', 'ksh', 'mksh', 'csh', 'tcsh', 'fish', 'busybox', 'toybox'],
  ...['exec', 'eval', 'source', '.', 'command', 'builtin', 'coproc'],
  ...['sudo', 'su', 'doas', 'pkexec', 'runuser', 'setpriv', 'capsh', 'chroot', 'nsenter', 'unshare', 'systemd-run'],
  ...['env', 'nice', 'ionice', 'chrt', 'taskset', 'nohup', 'setsid', 'stdbuf', 'timeout', 'time', 'flock', 'watch', 'script'],
  ...['xargs', 'parallel', 'strace', 'ltrace', 'gdb'],
  ...['python', 'pypy', 'node', 'nodejs', 'deno', 'bun', 'perl', 'ruby', 'irb', 'php', 'lua', 'luajit', 'tclsh', 'expect', 'npx', 'pnpx', 'bunx'],
  ...['awk', 'gawk', 'mawk', 'nawk', 'find', 'sed', 'ed', 'ex', 'vi', 'vim', 'nvim', 'ssh'],
])

/** Tools whose second word picks what runs: it must be written out, and some words are runners themselves. */
const SUBCOMMAND_TOOLS: Record<string, readonly string[]> = {
  // `git -C … -c alias.x='!cmd' x` and `-c core.hooksPath=…` run anything: options go after the subcommand.
  git: [],
  npm: ['exec', 'x'],
  pnpm: ['exec', 'dlx'],
  yarn: ['exec', 'dlx'],
}

/** `NAME=value` before a command (an environment assignment), skipped to find the command word. */
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/

/**
 * Why a Bash allow-list pattern would grant every command, or more than its words say; undefined
 * when it is narrow. Patterns use claude's grammar: `*` is a wildcard, a trailing `:*` a prefix.
 */
export function blanketPatternReason(pattern: string): string | undefined {
  const p = pattern.trim()
  if (/^[*:\s]*$/.test(p) || p.startsWith('*')) return `bash pattern "${p}" would allow every command`
  if (p.includes('..')) return `bash pattern "${p}" may not contain ".." (a path out of where it points)`
  if (/[;&|`\n\r]|\$\(/.test(p)) return `bash pattern "${p}" may not contain shell control operators or substitutions (; & | \` $( newline)`
  // `git:*` is the prefix form of `git *`: the same words.
  const words = p.replace(/:\*$/, ' *').split(/\s+/)
  const found = words.findIndex((w) => !ASSIGNMENT.test(w))
  const at = found === -1 ? words.length : found
  // `LD_PRELOAD=* ls`: the agent would pick the variable's value.
  if (words.slice(0, at).some((w) => w.includes('*'))) return `bash pattern "${p}" may not leave an environment assignment open (a wildcard in it)`
  const word = words[at]
  if (word === undefined || word.includes('*')) return `bash pattern "${p}" would allow every command (its command is a wildcard)`
  const command = commandName(word)
  if (COMMAND_RUNNERS.has(command)) return `bash pattern "${p}" runs ${command}, which runs any command: name the commands themselves`
  const runners = SUBCOMMAND_TOOLS[command]
  if (runners === undefined) return undefined
  const sub = words[at + 1]
  if (sub === undefined) return undefined
  if (sub.startsWith('-') || sub.includes('*')) {
    return `bash pattern "${p}": the word after ${command} must be a literal subcommand (e.g. "${command} status"), not an option or wildcard`
  }
  if (runners.includes(commandName(sub))) return `bash pattern "${p}": ${command} ${sub} runs any command`
  return undefined
}

/** `/usr/bin/python3.11` → `python`: the program a command word names, quotes and version aside. */
function commandName(word: string): string {
  const bare = word.replace(/["'\\]/g, '')
  const base = bare.slice(bare.lastIndexOf('/') + 1)
  return base === '.' ? base : base.replace(/[0-9.]+$/, '')
}

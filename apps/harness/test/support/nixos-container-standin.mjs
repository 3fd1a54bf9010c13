#!/usr/bin/env node
// A recorded stand-in for `nixos-container` and `systemctl` (unit tests of the nixos-container
// runtime, on hosts that are not NixOS). Called as `standin.mjs <tool> <args…>` by a wrapper that
// sets STANDIN_RECORD (a JSON line per call: tool, argv, the caller's environment) and
// STANDIN_STATE (containers' .conf files in conf/, units' states in units/). It answers the calls
// the runtime makes as the real tools do: create writes the .conf nixos-container writes
// (addresses included) and "builds" the flake, start/stop flip container@<name>.service (which
// standin-units.ts announces as systemd would on its bus). A test makes the next build fail by creating
// $STANDIN_STATE/build-fails (its content is the build's stderr).
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const [tool, ...argv] = process.argv.slice(2)
const state = process.env.STANDIN_STATE
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('STANDIN_')))
appendFileSync(process.env.STANDIN_RECORD, JSON.stringify({ tool, argv, env }) + '\n')

const confDir = join(state, 'conf')
const unitDir = join(state, 'units')
mkdirSync(confDir, { recursive: true })
mkdirSync(unitDir, { recursive: true })

const die = (message, code = 1) => {
  process.stderr.write(`${message}\n`)
  process.exit(code)
}
// Whole or not at all: standin-units.ts reads these while we write.
const setUnit = (unit, value) => {
  writeFileSync(join(unitDir, `.${unit}`), JSON.stringify(value))
  renameSync(join(unitDir, `.${unit}`), join(unitDir, unit))
}

if (tool === 'systemctl') {
  const [verb, ...rest] = argv
  if (verb === 'daemon-reload' && rest.length === 0) process.exit(0)
  die(`systemctl stand-in: unexpected call ${argv.join(' ')}`)
}

if (tool !== 'nixos-container') die(`unknown tool ${tool}`)
const [action, name, ...options] = argv
if (!name || !/^[a-zA-Z0-9_-]+$/.test(name)) die(`${tool}: invalid container name`)
const conf = join(confDir, `${name}.conf`)
const flagValue = (flag) => {
  const i = options.indexOf(flag)
  return i === -1 ? undefined : options[i + 1]
}

/** Like buildFlake: nix build of <flake>#nixosConfigurations.<attr>…; here, the flake must be there. */
function build(ref) {
  const path = ref.replace(/^path:/, '').replace(/#.*$/, '')
  if (!existsSync(join(path, 'flake.nix'))) die(`error: path '${path}' does not contain a 'flake.nix'`)
  const fails = join(state, 'build-fails')
  if (existsSync(fails)) {
    rmSync(conf, { force: true })
    die(readFileSync(fails, 'utf8'))
  }
}

switch (action) {
  case 'create': {
    if (existsSync(conf)) die(`${tool}: container ‘${name}’ already exists`)
    if (name.length > 11) die(`${tool}: container name ‘${name}’ is too long`)
    const flake = flagValue('--flake')
    writeFileSync(conf, ['PRIVATE_NETWORK=1', 'HOST_ADDRESS=10.233.1.1', 'LOCAL_ADDRESS=10.233.1.2', 'HOST_BRIDGE=', 'HOST_PORT=', 'AUTO_START=0', ...(flake ? [`FLAKE=${flake.replace(/#[^#"]+$/, '')}`] : []), ''].join('\n'))
    process.stderr.write('host IP is 10.233.1.1, container IP is 10.233.1.2\n')
    if (flake) build(flake)
    break
  }
  case 'update': {
    if (!existsSync(conf)) die(`${tool}: container ‘${name}’ does not exist`)
    const flake = flagValue('--flake') ?? /^FLAKE=(.*)$/m.exec(readFileSync(conf, 'utf8'))?.[1]
    if (flake) build(flake)
    break
  }
  case 'start':
    if (!existsSync(conf)) die(`${tool}: container ‘${name}’ does not exist`)
    setUnit(`container@${name}.service`, { active: 'active', result: 'success', status: 0 })
    break
  case 'stop':
    if (!existsSync(conf)) die(`${tool}: container ‘${name}’ does not exist`)
    setUnit(`container@${name}.service`, { active: 'inactive', result: 'success', status: 0 })
    break
  case 'destroy':
    if (!existsSync(conf)) process.exit(0)
    rmSync(conf)
    rmSync(join(unitDir, `container@${name}.service`), { force: true })
    break
  default:
    die(`${tool}: unknown action ‘${action}’`)
}

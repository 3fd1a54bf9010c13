import { join } from 'node:path'

/** Where everything lives under `$HIVE_HOME` (design.md, "State on disk"). */
export class HivePaths {
  constructor(readonly home: string) {}

  get db(): string {
    return join(this.home, 'hive.db')
  }
  get operatorToken(): string {
    return join(this.home, 'operator.token')
  }
  get runDir(): string {
    return join(this.home, 'run')
  }
  get adminSocket(): string {
    return join(this.home, 'run', 'host.sock')
  }
  get logsDir(): string {
    return join(this.home, 'logs')
  }
  agentRunDir(name: string): string {
    return join(this.home, 'run', 'agents', name)
  }
  agentSocket(name: string): string {
    return join(this.agentRunDir(name), 'mcp.sock')
  }
  agentDir(name: string): string {
    return join(this.home, 'agents', name)
  }
  agentStateDir(name: string): string {
    return join(this.agentDir(name), 'state')
  }
  agentClaudeDir(name: string): string {
    return join(this.agentDir(name), 'claude')
  }
  agentConfigRepo(name: string): string {
    return join(this.agentDir(name), 'config')
  }
  appliedRepo(name: string): string {
    return join(this.home, 'applied', name)
  }
  agentLog(name: string): string {
    return join(this.logsDir, `${name}.log`)
  }
  agentPidFile(name: string): string {
    return join(this.agentRunDir(name), 'harness.pid')
  }
}

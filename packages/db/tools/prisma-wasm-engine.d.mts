// Types for the parts of prisma-wasm-engine.mjs that src/migrate.ts uses.
export interface MigrationsList {
  baseDir: string
  migrationDirectories: { path: string }[]
}
export interface SchemaEngineApi {
  engine: {
    applyMigrations(input: { migrationsList: MigrationsList; filters: unknown }): Promise<{ appliedMigrationNames: string[] }>
    diff(input: {
      from: unknown
      to: unknown
      script: boolean
      exitCode: null
      filters: unknown
    }): Promise<{ exitCode: number; stdout?: string }>
  }
  close(): Promise<void>
}
export function openSchemaEngine(options: {
  url?: string
  datamodels?: [string, string][]
  debug?: (line: string) => void
}): Promise<SchemaEngineApi>
export function readMigrationsList(migrationsDir: string): MigrationsList
export function readSchemaFiles(schemaPath: string): { files: { path: string; content: string }[] }
export const NO_FILTER: { externalTables: never[]; externalEnums: never[] }

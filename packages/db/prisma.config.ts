import { defineConfig } from 'prisma/config'

// Prisma 7 reads the datasource URL here (not from schema.prisma). The daemon never uses this
// file: it applies migrations itself at start (src/migrate.ts); this is for the prisma CLI.
export default defineConfig({
  schema: '../../prisma/schema.prisma',
  migrations: { path: '../../prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'file:../../.hive/hive.db' },
})

import type { HiveServices } from '../../operations/hive-services.ts'

/** What every procedure can reach. The HTTP layer has already authenticated the operator. */
export interface ApiContext {
  services: HiveServices
}

import { HiveError, HiveErrorCode } from '@hive/mcp'

/**
 * Linux `struct sockaddr_un`: `sun_path` holds 108 bytes, one of them the terminating NUL. Node
 * binds a longer path cut to what fits (libuv copies silently), so a socket would appear under a
 * name nobody connects to: a path over this is refused before anything is bound.
 */
export const UNIX_SOCKET_PATH_MAX_BYTES = 107

/** The longest of `paths` in bytes, if it is over the unix socket limit. */
export function overlongSocketPath(paths: readonly string[]): { path: string; bytes: number } | undefined {
  let longest: { path: string; bytes: number } | undefined
  for (const path of paths) {
    const bytes = Buffer.byteLength(path, 'utf8')
    if (bytes > UNIX_SOCKET_PATH_MAX_BYTES && bytes > (longest?.bytes ?? 0)) longest = { path, bytes }
  }
  return longest
}

/** Throws a BAD_REQUEST that names the path, its length and the limit, with `remedy` appended. */
export function refuseOverlongSocketPath(subject: string, paths: readonly string[], remedy: (excessBytes: number) => string): void {
  const over = overlongSocketPath(paths)
  if (!over) return
  throw new HiveError(
    HiveErrorCode.BadRequest,
    `${subject}: socket path ${over.path} would be ${over.bytes} bytes, over the ${UNIX_SOCKET_PATH_MAX_BYTES}-byte limit of a unix socket path; ${remedy(over.bytes - UNIX_SOCKET_PATH_MAX_BYTES)}`,
  )
}

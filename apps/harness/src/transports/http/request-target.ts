/**
 * The URL of a request whose target is in origin form (`/path?query`), or undefined for any
 * other: Node hands over the absolute form (`GET http://host/…`), `*` and malformed targets as
 * they came, and `new URL` throws on some of them (`GET http://[`). This server is no proxy, so
 * origin form is the only one it answers. Prefixing a fixed origin keeps a `//x` path a path.
 */
export function originFormUrl(target: string | undefined): URL | undefined {
  if (!target?.startsWith('/')) return undefined
  try {
    return new URL(`http://local${target}`)
  } catch {
    return undefined // not a URL even behind an origin: a bad request, answered by the caller
  }
}

/** Percent-encoded text (a path, a segment) decoded, or undefined when its escapes are not UTF-8 (`%E0%A4%A`). */
export function decodePercentEncoding(text: string): string | undefined {
  try {
    return decodeURIComponent(text)
  } catch {
    return undefined // URIError: malformed escapes, the caller answers 4xx
  }
}

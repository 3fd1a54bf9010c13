import { describe, expect, it } from 'vitest'
import { decodePercentEncoding, originFormUrl } from './request-target.ts'

describe('originFormUrl', () => {
  it('parses an origin-form target, a double slash staying in the path', () => {
    expect(originFormUrl('/pty/manager?kind=shell')?.pathname).toBe('/pty/manager')
    expect(originFormUrl('/pty/manager?kind=shell')?.searchParams.get('kind')).toBe('shell')
    expect(originFormUrl('//[')?.pathname).toBe('//[')
  })

  it('refuses the absolute and asterisk forms and a missing target', () => {
    for (const target of ['http://[', 'http://127.0.0.1/healthz', '*', '', undefined]) expect(originFormUrl(target)).toBeUndefined()
  })
})

describe('decodePercentEncoding', () => {
  it('decodes UTF-8 escapes and refuses malformed ones', () => {
    expect(decodePercentEncoding('%C3%A9t%C3%A9')).toBe('été')
    expect(decodePercentEncoding('%E0%A4%A')).toBeUndefined()
    expect(decodePercentEncoding('%ZZ')).toBeUndefined()
  })
})

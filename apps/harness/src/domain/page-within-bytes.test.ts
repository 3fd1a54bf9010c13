import { describe, expect, it } from 'vitest'
import { pageWithinBytes } from './page-within-bytes.ts'

const item = (id: number, body: string) => ({ id, body })
const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8')

describe('pageWithinBytes', () => {
  it('takes items in order while their JSON fits, measured in UTF-8 bytes', () => {
    const items = [1, 2, 3, 4].map((id) => item(id, '字'.repeat(100))) // 300 bytes of body each
    const two = bytes(items[0]) + bytes(items[1])
    expect(pageWithinBytes(items, two).map((i) => i.id)).toEqual([1, 2])
    expect(pageWithinBytes(items, two - 1).map((i) => i.id)).toEqual([1])
    expect(pageWithinBytes(items, 1_000_000)).toEqual(items)
  })

  it('always takes the first item, however large, and nothing from an empty list', () => {
    const huge = [item(1, 'x'.repeat(5000)), item(2, 'y')]
    expect(pageWithinBytes(huge, 100)).toEqual([huge[0]])
    expect(pageWithinBytes([], 100)).toEqual([])
  })
})

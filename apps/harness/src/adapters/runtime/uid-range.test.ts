import { describe, expect, it } from 'vitest'
import { UidRange, allocateUidBase } from './uid-range.ts'

describe('allocateUidBase', () => {
  it('hands out the lowest free 65536-aligned base, never one in use', () => {
    expect(allocateUidBase([])).toBe(0x24000000)
    expect(allocateUidBase([null, 0x24000000])).toBe(0x24010000)
    expect(allocateUidBase([0x24010000])).toBe(0x24000000)
    expect(allocateUidBase([0x24000000, 0x24010000])).toBe(0x24020000)
  })

  it('says so when the range is exhausted', () => {
    const all: number[] = []
    for (let b: number = UidRange.FIRST_BASE; b <= UidRange.LAST_BASE; b += UidRange.SIZE) all.push(b)
    expect(() => allocateUidBase(all)).toThrow('no free uid range')
  })
})

import { describe, expect, it } from 'vitest'
import { LineSplitter } from './line-splitter.ts'

function collect(max: number) {
  const lines: string[] = []
  let oversize = 0
  const splitter = new LineSplitter(max, (l) => lines.push(l), () => oversize++)
  return { splitter, lines, oversize: () => oversize }
}

describe('LineSplitter', () => {
  it('reassembles lines split across chunks, multi-byte characters included', () => {
    const { splitter, lines } = collect(1024)
    const data = Buffer.from('{"a":"é"}\n{"b":2}\n')
    for (let i = 0; i < data.length; i++) splitter.push(data.subarray(i, i + 1))
    expect(lines).toEqual(['{"a":"é"}', '{"b":2}'])
  })

  it('drops an oversize line once and keeps going with the next one', () => {
    const { splitter, lines, oversize } = collect(8)
    splitter.push(Buffer.from('0123456789'))
    splitter.push(Buffer.from('abcdef\nok\n'))
    expect(oversize()).toBe(1)
    expect(lines).toEqual(['ok'])
  })

  it('ignores blank lines', () => {
    const { splitter, lines } = collect(64)
    splitter.push(Buffer.from('\n  \nx\n'))
    expect(lines).toEqual(['x'])
  })
})

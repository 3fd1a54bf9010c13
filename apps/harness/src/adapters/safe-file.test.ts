import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createNewFileSync, readRegularFile, readRegularFileSync, type CappedReadOptions } from './safe-file.ts'

const SECRET = 'host-secret-4f1c'
const small: CappedReadOptions = { maxBytes: 1024, oversize: 'head' }

/** A FIFO, /dev/zero or a symlink must be answered at once; a blocked open would never return. */
const PROMPT_MS = 1_000

async function timed<T>(read: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now()
  const value = await read()
  return { value, ms: performance.now() - started }
}

describe('safe-file: reading what an agent may have planted', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hive-safe-file-'))
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('reads a regular file whole when it fits', async () => {
    writeFileSync(join(dir, 'notes.md'), '# notes\n')
    expect(await readRegularFile(join(dir, 'notes.md'), small)).toEqual({ ok: true, data: Buffer.from('# notes\n'), size: 8, truncated: false })
    expect(readRegularFileSync(join(dir, 'notes.md'), small)).toEqual({ ok: true, data: Buffer.from('# notes\n'), size: 8, truncated: false })
  })

  it('answers null for a missing file or a missing directory on the way', async () => {
    writeFileSync(join(dir, 'file'), 'x')
    expect(await readRegularFile(join(dir, 'absent'), small)).toBeNull()
    expect(await readRegularFile(join(dir, 'file', 'below'), small)).toBeNull()
    expect(readRegularFileSync(join(dir, 'absent'), small)).toBeNull()
  })

  it('refuses a symlink to a host file without reading the target', async () => {
    const secret = join(dir, 'secret')
    writeFileSync(secret, SECRET)
    symlinkSync(secret, join(dir, 'notes.md'))
    const read = await readRegularFile(join(dir, 'notes.md'), small)
    expect(read).toEqual({ ok: false, reason: 'is a symlink, not a regular file' })
    expect(JSON.stringify(readRegularFileSync(join(dir, 'notes.md'), small))).not.toContain(SECRET)
  })

  it('refuses a FIFO at once, with or without a writer, sync or not', async () => {
    const fifo = join(dir, 'notes.md')
    execFileSync('mkfifo', [fifo])
    const { value, ms } = await timed(() => readRegularFile(fifo, small))
    expect(value).toEqual({ ok: false, reason: 'is a FIFO, not a regular file' })
    expect(ms).toBeLessThan(PROMPT_MS)
    // Four at once used to take every libuv threadpool thread.
    const many = await timed(() => Promise.all(Array.from({ length: 8 }, () => readRegularFile(fifo, small))))
    expect(many.value.every((r) => r?.ok === false)).toBe(true)
    expect(many.ms).toBeLessThan(PROMPT_MS)
    expect(readRegularFileSync(fifo, small)).toEqual({ ok: false, reason: 'is a FIFO, not a regular file' })
  })

  it('refuses /dev/zero, named directly or through a symlink, without reading it', async () => {
    const { value, ms } = await timed(() => readRegularFile('/dev/zero', { maxBytes: 2 ** 31, oversize: 'head' }))
    expect(value).toEqual({ ok: false, reason: 'is a character device, not a regular file' })
    expect(ms).toBeLessThan(PROMPT_MS)
    symlinkSync('/dev/zero', join(dir, 'notes.md'))
    expect(await readRegularFile(join(dir, 'notes.md'), small)).toEqual({ ok: false, reason: 'is a symlink, not a regular file' })
  })

  it('refuses a directory and a unix socket', async () => {
    mkdirSync(join(dir, 'sub'))
    expect(await readRegularFile(join(dir, 'sub'), small)).toEqual({ ok: false, reason: 'is a directory, not a regular file' })
    const server: Server = createServer()
    await new Promise<void>((resolve) => server.listen(join(dir, 'sock'), resolve))
    try {
      expect(await readRegularFile(join(dir, 'sock'), small)).toEqual({ ok: false, reason: 'is a socket, not a regular file' })
    } finally {
      server.close()
    }
  })

  it('reads at most the cap of a bigger file: its head, its tail, or nothing when told to refuse', async () => {
    const file = join(dir, 'big')
    writeFileSync(file, 'a'.repeat(5000) + 'b'.repeat(5000))
    const head = await readRegularFile(file, { maxBytes: 4096, oversize: 'head' })
    expect(head).toEqual({ ok: true, data: Buffer.from('a'.repeat(4096)), size: 10_000, truncated: true })
    const tail = readRegularFileSync(file, { maxBytes: 6000, oversize: 'tail' })
    expect(tail).toEqual({ ok: true, data: Buffer.from('a'.repeat(1000) + 'b'.repeat(5000)), size: 10_000, truncated: true })
    expect(await readRegularFile(file, { maxBytes: 4096, oversize: 'refuse' })).toEqual({ ok: false, reason: 'is 10000 bytes, over the 4096-byte limit' })
  })

  it('reads only the cap of a huge sparse file', async () => {
    const file = join(dir, 'huge')
    execFileSync('truncate', ['-s', '3G', file])
    const { value, ms } = await timed(() => readRegularFile(file, { maxBytes: 64 * 1024, oversize: 'head' }))
    expect(value?.ok && value.data.length).toBe(64 * 1024)
    expect(value?.ok && value.truncated).toBe(true)
    expect(ms).toBeLessThan(PROMPT_MS)
  })
})

describe('safe-file: creating a file only where nothing is', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hive-safe-file-'))
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('creates a new 0644 file with the content', () => {
    const file = join(dir, 'notes.md')
    expect(createNewFileSync(file, '# worker — notes\n')).toBe(true)
    expect(readFileSync(file, 'utf8')).toBe('# worker — notes\n')
    expect(statSync(file).mode & 0o777).toBe(0o644)
  })

  it('leaves an existing file, a symlink (even dangling) and its target alone', () => {
    const target = join(dir, 'operator.token')
    writeFileSync(target, SECRET)
    symlinkSync(target, join(dir, 'link'))
    symlinkSync(join(dir, 'not-there'), join(dir, 'dangling'))
    expect(createNewFileSync(join(dir, 'link'), 'overwritten')).toBe(false)
    expect(createNewFileSync(join(dir, 'dangling'), 'created through')).toBe(false)
    expect(createNewFileSync(target, 'overwritten')).toBe(false)
    expect(readFileSync(target, 'utf8')).toBe(SECRET)
    expect(() => statSync(join(dir, 'not-there'))).toThrow(/ENOENT/)
  })
})

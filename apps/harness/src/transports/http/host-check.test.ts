import { describe, expect, it } from 'vitest'
import { allowedHostnames, isAllowedHost } from './host-check.ts'

describe('Host check', () => {
  const local = allowedHostnames('127.0.0.1', [])

  it.each(['127.0.0.1:7000', '127.0.0.1', 'localhost:7000', 'LocalHost', '[::1]:7000', '[::1]'])('accepts loopback %s', (host) => {
    expect(isAllowedHost(host, local)).toBe(true)
  })

  it.each([undefined, '', 'evil.example', 'evil.example:7000', 'localhost.evil.example', 'evil@127.0.0.1', '127.0.0.1/x', '127.0.0.1:7000 x', '[::2]'])(
    'refuses %s',
    (host) => {
      expect(isAllowedHost(host, local)).toBe(false)
    },
  )

  it('accepts the bind address and the public names, whatever their case or port', () => {
    const allowed = allowedHostnames('::', ['hive.example.com', ' ', 'Box.Lan:8443'])
    expect(isAllowedHost('[::]:7000', allowed)).toBe(true)
    expect(isAllowedHost('Hive.Example.com', allowed)).toBe(true)
    expect(isAllowedHost('hive.example.com:443', allowed)).toBe(true)
    expect(isAllowedHost('box.lan', allowed)).toBe(true)
    expect(isAllowedHost('other.example.com', allowed)).toBe(false)
    expect(isAllowedHost('0.0.0.0:7000', allowedHostnames('0.0.0.0', []))).toBe(true)
  })
})

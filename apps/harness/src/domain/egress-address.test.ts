import { describe, expect, it } from 'vitest'
import { forbiddenAddressReason } from './egress-address.ts'

describe('forbiddenAddressReason', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['10.1.2.3', 'RFC 1918'],
    ['172.16.0.1', 'RFC 1918'],
    ['172.31.255.255', 'RFC 1918'],
    ['192.168.1.1', 'RFC 1918'],
    ['169.254.169.254', 'link-local'],
    ['0.0.0.0', 'this network'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['224.0.0.1', 'multicast'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:7f00:1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fd00::1', 'unique local'],
    ['[::1]', 'loopback'],
    ['999.1.1.1', 'not an IP'],
    ['example.com', 'not an IP'],
  ])('refuses %s (%s)', (address, fragment) => {
    expect(forbiddenAddressReason(address)).toContain(fragment)
  })

  it.each(['1.1.1.1', '160.79.104.10', '172.32.0.1', '198.51.100.7', '2607:6bc0::10', '::ffff:8.8.8.8'])('allows %s', (address) => {
    expect(forbiddenAddressReason(address)).toBeUndefined()
  })
})

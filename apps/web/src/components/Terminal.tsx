'use client'
import { useEffect, useRef, useState } from 'react'
import '@xterm/xterm/css/xterm.css'
import { FATAL_TERMINAL_CLOSES, serverFrameSchema } from '@hive/mcp/terminal-frames'

type Status = { kind: 'connecting' } | { kind: 'connected' } | { kind: 'ended'; retryIn: number; reason: string } | { kind: 'error'; message: string }

const Reconnect = {
  FIRST_MS: 1000,
  MAX_MS: 15_000,
} as const


const THEME = {
  background: '#07090c',
  foreground: '#c9d1d9',
  cursor: '#39c5cf',
  selectionBackground: '#1f6feb66',
  black: '#07090c',
  red: '#f85149',
  green: '#3fb950',
  yellow: '#ffb000',
  blue: '#58a6ff',
  magenta: '#d2a8ff',
  cyan: '#39c5cf',
  white: '#c9d1d9',
}

/**
 * xterm.js attached to `/pty/<agent>`: binary output acknowledged from `term.write`'s callback
 * (the server's flow control), fit to its box, reconnecting with backoff. The PTY outlives a
 * reload; reconnecting replays its scrollback.
 */
export function Terminal({ agent, kind }: { agent: string; kind: 'shell' | 'claude' }) {
  const box = useRef<HTMLDivElement>(null)
  const [status, setStatus] = useState<Status>({ kind: 'connecting' })

  useEffect(() => {
    let disposed = false
    let ws: WebSocket | undefined
    let retryTimer: ReturnType<typeof setTimeout> | undefined
    let countdown: ReturnType<typeof setInterval> | undefined
    let backoff: number = Reconnect.FIRST_MS
    const cleanups: (() => void)[] = []

    void (async () => {
      const [{ Terminal: XTerm }, { FitAddon }, { WebLinksAddon }] = await Promise.all([
        import('@xterm/xterm'),
        import('@xterm/addon-fit'),
        import('@xterm/addon-web-links'),
      ])
      if (disposed || !box.current) return
      const term = new XTerm({
        fontFamily: "ui-monospace, 'JetBrains Mono', 'DejaVu Sans Mono', monospace",
        fontSize: 13,
        theme: THEME,
        scrollback: 5000,
        cursorBlink: true,
      })
      const fit = new FitAddon()
      term.loadAddon(fit)
      term.loadAddon(new WebLinksAddon())
      term.open(box.current)
      // xterm pauses rendering while off screen: bring the freshly opened terminal into view.
      box.current.scrollIntoView({ block: 'nearest' })
      fit.fit()
      cleanups.push(() => term.dispose())
      const encoder = new TextEncoder()
      const send = (data: string | Uint8Array) => {
        if (ws?.readyState === WebSocket.OPEN) ws.send(data)
      }
      const input = term.onData((d) => send(encoder.encode(d)))
      const resized = term.onResize(({ cols, rows }) => send(JSON.stringify({ type: 'resize', cols, rows })))
      cleanups.push(() => input.dispose(), () => resized.dispose())
      const observer = new ResizeObserver(() => fit.fit())
      observer.observe(box.current)
      cleanups.push(() => observer.disconnect())

      const connect = () => {
        if (disposed) return
        setStatus({ kind: 'connecting' })
        const proto = location.protocol === 'https:' ? 'wss' : 'ws'
        const socket = new WebSocket(
          `${proto}://${location.host}/pty/${encodeURIComponent(agent)}?kind=${kind}&cols=${term.cols}&rows=${term.rows}`,
        )
        socket.binaryType = 'arraybuffer'
        ws = socket
        let first = true
        socket.onmessage = (e: MessageEvent<ArrayBuffer | string>) => {
          if (typeof e.data === 'string') {
            const parsed = serverFrameSchema.safeParse(JSON.parse(e.data))
            if (!parsed.success) return
            const control = parsed.data
            if (control.type === 'hello') {
              backoff = Reconnect.FIRST_MS
              setStatus({ kind: 'connected' })
            } else if (control.type === 'error') {
              setStatus({ kind: 'error', message: control.message })
            }
            return
          }
          const bytes = new Uint8Array(e.data)
          if (first) {
            // A reconnect replays the scrollback: start from a clean screen.
            term.reset()
            first = false
          }
          term.write(bytes, () => send(JSON.stringify({ type: 'ack', bytes: bytes.length })))
        }
        socket.onclose = (e) => {
          if (disposed || ws !== socket) return
          if (FATAL_TERMINAL_CLOSES.includes(e.code)) {
            setStatus((s) => (s.kind === 'error' ? s : { kind: 'error', message: e.reason || 'terminal refused' }))
            return
          }
          const wait = backoff
          backoff = Math.min(backoff * 2, Reconnect.MAX_MS)
          let left = Math.ceil(wait / 1000)
          setStatus({ kind: 'ended', retryIn: left, reason: e.reason || 'connection lost' })
          clearInterval(countdown)
          countdown = setInterval(() => {
            left -= 1
            setStatus({ kind: 'ended', retryIn: Math.max(0, left), reason: e.reason || 'connection lost' })
          }, 1000)
          retryTimer = setTimeout(() => {
            clearInterval(countdown)
            connect()
          }, wait)
        }
      }
      connect()
      term.focus()
    })()

    return () => {
      disposed = true
      clearTimeout(retryTimer)
      clearInterval(countdown)
      ws?.close()
      for (const c of cleanups.reverse()) c()
    }
  }, [agent, kind])

  return (
    <div className="terminal">
      <div className={`term-status term-${status.kind}`} role="status">
        {status.kind === 'connecting' ? 'connecting…' : null}
        {status.kind === 'connected' ? `● connected (${kind})` : null}
        {status.kind === 'ended' ? `session ended (${status.reason}) — reconnecting in ${status.retryIn}s` : null}
        {status.kind === 'error' ? `✗ ${status.message}` : null}
      </div>
      <div ref={box} className="term-box" data-testid={`terminal.${agent}`} />
    </div>
  )
}

'use client'
import { useEffect, useRef, useState, type ReactNode } from 'react'

/**
 * A scroll box that sticks to the bottom while the reader is there; scrolled up, it counts what
 * arrived below and offers a "↓ N new" pill.
 */
export function StickyScroll({ count, className, children }: { count: number; className: string; children: ReactNode }) {
  const box = useRef<HTMLDivElement>(null)
  const [atBottom, setAtBottom] = useState(true)
  const [seen, setSeen] = useState(0)
  useEffect(() => {
    if (atBottom) {
      box.current?.scrollTo({ top: box.current.scrollHeight })
      setSeen(count)
    }
  }, [count, atBottom])
  const fresh = atBottom ? 0 : Math.max(0, count - seen)
  return (
    <div className="flow-wrap">
      <div
        ref={box}
        className={className}
        onScroll={(e) => {
          const el = e.currentTarget
          setAtBottom(el.scrollHeight - el.scrollTop - el.clientHeight < 24)
        }}
      >
        {children}
      </div>
      {fresh > 0 ? (
        <button type="button" className="pill" onClick={() => setAtBottom(true)}>
          ↓ {fresh} new
        </button>
      ) : null}
    </div>
  )
}

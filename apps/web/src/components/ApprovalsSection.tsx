'use client'
import { Section } from './controls'

/**
 * P3NDING APPR0VALS: spawn and config-commit requests from the manager. The approval flow is
 * not built yet, so nothing can be pending; this says so instead of pretending.
 */
export function ApprovalsSection() {
  return (
    <Section title="P3NDING APPR0VALS" id="approvals">
      <p className="muted">no pending approvals — the manager&apos;s request_spawn / request_apply_commit are not available yet</p>
    </Section>
  )
}

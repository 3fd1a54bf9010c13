'use client'

/**
 * ◆ M1ND H4S QU3STI0NS ◆ appears at the top only while the manager has pending questions. The
 * question channel is not built yet, so there are never any and the section stays hidden.
 */
export function QuestionsSection() {
  return null
}

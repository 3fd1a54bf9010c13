import { ApprovalsSection } from '@/components/ApprovalsSection'
import { ContainersSection } from '@/components/ContainersSection'
import { DeadLettersSection } from '@/components/DeadLettersSection'
import { FlowSection } from '@/components/FlowSection'
import { InboxSection } from '@/components/InboxSection'
import { KeptStateSection } from '@/components/KeptStateSection'
import { QuestionsSection } from '@/components/QuestionsSection'

/** The operator's dashboard: design.md's sections, top to bottom. */
export default function DashboardPage() {
  return (
    <>
      <QuestionsSection />
      <ContainersSection />
      <KeptStateSection />
      <InboxSection />
      <DeadLettersSection />
      <ApprovalsSection />
      <FlowSection />
    </>
  )
}

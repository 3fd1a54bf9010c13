import { expect, type Locator, type Page } from '@playwright/test'

/** The main dashboard, by its sections' accessible names. */
export class DashboardPage {
  constructor(readonly page: Page) {}

  section(title: string): Locator {
    return this.page.getByRole('region', { name: `◆ ${title} ◆` })
  }

  containerRow(name: string): Locator {
    return this.page.getByTestId(`container-${name}`)
  }

  async spawn(name: string): Promise<void> {
    const containers = this.section('C0NTAINERS')
    await containers.getByRole('textbox', { name: 'new agent name' }).fill(name)
    await containers.getByRole('button', { name: /SP4WN/ }).click()
    await expect(this.containerRow(name)).toBeVisible()
  }

  async compose(text: string): Promise<void> {
    const flow = this.section('MESS4GE FL0W')
    await flow.getByRole('textbox', { name: 'compose message' }).fill(text)
    await flow.getByRole('button', { name: 'S3ND' }).click()
  }

  /** Two-click destructive action: arm, then confirm. */
  async twoClick(row: Locator, label: string): Promise<void> {
    await row.getByRole('button', { name: label, exact: true }).click()
    await row.getByRole('button', { name: `confirm ${label}` }).click()
  }
}

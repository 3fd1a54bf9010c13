import type { StoredMessage } from '@hive/db'
import type { DeliveredMessage, MessageView } from '@hive/mcp'
import type { Broker } from './broker.ts'
import type { LiveBus } from './live-bus.ts'

export function toMessageView(m: StoredMessage): MessageView {
  return {
    id: m.id,
    from: m.sender,
    to: m.recipient,
    body: m.body,
    sent_at: m.sentAt,
    delivered_at: m.deliveredAt,
    acked_at: m.ackedAt,
    redelivered: m.redelivered,
    broadcast: m.broadcast,
  }
}

/** A message as `recv` hands it to its recipient. */
export function toDelivered(m: StoredMessage): DeliveredMessage {
  return { id: m.id, from: m.sender, body: m.body, sent_at: m.sentAt, redelivered: m.redelivered, broadcast: m.broadcast }
}

/** The broker's sent/delivered events, as the dashboard's MESS4GE FL0W follows them. */
export function forwardBrokerEvents(broker: Broker, live: LiveBus): void {
  broker.events.on('sent', (m) => live.publish({ type: 'message.sent', message: toMessageView(m) }))
  broker.events.on('delivered', (m) => live.publish({ type: 'message.delivered', message: toMessageView(m) }))
  broker.events.on('read', (recipient) => live.publish({ type: 'message.read', recipient }))
}

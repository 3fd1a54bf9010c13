/** The network inside an isolated agent container: only `lo`, plus what the daemon binds in. */
export const ContainerNet = {
  /**
   * The forwarder in `hive-agent serve` listens here (127.0.0.1, the container's own loopback)
   * and relays to the gateway socket: the model API (ANTHROPIC_BASE_URL) and the egress proxy
   * (HTTPS_PROXY) are both this one address.
   */
  FORWARDER_PORT: 7180,
  /** The gateway socket's name, next to mcp.sock in the agent's socket dir. */
  GATEWAY_SOCKET: 'gateway.sock',
} as const

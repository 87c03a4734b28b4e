/** The agent's current session, in sessionStorage so a console reload rejoins it. */
export interface AgentSession {
  readonly session_id: string;
  readonly agent_token: string;
  readonly ws_url: string;
  /** A supervisor watching (view only) rather than the session's agent. */
  readonly role?: 'agent' | 'watcher';
  readonly watcher_id?: string;
}

const KEY = 'cobrowse:agent-session';

export function decodeAgentSession(text: string | null): AgentSession | null {
  if (!text) return null;
  try {
    const o = JSON.parse(text) as Record<string, unknown>;
    if (
      typeof o.session_id === 'string' &&
      typeof o.agent_token === 'string' &&
      typeof o.ws_url === 'string'
    ) {
      const watcher = o.role === 'watcher' && typeof o.watcher_id === 'string';
      return {
        session_id: o.session_id,
        agent_token: o.agent_token,
        ws_url: o.ws_url,
        ...(watcher ? { role: 'watcher' as const, watcher_id: o.watcher_id as string } : {}),
      };
    }
  } catch {
    /* not ours */
  }
  return null;
}

export const agentStore = {
  load(): AgentSession | null {
    try {
      return decodeAgentSession(sessionStorage.getItem(KEY));
    } catch {
      return null;
    }
  },
  save(session: AgentSession): void {
    try {
      sessionStorage.setItem(KEY, JSON.stringify(session));
    } catch {
      /* reload will not rejoin */
    }
  },
  clear(): void {
    try {
      sessionStorage.removeItem(KEY);
    } catch {
      /* nothing stored */
    }
  },
};

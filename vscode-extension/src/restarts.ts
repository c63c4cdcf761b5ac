/**
 * When a server that dies is started again: always after a crash of a server that had been
 * running, unless it crashed too often lately; never when it died before it finished starting
 * (a missing module or a bad interpreter would only fail again, with more messages).
 */

/** How many crashes in how long a window stop the automatic restarts. */
export interface RestartPolicy {
  readonly maxCrashes: number;
  readonly windowMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = { maxCrashes: 5, windowMs: 3 * 60 * 1000 };

export interface RestartDecision {
  readonly restart: boolean;
  /** Why not, for the user; undefined when the server is restarted. */
  readonly reason: string | undefined;
}

/** Remembers the crashes of one client and decides, for each, whether to restart. */
export class CrashHistory {
  private crashes: number[] = [];

  constructor(private readonly policy: RestartPolicy = DEFAULT_RESTART_POLICY) {}

  /** Records a crash at `now` (milliseconds) and decides whether to start the server again. */
  onCrash(now: number, hadStarted: boolean): RestartDecision {
    if (!hadStarted) {
      return {
        restart: false,
        reason: "The Argus language server stopped before it finished starting; see the output above.",
      };
    }
    this.crashes = [...this.crashes.filter((time) => now - time < this.policy.windowMs), now];
    if (this.crashes.length >= this.policy.maxCrashes) {
      const minutes = Math.round(this.policy.windowMs / 60_000);
      return {
        restart: false,
        reason:
          `The Argus language server crashed ${this.crashes.length} times in the last ${minutes} minutes and ` +
          "will not be restarted. See the Argus output, then run \"Argus: Restart server\".",
      };
    }
    return { restart: true, reason: undefined };
  }
}

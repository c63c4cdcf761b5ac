import { describe, expect, it } from "vitest";

import { CrashHistory } from "../src/restarts";

const MINUTE = 60_000;

describe("CrashHistory", () => {
  it("never restarts a server that died while starting", () => {
    const history = new CrashHistory();
    const decision = history.onCrash(0, false);
    expect(decision.restart).toBe(false);
    expect(decision.reason).toContain("before it finished starting");
  });

  it("restarts a running server until it crashed five times within three minutes", () => {
    const history = new CrashHistory();
    const decisions = [0, 1, 2, 3, 4].map((minuteTenth) => history.onCrash(minuteTenth * 0.1 * MINUTE, true));
    expect(decisions.map((decision) => decision.restart)).toEqual([true, true, true, true, false]);
    expect(decisions[4]?.reason).toContain("crashed 5 times in the last 3 minutes");
  });

  it("forgets crashes older than the window", () => {
    const history = new CrashHistory({ maxCrashes: 3, windowMs: 3 * MINUTE });
    expect(history.onCrash(0, true).restart).toBe(true);
    expect(history.onCrash(1 * MINUTE, true).restart).toBe(true);
    expect(history.onCrash(4 * MINUTE, true).restart).toBe(true);
    // The crashes at 0 and 1 minutes are out of the window by now: only two count.
    expect(history.onCrash(4.5 * MINUTE, true).restart).toBe(true);
    expect(history.onCrash(5 * MINUTE, true).restart).toBe(false);
  });
});

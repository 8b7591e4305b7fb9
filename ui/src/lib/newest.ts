// Answers that arrive out of order: only the newest question's answer is applied, so a read
// that started before an action cannot bring back the state from before it.
export class Newest {
  private asked = 0;

  /** Starts a question; the callback given back applies its answer only if nothing newer was asked or set since. */
  ask(): <T>(apply: (v: T) => void) => (v: T) => void {
    const mine = ++this.asked;
    return (apply) => (v) => {
      if (mine === this.asked) apply(v);
    };
  }

  /** Something newer than every question in flight is known (an action answered with the state). */
  supersede(): void {
    this.asked++;
  }
}

// Package goals is the pure arithmetic behind TeamGoal: which instants a period covers, what a target
// resolves to, how far along a goal is, where it is heading, and which condition it is in. It has no
// Kubernetes, SQL or wall-clock dependency: every instant, value and location is passed in, so every
// answer is a function of its arguments and is tested by table.
//
// # Decisions
//
// Periods.
//   - A period is the half-open interval [Start, End): Start is the first instant of its first day in
//     the team's timezone, End the first instant of the day after its last day. Adjacent periods tile
//     exactly (one's End is the next one's Start), so nothing is counted twice or lost.
//   - "First instant of a day" is local midnight. Where a DST transition skips midnight (America/Havana,
//     America/Santiago), the day starts at the transition (01:00 local); where midnight happens twice,
//     the first one counts.
//   - The previous period of a quarter is the previous calendar quarter (Q1's is last year's Q4), of a
//     month the previous month, of a range the range of the same number of days that ends the day
//     before it starts.
//   - Elapsed time is measured in real instants, not wall-clock hours: a March in New York is 743 hours
//     long, and the DST hour does not exist in it.
//
// Targets.
//   - Values of TimeToFirstTouch are seconds (float64); use [FromDuration] and [ToDuration].
//   - ConversionRate and SLACompliance are percentages in [0, 100].
//   - Growth is relative: target = baseline × (100 + p) / 100, also for percentage metrics (+10% on a
//     20% conversion rate is 22%, not 30%); a percentage target is capped at 100. For TimeToFirstTouch
//     a negative p asks for a faster (smaller) time.
//   - A resolved growth target is rounded to what the status shows, in the direction that keeps the
//     goal honest: up for higher-is-better metrics (whole counts, cents, hundredths of a percent), down
//     to the whole second for TimeToFirstTouch. So "current ≥ target" means the same thing on screen
//     and in the maths.
//   - A growth target over a zero baseline is never resolved (there is nothing to grow from, and 0s is
//     no target for a time): the Resolution says Reason BaselineZero and how to fix it. A negative
//     baseline is BaselineNegative; a rate or median with no data in the previous period is
//     BaselineMissing. For counting metrics a missing value is 0 (no leads is a real zero).
//   - A growth target is resolved from the previous period's value at the time of asking; before the
//     goal's period starts that value may still be moving. Evaluate reports such a goal as NotStarted,
//     whatever its target.
//
// Pace and conditions.
//   - ExpectedProgress is the elapsed share of the period, clamped to [0, 1].
//   - Progress is current/target, or target/current for TimeToFirstTouch. A zero target is met by any
//     non-negative current (progress 1); a zero TimeToFirstTouch current meets any target (progress 1).
//     Progress is not capped above 1: 130% means 30% over.
//   - Projection at the current pace is current/elapsedShare for cumulative metrics and the current
//     value itself for rates and medians.
//   - Pace is not judged until [Period.PaceFrom] (24 hours, or a tenth of a shorter period, after the
//     start): one lead in the first minute does not project a million, and none does not page anyone.
//     Until then a running goal is OnTrack with a "too early to project" message and no projection
//     (unless it is already Achieved).
//   - AtRisk means the projection misses the target by more than the tolerance, relative to the target
//     (10% of a 95% SLA target is 9.5 points). Exactly at the tolerance is OnTrack. The tolerance is
//     clamped to [0, 100].
//   - A cumulative goal is Achieved as soon as current ≥ target, even mid-period (counts only grow).
//     A rate or median can fall back, so it is Achieved or Missed only when the period is over.
//   - A rate or median with no data yet is OnTrack ("nothing measured yet") while the period runs and
//     Missed when the period ends with nothing measured: an unmeasured goal was not met.
//   - An unresolved target (zero baseline) is reported with the Resolution's reason and status Unknown.
//
// Re-evaluation ([NextEvaluation]): before the period, at its start; while it runs, every
// [RunningInterval], or at [Period.PaceFrom] or exactly at its end if sooner; once it is over, never for
// time reasons (only a change in the data can change it then).
//
// Display: values are plain and parseable by [ParseValue] (and by resource.ParseQuantity or
// time.ParseDuration): counts as integers ("30000"), revenue and percentages with up to two decimals
// ("12.5"), times as Go durations without zero units ("27m30s", "1h"). Percent strings are whole
// percents ("45%"), never rounded to 0% or 100% when the share is strictly between. Messages use
// thousands separators ("27,400"). No function returns NaN or ±Inf: unknown numbers are invalid
// Measures and empty strings.
package goals

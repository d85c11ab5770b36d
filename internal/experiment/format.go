package experiment

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/leadops/leadops/internal/goals"
)

// Display forms for status fields and reports. Rates are percentages with one decimal ("31.0%"),
// revenue per lead has two decimals ("812.50"), times are Go durations ("27m30s", as TeamGoal
// shows them). Unknown numbers are empty strings.

// FormatValue formats a metric value.
func FormatValue(m Metric, v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	switch m.Kind() {
	case Rate:
		return fmt.Sprintf("%.1f%%", v)
	case Ranked:
		return goals.FormatValue(goals.MetricTimeToFirstTouch, v)
	}
	return fmt.Sprintf("%.2f", v)
}

// FormatInterval formats an interval as "low..high"; "" when there is none.
func FormatInterval(m Metric, lo, hi float64, ok bool) string {
	if !ok {
		return ""
	}
	return FormatValue(m, lo) + ".." + FormatValue(m, hi)
}

// FormatLift formats a relative lift (0.125) as "+12.5%"; "" when there is none.
func FormatLift(l float64, ok bool) string {
	if !ok || math.IsNaN(l) || math.IsInf(l, 0) {
		return ""
	}
	p := math.Round(l*1000) / 10
	if p == 0 {
		return "+0.0%"
	}
	return fmt.Sprintf("%+.1f%%", p)
}

// FormatP formats a p-value with two significant digits ("0.031"), "<0.0001" below that.
func FormatP(p float64) string {
	if math.IsNaN(p) {
		return ""
	}
	if p < 0.0001 {
		return "<0.0001"
	}
	return strconv.FormatFloat(p, 'g', 2, 64)
}

// FormatPercent formats a level (0.95, 0.999) as "95%", "99.9%".
func FormatPercent(level float64) string {
	return strconv.FormatFloat(math.Round(level*1000)/10, 'f', -1, 64) + "%"
}

// thousands formats n with comma separators.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

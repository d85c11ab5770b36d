package goals

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// FormatValue formats a value of metric m for a status field: counts as integers ("30000"), revenue
// and percentages with at most two decimals ("12.5", "92.5"), TimeToFirstTouch as a duration
// without zero units ("27m30s", "1h", "450ms" below a second). The result parses back with ParseValue
// (and with resource.ParseQuantity or time.ParseDuration). NaN and ±Inf format as "".
func FormatValue(m Metric, v float64) string {
	if !finite(v) {
		return ""
	}
	if m.IsDuration() {
		return formatSeconds(v)
	}
	return plain(round(v, m.decimals()))
}

// ParseValue parses what FormatValue produces: a duration for TimeToFirstTouch (returned in seconds),
// a plain decimal otherwise.
func ParseValue(m Metric, s string) (float64, error) {
	if m.IsDuration() {
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration such as \"27m30s\"", s)
		}
		return FromDuration(d), nil
	}
	if s == "" || strings.Trim(s, "+-.0123456789") != "" {
		return 0, fmt.Errorf("%q is not a decimal number such as \"30000\" or \"92.5\"", s)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || !finite(v) {
		return 0, fmt.Errorf("%q is not a decimal number such as \"30000\" or \"92.5\"", s)
	}
	return v, nil
}

// FormatPercent formats a share (0.45) as a whole percent ("45%"). A share strictly between 0 and 1
// never shows as "0%" or "100%", so "100%" always means done. NaN and ±Inf format as "".
func FormatPercent(share float64) string {
	if !finite(share) {
		return ""
	}
	p := math.Round(share * 100)
	switch {
	case share > 0 && share < 1 && p <= 0:
		p = 1
	case share > 0 && share < 1 && p >= 100:
		p = 99
	}
	return plain(p) + "%"
}

// ParsePercent parses what FormatPercent produces back into a share.
func ParsePercent(s string) (float64, error) {
	num, ok := strings.CutSuffix(s, "%")
	if !ok {
		return 0, fmt.Errorf("%q is not a percentage such as \"45%%\"", s)
	}
	v, err := ParseValue(MetricNewLeads, num)
	if err != nil {
		return 0, fmt.Errorf("%q is not a percentage such as \"45%%\"", s)
	}
	return v / 100, nil
}

// round rounds v to n decimals, half away from zero.
func round(v float64, n int) float64 {
	s := math.Pow(10, float64(n))
	r := math.Round(v*s) / s
	if !finite(r) { // v*s overflowed: v is far beyond n decimals' precision anyway
		return v
	}
	return r
}

// plain formats v without exponent or trailing zeros, and without "-0".
func plain(v float64) string {
	if v == 0 {
		return "0"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// formatSeconds formats seconds as a duration with whole seconds ("1h5m", "27m30s", "0s"), or whole
// milliseconds below a second ("450ms").
func formatSeconds(v float64) string {
	neg := v < 0
	if neg {
		v = -v
	}
	var s string
	if r := math.Round(v); r >= 1 || v == 0 {
		if r > math.MaxInt64/1e9 {
			r = math.MaxInt64 / 1e9
		}
		total := int64(r)
		h, m, sec := total/3600, total/60%60, total%60
		var b strings.Builder
		if h > 0 {
			fmt.Fprintf(&b, "%dh", h)
		}
		if m > 0 {
			fmt.Fprintf(&b, "%dm", m)
		}
		if sec > 0 || b.Len() == 0 {
			fmt.Fprintf(&b, "%ds", sec)
		}
		s = b.String()
	} else {
		ms := math.Round(v * 1000)
		if ms == 0 {
			return "0s"
		}
		s = fmt.Sprintf("%dms", int64(ms))
	}
	if neg {
		return "-" + s
	}
	return s
}

// human formats a value for a message: thousands separators, a "%" for percentages, a duration for
// times. NaN and ±Inf are "unknown".
func human(m Metric, v float64) string {
	if !finite(v) {
		return "unknown"
	}
	if m.IsDuration() {
		return formatSeconds(v)
	}
	s := thousands(plain(round(v, m.decimals())))
	if m.Percentage() {
		s += "%"
	}
	return s
}

// thousands inserts commas into the integer part of a plain decimal.
func thousands(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if hasFrac {
		b.WriteString("." + frac)
	}
	return sign + b.String()
}

// signedShare formats a relative gap (-0.087) as "-8.7%".
func signedShare(g float64) string {
	p := math.Round(g*1000) / 10
	if p == 0 {
		return "+0.0%"
	}
	return fmt.Sprintf("%+.1f%%", p)
}

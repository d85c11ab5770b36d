package celenv

import (
	"regexp"
	"strings"
)

// quoted finds the values a CEL runtime error quotes ("…" or '…'), and noSuchKey the key of a failed
// map lookup, which runs to the end of the message.
var (
	quoted    = regexp.MustCompile(`"[^"]*"|'[^']*'`)
	noSuchKey = regexp.MustCompile(`no such key: (.+)$`)
	// typeName is a CEL type a conversion error names: never the lead's data.
	typeName = regexp.MustCompile(`^(string|int|uint|double|bool|bytes|list|map|null_type|type|google\.protobuf\.\w+)$`)
)

// redacted stands in for a value that came from the lead.
const redacted = "<redacted>"

// redact hides the lead's data in a runtime error message, which goes into status conditions, Events
// and logs: a value the message quotes, or the key of a failed lookup, stays only when the expression's
// author wrote it in the expression (`no such key: plan` for lead.attributes.plan); anything else came
// from the lead (`no such key: jane@example.com` for lead.attributes[lead.email]) and is replaced.
func redact(msg, source string) string {
	keep := func(v string) bool { return typeName.MatchString(v) || (v != "" && strings.Contains(source, v)) }
	if m := noSuchKey.FindStringSubmatchIndex(msg); m != nil {
		if key := msg[m[2]:m[3]]; !keep(key) {
			msg = msg[:m[2]] + redacted
		}
	}
	return quoted.ReplaceAllStringFunc(msg, func(q string) string {
		if keep(q[1 : len(q)-1]) {
			return q
		}
		return q[:1] + redacted + q[len(q)-1:]
	})
}

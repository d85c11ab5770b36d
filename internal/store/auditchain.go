package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/leadops/leadops/internal/canonjson"
)

// The audit log is a hash chain per lead (docs/audit-chain.md defines it; leadctl audit verify checks
// it). Each event stores two digests:
//
//	content = sha256( ns(reason) || ns(data) )
//	hash    = sha256( prev || sha256( ns("leadops-audit-v1") || ns(lead id) || ns(at) || ns(actor) || ns(type) || content ) )
//
// ns(s) is the netstring "len:s," of s, at is the event time in Unix microseconds (decimal), data is
// CanonicalAuditData of the event's data, prev is the hash of the lead's previous chained event (32
// zero bytes for its first). Erasure replaces an event's reason and data but keeps its content
// digest, so the chain still verifies; the erased event that records the erasure carries the digest
// of the redacted contents (ErasedDigest), so the redacted rows cannot be changed afterwards either.

// HashSize is the size of the audit digests.
const HashSize = sha256.Size

// ChainDomain separates the entry encoding from any other use of sha256 and versions it.
const ChainDomain = "leadops-audit-v1"

// CanonicalAuditData is the JSON text of audit data that the chain hashes: what encoding/json writes
// for the data once decoded into plain JSON values (sorted keys at every level), "{}" when empty. It
// is what reading the stored data back and encoding it again gives, on either backend.
func CanonicalAuditData(m map[string]any) (string, error) {
	if len(m) == 0 {
		return "{}", nil
	}
	if canonjson.RoundTrips(m) {
		if s, ok := canonjson.Map(m); ok {
			return s, nil
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", err
	}
	if stableJSON(m) {
		return string(b), nil
	}
	// Structs and other values whose encoding changes once decoded: decode and encode again, so the
	// text is the one a reader of the stored row computes.
	var plain any
	if err := json.Unmarshal(b, &plain); err != nil {
		return "", err
	}
	if b, err = json.Marshal(plain); err != nil {
		return "", err
	}
	if string(b) == "null" {
		return "{}", nil
	}
	return string(b), nil
}

// maxExactInt is the largest integer a float64 holds exactly: encoding/json writes it the same way
// as an int and as the float64 it decodes to.
const maxExactInt = 1 << 53

// stableJSON reports whether json.Marshal(v) is the same text as json.Marshal of v decoded back
// into plain JSON values: strings, booleans, nil, finite floats, integers a float64 holds exactly,
// times (written as strings), and slices and string-keyed maps of those (maps are written with
// sorted keys either way). Structs are not: their fields come in declaration order.
func stableJSON(v any) bool {
	switch v := v.(type) {
	case nil, string, bool, time.Time:
		return true
	case float64:
		return !math.IsInf(v, 0) && !math.IsNaN(v) // the shortest form decodes to the same float64
	case int:
		return v > -maxExactInt && v < maxExactInt
	case int64:
		return v > -maxExactInt && v < maxExactInt
	case int32, uint32, int16, uint16, int8, uint8:
		return true
	case []string:
		return true
	case []any:
		for _, e := range v {
			if !stableJSON(e) {
				return false
			}
		}
		return true
	case map[string]any:
		for _, e := range v {
			if !stableJSON(e) {
				return false
			}
		}
		return true
	case map[string]string:
		return true
	}
	return false
}

func appendNS(b []byte, s string) []byte {
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, ':')
	b = append(b, s...)
	return append(b, ',')
}

// ContentHash is the digest of an event's erasable content, its reason and canonical data.
func ContentHash(reason, canonicalData string) [HashSize]byte {
	b := make([]byte, 0, len(reason)+len(canonicalData)+24)
	b = appendNS(b, reason)
	b = appendNS(b, canonicalData)
	return sha256.Sum256(b)
}

// EntryHash is the digest of one event without its predecessor: the immutable header and the
// content digest.
func EntryHash(leadID string, atMicros int64, actor, typ string, content []byte) [HashSize]byte {
	b := make([]byte, 0, 128+len(actor)+len(typ))
	b = appendNS(b, ChainDomain)
	b = appendNS(b, leadID)
	b = appendNS(b, strconv.FormatInt(atMicros, 10))
	b = appendNS(b, actor)
	b = appendNS(b, typ)
	b = appendNS(b, string(content))
	return sha256.Sum256(b)
}

// ChainHash links an entry to its predecessor's hash (nil or empty for a lead's first event).
func ChainHash(prev []byte, entry [HashSize]byte) [HashSize]byte {
	var b [2 * HashSize]byte
	copy(b[:HashSize], prev)
	copy(b[HashSize:], entry[:])
	return sha256.Sum256(b[:])
}

// Digests are the content digest and chain hash of a new event.
type Digests struct {
	Content [HashSize]byte
	Hash    [HashSize]byte
}

// ChainEvent computes the digests of ev following prev, and returns the canonical data text to
// store alongside.
func ChainEvent(prev []byte, ev AuditEvent) (Digests, string, error) {
	data, err := CanonicalAuditData(ev.Data)
	if err != nil {
		return Digests{}, "", err
	}
	c := ContentHash(ev.Reason, data)
	h := ChainHash(prev, EntryHash(ev.LeadID, ev.At.UnixMicro(), ev.Actor, ev.Type, c[:]))
	return Digests{Content: c, Hash: h}, data, nil
}

// ChainRow is an audit event as stored, with its digests, for verification.
type ChainRow struct {
	AuditEvent
	// Content and Hash are nil for an event written before the chain existed (migration 00011).
	Content, Hash []byte
	// Erased is true once erasure replaced the event's reason and data.
	Erased bool
}

// ErasedDigest is the digest an erased event records ("redacted" in its data) over the rows it
// redacted: their ids and the content digests of their redacted reason and data, in id order.
func ErasedDigest(rows []ChainRow) (string, error) {
	h := sha256.New()
	var b []byte
	for _, r := range rows {
		data, err := CanonicalAuditData(r.Data)
		if err != nil {
			return "", err
		}
		c := ContentHash(r.Reason, data)
		b = strconv.AppendInt(b[:0], r.ID, 10)
		b = append(b, ':')
		b = hex.AppendEncode(b, c[:])
		b = append(b, ',')
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ChainBreak names the first link of a lead's chain that does not verify.
type ChainBreak struct {
	LeadID  string
	EventID int64
	What    string
}

func (b *ChainBreak) Error() string {
	return fmt.Sprintf("audit chain of lead %s broken at event %d: %s", b.LeadID, b.EventID, b.What)
}

// ChainReport sums up a verified lead.
type ChainReport struct {
	// Events counts the chained events verified; Unchained the events written before the chain
	// existed (a prefix taken as given).
	Events, Unchained int
	Erasures          int
}

// VerifyChain checks one lead's events, oldest first: every chained event's content digest (for an
// event not erased), every link, and every erasure's redacted digest. It returns the first break, or
// nil. Removing a lead's newest events leaves a valid shorter chain: only an anchored head (see
// docs/audit-chain.md) shows that.
func VerifyChain(leadID string, rows []ChainRow) (ChainReport, *ChainBreak) {
	var (
		rep  ChainReport
		prev []byte
		// pending are the erased rows not yet covered by an erased event.
		pending []ChainRow
	)
	brk := func(r ChainRow, format string, args ...any) (ChainReport, *ChainBreak) {
		return rep, &ChainBreak{LeadID: leadID, EventID: r.ID, What: fmt.Sprintf(format, args...)}
	}
	for _, r := range rows {
		if r.LeadID != leadID {
			return brk(r, "belongs to lead %s", r.LeadID)
		}
		if r.Hash == nil {
			if prev != nil {
				return brk(r, "has no hash after chained events (a row inserted around the store, or its hash removed)")
			}
			if r.Erased {
				pending = append(pending, r)
			}
			rep.Unchained++
			continue
		}
		if len(r.Content) != HashSize || len(r.Hash) != HashSize {
			return brk(r, "stored digests have the wrong size")
		}
		if !r.Erased {
			data, err := CanonicalAuditData(r.Data)
			if err != nil {
				return brk(r, "data not representable as JSON: %v", err)
			}
			if c := ContentHash(r.Reason, data); !bytes.Equal(c[:], r.Content) {
				return brk(r, "reason or data changed (content digest mismatch)")
			}
		} else {
			pending = append(pending, r)
		}
		if r.Type == EventErased {
			want, _ := r.Data["redacted"].(string)
			got, err := ErasedDigest(pending)
			if err != nil {
				return brk(r, "redacted data not representable as JSON: %v", err)
			}
			if got != want {
				return brk(r, "erased events changed after the erasure (redacted digest mismatch)")
			}
			if n, _ := r.Data["events"].(float64); int(n) != len(pending) {
				return brk(r, "erasure covers %d events, %d are marked erased", int(n), len(pending))
			}
			pending = nil
			rep.Erasures++
		}
		h := ChainHash(prev, EntryHash(r.LeadID, r.At.UnixMicro(), r.Actor, r.Type, r.Content))
		if !bytes.Equal(h[:], r.Hash) {
			if prev == nil {
				return brk(r, "hash mismatch (lead, time, actor or type changed, or an event before it removed)")
			}
			return brk(r, "hash mismatch (lead, time, actor or type changed, or the previous event removed or changed)")
		}
		prev = r.Hash
		rep.Events++
	}
	if len(pending) > 0 {
		return brk(pending[0], "marked erased without an erasure event")
	}
	return rep, nil
}

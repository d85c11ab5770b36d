package api

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"golang.org/x/time/rate"
)

// The token file holds one token per line (docs/tokens.md is the reference):
//
//	NAME:TOKEN scopes=SCOPE[,SCOPE…] [member=MEMBER] [expires=RFC3339] [rate=PER_SECOND] [burst=N]
//
// One line per token keeps the file diffable, greppable and writable with echo from a Secret, and it
// extends the old NAME:TOKEN lines instead of replacing them: a line without scopes= (or a bare TOKEN)
// is the old format and acts as admin, with a deprecation warning logged once per (re)load. The name
// is what the audit log records as the actor ("hubspot", "alice"); a bare token is recorded as "token-"
// plus the first eight hex digits of its SHA-256, so the secret itself never reaches the audit log or
// the logs. Blank lines and lines starting with # are ignored; a malformed line is skipped and its
// line number (never its content) logged.
//
// The file is mounted from a Secret. The kubelet updates a Secret volume by writing a new directory and
// swapping a symlink, so watching the file's inode misses updates; instead the file is re-read (through
// the symlink) at most once per reload interval, lazily on the request path, and swapped in when its
// content hash changes. That works the same for a plain file, a Secret volume and a standalone process,
// and needs no goroutine whose lifetime would outlive a handler used without Start.

type token struct {
	principal
	digest  [sha256.Size]byte
	expires time.Time // zero: never
	legacy  bool      // an old-format line, granted admin
	// rate and burst are the line's own limits; hasRate says whether it set them (else the default).
	rate    rate.Limit
	burst   int
	hasRate bool
}

type tokenSet struct {
	tokens  []token
	content [sha256.Size]byte
}

// lineProblem is a skipped line: its number and why, never its content (it holds a secret).
type lineProblem struct {
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

type tokenFile struct {
	path     string
	interval time.Duration
	log      logr.Logger
	now      func() time.Time
	// onReload, when set, is told each new set after a reload (the rate limiter forgets removed tokens).
	onReload func(*tokenSet)

	set       atomic.Pointer[tokenSet]
	nextCheck atomic.Int64 // unix nanoseconds of the next re-read
	reloading sync.Mutex
}

func loadTokenFile(path string, interval time.Duration, log logr.Logger) (*tokenFile, error) {
	tf := &tokenFile{path: path, interval: interval, log: log, now: time.Now}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("api: read token file: %w", err)
	}
	set, bad := parseTokens(raw)
	tf.set.Store(set)
	if len(set.tokens) == 0 || len(bad) > 0 {
		log.Info("the token file has problems; requests with other tokens get 401", "tokens", len(set.tokens), "skippedLines", bad)
	}
	tf.warnLegacy(set)
	tf.nextCheck.Store(tf.now().Add(interval).UnixNano())
	return tf, nil
}

// warnLegacy logs, once per load, the names of tokens in the old format.
func (tf *tokenFile) warnLegacy(set *tokenSet) {
	var names []string
	for _, t := range set.tokens {
		if t.legacy {
			names = append(names, t.name)
		}
	}
	if len(names) > 0 {
		tf.log.Info("deprecated: token file lines without scopes= are granted admin; give each its scopes (see docs/tokens.md)",
			"tokens", names)
	}
}

// parseTokens reads the file format; it returns the lines it skipped as malformed.
func parseTokens(raw []byte) (*tokenSet, []lineProblem) {
	set := &tokenSet{content: sha256.Sum256(raw)}
	var bad []lineProblem
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		t, err := parseTokenLine(line)
		if err == nil && seen[t.name] {
			err = fmt.Errorf("the name %q is used by an earlier line; the audit log could not tell them apart", t.name)
		}
		if err != nil {
			bad = append(bad, lineProblem{Line: n, Reason: err.Error()})
			continue
		}
		seen[t.name] = true
		set.tokens = append(set.tokens, t)
	}
	return set, bad
}

// parseTokenLine parses one non-blank, non-comment line. Its errors never quote the secret.
func parseTokenLine(line string) (token, error) {
	var t token
	// NAME:TOKEN when a colon comes before any "=": "tok scopes=leads:read" is a bare token with options,
	// and a base64 token's trailing "=" does not hide the name before it.
	name, rest, named := strings.Cut(line, ":")
	if eq := strings.Index(line, "="); !named || (eq >= 0 && eq < len(name)) {
		name, rest, named = "", line, false
	}
	name = strings.TrimSpace(name)
	fields := strings.Fields(rest)
	if len(fields) == 0 || (named && name == "") {
		return t, fmt.Errorf("expected NAME:TOKEN followed by KEY=VALUE options")
	}
	t.digest = sha256.Sum256([]byte(fields[0]))
	t.name = name
	if !named {
		t.name = "token-" + hex.EncodeToString(t.digest[:4])
	}
	hasScopes := false
	for _, f := range fields[1:] {
		key, val, ok := strings.Cut(f, "=")
		if !ok || val == "" {
			return t, fmt.Errorf("option %d after the token is not KEY=VALUE", slices.Index(fields, f))
		}
		switch key {
		case "scopes":
			hasScopes = true
			for _, s := range strings.Split(val, ",") {
				sc := Scope(s)
				if !slices.Contains(AllScopes, sc) {
					return t, fmt.Errorf("unknown scope %q; the scopes are %s", s, joinScopes(AllScopes))
				}
				if !slices.Contains(t.scopes, sc) {
					t.scopes = append(t.scopes, sc)
				}
			}
		case "member":
			t.member = val
		case "expires":
			at, err := time.Parse(time.RFC3339, val)
			if err != nil {
				return t, fmt.Errorf("expires=%s is not an RFC 3339 time such as 2026-12-31T23:59:59Z", val)
			}
			t.expires = at
		case "rate":
			r, err := strconv.ParseFloat(val, 64)
			if err != nil || r < 0 {
				return t, fmt.Errorf("rate=%s is not a number of requests per second >= 0 (0: unlimited)", val)
			}
			t.rate, t.hasRate = rate.Limit(r), true
		case "burst":
			b, err := strconv.Atoi(val)
			if err != nil || b < 1 {
				return t, fmt.Errorf("burst=%s is not a whole number of requests >= 1", val)
			}
			t.burst = b
		default:
			return t, fmt.Errorf("unknown option %q; the options are scopes, member, expires, rate and burst", key)
		}
	}
	switch {
	case !hasScopes && (t.member != "" || !t.expires.IsZero() || t.hasRate || t.burst != 0):
		return t, fmt.Errorf("options without scopes=; every token with options names its scopes")
	case !hasScopes:
		t.legacy, t.scopes = true, []Scope{ScopeAdmin}
	case t.has(ScopeActivitiesOwn) && !t.has(ScopeActivitiesAny) && t.member == "":
		return t, fmt.Errorf("scope %s needs member=NAME: the team member whose leads the token may act on", ScopeActivitiesOwn)
	}
	return t, nil
}

// maybeReload re-reads the file when the interval has passed. Only one request does the reading; the
// others keep using the current set. A failed read (e.g. mid-swap) keeps the current set.
func (tf *tokenFile) maybeReload() {
	now := tf.now()
	if now.UnixNano() < tf.nextCheck.Load() || !tf.reloading.TryLock() {
		return
	}
	defer tf.reloading.Unlock()
	tf.nextCheck.Store(now.Add(tf.interval).UnixNano())
	raw, err := os.ReadFile(tf.path)
	if err != nil {
		tf.log.Error(err, "cannot re-read the token file; keeping the tokens loaded before")
		return
	}
	if sha256.Sum256(raw) == tf.set.Load().content {
		return
	}
	set, bad := parseTokens(raw)
	tf.set.Store(set)
	tf.log.Info("token file reloaded", "tokens", len(set.tokens), "skippedLines", bad)
	tf.warnLegacy(set)
	if tf.onReload != nil {
		tf.onReload(set)
	}
}

// authFailure says why a bearer token was refused, for the 401's message.
type authFailure int

const (
	authOK authFailure = iota
	authUnknown
	authExpired
)

// authenticate checks an Authorization header and returns the token. Every known token is compared, in
// constant time, whatever matched earlier: neither the position of a match nor a shared prefix shows in
// the response time. Comparing SHA-256 digests makes all inputs the same length. An expired token is
// refused from its expiry on, without waiting for the file to change.
func (tf *tokenFile) authenticate(header string) (*token, authFailure) {
	tf.maybeReload()
	scheme, secret, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return nil, authUnknown
	}
	secret = strings.TrimSpace(secret)
	if secret == "" {
		return nil, authUnknown
	}
	d := sha256.Sum256([]byte(secret))
	var match *token
	set := tf.set.Load()
	for i := range set.tokens {
		if subtle.ConstantTimeCompare(d[:], set.tokens[i].digest[:]) == 1 && match == nil {
			match = &set.tokens[i]
		}
	}
	if match == nil {
		return nil, authUnknown
	}
	if !match.expires.IsZero() && !tf.now().Before(match.expires) {
		return nil, authExpired
	}
	return match, authOK
}

package api

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
)

// The token file holds one token per line, either bare or as name:token. The name is what the audit log
// records as the actor ("hubspot", "alice"); a bare token is recorded as "token-" plus the first eight hex
// digits of its SHA-256, so the secret itself never reaches the audit log or the logs. Blank lines and
// lines starting with # are ignored.
//
// The file is mounted from a Secret. The kubelet updates a Secret volume by writing a new directory and
// swapping a symlink, so watching the file's inode misses updates; instead the file is re-read (through
// the symlink) at most once per reload interval, lazily on the request path, and swapped in when its
// content hash changes. That works the same for a plain file, a Secret volume and a standalone process,
// and needs no goroutine whose lifetime would outlive a handler used without Start.

type token struct {
	name   string
	digest [sha256.Size]byte
}

type tokenSet struct {
	tokens  []token
	content [sha256.Size]byte
}

type tokenFile struct {
	path     string
	interval time.Duration
	log      logr.Logger

	set       atomic.Pointer[tokenSet]
	nextCheck atomic.Int64 // unix nanoseconds of the next re-read
	reloading sync.Mutex
}

func loadTokenFile(path string, interval time.Duration, log logr.Logger) (*tokenFile, error) {
	tf := &tokenFile{path: path, interval: interval, log: log}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("api: read token file: %w", err)
	}
	set, bad := parseTokens(raw)
	tf.set.Store(set)
	if len(set.tokens) == 0 || len(bad) > 0 {
		log.Info("the token file has problems; requests with other tokens get 401", "tokens", len(set.tokens), "skippedLines", bad)
	}
	tf.nextCheck.Store(time.Now().Add(interval).UnixNano())
	return tf, nil
}

// parseTokens reads the file format; it returns the 1-based numbers of lines it skipped as malformed.
func parseTokens(raw []byte) (*tokenSet, []int) {
	set := &tokenSet{content: sha256.Sum256(raw)}
	var bad []int
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, secret, named := strings.Cut(line, ":")
		if !named {
			secret = line
		}
		name, secret = strings.TrimSpace(name), strings.TrimSpace(secret)
		if secret == "" || (named && name == "") {
			bad = append(bad, n)
			continue
		}
		d := sha256.Sum256([]byte(secret))
		if !named {
			name = "token-" + hex.EncodeToString(d[:4])
		}
		set.tokens = append(set.tokens, token{name: name, digest: d})
	}
	return set, bad
}

// maybeReload re-reads the file when the interval has passed. Only one request does the reading; the
// others keep using the current set. A failed read (e.g. mid-swap) keeps the current set.
func (tf *tokenFile) maybeReload() {
	now := time.Now()
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
}

// authenticate checks an Authorization header and returns the token's name. Every known token is
// compared, in constant time, whatever matched earlier: neither the position of a match nor a shared
// prefix shows in the response time. Comparing SHA-256 digests makes all inputs the same length.
func (tf *tokenFile) authenticate(header string) (string, bool) {
	tf.maybeReload()
	scheme, secret, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	secret = strings.TrimSpace(secret)
	if secret == "" {
		return "", false
	}
	d := sha256.Sum256([]byte(secret))
	name, found := "", 0
	for _, t := range tf.set.Load().tokens {
		if subtle.ConstantTimeCompare(d[:], t.digest[:]) == 1 && found == 0 {
			name, found = t.name, 1
		}
	}
	return name, found == 1
}

package events

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/leadops/leadops/internal/fielderr"
)

// File is the subscription file (--event-subscriptions, LEADOPS_EVENT_SUBSCRIPTIONS), typically
// mounted from a ConfigMap. It holds no secret: signing secrets, and URLs that carry a token, are
// in files it names (mounted Secrets).
type File struct {
	// Source is the CloudEvents source of every event; DefaultSource when empty.
	Source        string             `json:"source,omitempty"`
	Subscriptions []SubscriptionSpec `json:"subscriptions"`
}

// SubscriptionSpec is one subscription as the file declares it.
type SubscriptionSpec struct {
	// Name identifies the subscription in metrics, logs and its saved cursor: [a-z0-9-], at most 63.
	Name string `json:"name"`
	// URL is the endpoint, when it holds no secret: no userinfo and no query string.
	URL string `json:"url,omitempty"`
	// URLFile names a file holding the endpoint (a mounted Secret), for URLs that carry a token.
	URLFile string `json:"urlFile,omitempty"`
	// SecretFiles name files each holding one signing secret, whsec_<base64>. Every request is signed
	// with each, so a receiver can move from one to the next without losing a message.
	SecretFiles []string `json:"secretFiles"`
	// Types keeps only these event types ("routed" or "io.leadops.lead.routed"); empty: all of Types.
	Types []string `json:"types,omitempty"`
	// Policies keeps only events of leads governed by these LeadPolicies (namespace/name); empty: all.
	Policies []string `json:"policies,omitempty"`
	// PersonalData adds the lead's personal fields and the event's actor to every event's data.
	PersonalData bool `json:"personalData,omitempty"`
}

var nameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// Parse reads and validates a subscription file's content.
func Parse(raw []byte) (File, error) {
	var f File
	if err := yaml.UnmarshalStrict(raw, &f); err != nil {
		return File{}, fmt.Errorf("the event subscription file is not valid: %w", err)
	}
	if err := f.Validate(); err != nil {
		return File{}, err
	}
	return f, nil
}

// Validate checks the file without reading the files it names; every problem carries its field path.
func (f File) Validate() error {
	var errs fielderr.List
	add := func(path, format string, args ...any) { errs = append(errs, *fielderr.New(path, format, args...)) }
	if f.Source != "" {
		if u, err := url.Parse(f.Source); err != nil || u.String() != f.Source || strings.ContainsAny(f.Source, " \t") {
			add("source", "must be a URI reference such as /leadops/prod-eu")
		}
	}
	seen := map[string]bool{}
	for i, s := range f.Subscriptions {
		p := fmt.Sprintf("subscriptions[%d]", i)
		switch {
		case !nameRE.MatchString(s.Name):
			add(p+".name", "must be 1 to 63 lower-case letters, digits and '-', starting and ending with a letter or digit")
		case seen[s.Name]:
			add(p+".name", "duplicates an earlier subscription's name")
		}
		seen[s.Name] = true
		switch {
		case s.URL == "" && s.URLFile == "":
			add(p+".url", "required (or urlFile, for a URL that holds a token)")
		case s.URL != "" && s.URLFile != "":
			add(p+".urlFile", "give url or urlFile, not both")
		case s.URL != "":
			u, err := ParseURL(s.URL)
			if err != nil {
				add(p+".url", "%s", err.Error())
			} else if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
				add(p+".url", "holds userinfo, a query string or a fragment, which may be a token: put the URL in a file (a mounted Secret) named by urlFile")
			}
		}
		if len(s.SecretFiles) == 0 {
			add(p+".secretFiles", "required: at least one file holding a whsec_ signing secret")
		}
		for j, sf := range s.SecretFiles {
			if strings.TrimSpace(sf) == "" {
				add(fmt.Sprintf("%s.secretFiles[%d]", p, j), "must name a file")
			}
		}
		for j, t := range s.Types {
			if !KnownType(t) && AuditType(t) == "" {
				add(fmt.Sprintf("%s.types[%d]", p, j), "unknown event type; known: %s", strings.Join(Types, ", "))
			}
		}
		for j, pol := range s.Policies {
			ns, name, ok := strings.Cut(pol, "/")
			if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
				add(fmt.Sprintf("%s.policies[%d]", p, j), "must be a LeadPolicy as namespace/name")
			}
		}
	}
	return errs.Err()
}

// ErrInvalidURL says an endpoint is not an absolute http or https URL; it never quotes the URL.
var ErrInvalidURL = errors.New("must be an absolute http or https URL")

// ParseURL checks an endpoint URL.
func ParseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, ErrInvalidURL
	}
	return u, nil
}

// Subscription is a subscription ready to deliver: its files read.
type Subscription struct {
	Name         string
	Source       string
	URL          *url.URL
	Secrets      []Secret
	Types        []string // audit types, sorted; empty: all of Types
	Policies     []string // sorted; empty: all
	PersonalData bool
	// Format is the body; FormatCloudEvents for every subscription of the file.
	Format Format
	// NotBefore, when set, skips the events older than it while the subscription has no saved
	// position yet: a subscription that replaces an earlier best-effort path starts where that one
	// stopped instead of sending the whole history. Not part of the Fingerprint.
	NotBefore time.Time
}

// ReadFileFunc reads a named file; os.ReadFile in production.
type ReadFileFunc func(name string) ([]byte, error)

// Resolve reads the files the subscriptions name (URLs, secrets). Errors carry the field path and the
// file name, never the file's content.
func (f File) Resolve(read ReadFileFunc) ([]Subscription, error) {
	if read == nil {
		read = os.ReadFile
	}
	source := f.Source
	if source == "" {
		source = DefaultSource
	}
	var errs fielderr.List
	var subs []Subscription
	for i, s := range f.Subscriptions {
		p := fmt.Sprintf("subscriptions[%d]", i)
		sub := Subscription{Name: s.Name, Source: source, PersonalData: s.PersonalData}
		raw := s.URL
		if s.URLFile != "" {
			b, err := read(s.URLFile)
			if err != nil {
				errs = append(errs, *fielderr.New(p+".urlFile", "cannot read %s: %s", s.URLFile, fileProblem(err)))
				continue
			}
			raw = string(b)
		}
		u, err := ParseURL(raw)
		if err != nil {
			errs = append(errs, *fielderr.New(p+".urlFile", "the file's content %s", err.Error()))
			continue
		}
		sub.URL = u
		bad := false
		for j, name := range s.SecretFiles {
			path := fmt.Sprintf("%s.secretFiles[%d]", p, j)
			b, err := read(name)
			if err != nil {
				errs, bad = append(errs, *fielderr.New(path, "cannot read %s: %s", name, fileProblem(err))), true
				continue
			}
			sec, err := ParseSecret(string(b))
			if err != nil {
				errs, bad = append(errs, *fielderr.New(path, "the content of %s: %s", name, err.Error())), true
				continue
			}
			sub.Secrets = append(sub.Secrets, sec)
		}
		if bad {
			continue
		}
		for _, t := range s.Types {
			if a := AuditType(t); a != "" {
				t = a
			}
			if !slices.Contains(sub.Types, t) {
				sub.Types = append(sub.Types, t)
			}
		}
		slices.Sort(sub.Types)
		sub.Policies = slices.Compact(slices.Sorted(slices.Values(s.Policies)))
		subs = append(subs, sub)
	}
	return subs, errs.Err()
}

// fileProblem describes a read error without the path twice.
func fileProblem(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// Target is what a subscription delivers and where: a change to it re-enables a subscription that an
// endpoint's 410 Gone disabled. Secrets are not part of it (rotating them does not re-enable).
func (s Subscription) Target() string {
	return digest(struct {
		URL, Source     string
		Types, Policies []string
		PersonalData    bool
	}{s.URL.String(), s.Source, s.Types, s.Policies, s.PersonalData})
}

// Fingerprint changes with anything about the subscription, secrets included: the Service restarts a
// subscription's Deliverer when it changes.
func (s Subscription) Fingerprint() string {
	return digest(struct {
		Target  string
		Secrets []Secret
	}{s.Target(), s.Secrets})
}

func digest(v any) string {
	b, _ := json.Marshal(v)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// Wants reports whether the subscription takes events of audit type typ (before any policy filter).
func (s Subscription) Wants(typ string) bool {
	if len(s.Types) == 0 {
		return KnownType(typ)
	}
	return slices.Contains(s.Types, typ)
}

// FeedTypes is the Types filter of the subscription's feed query: its types, or nil for a
// subscription of every type. The store serves a filtered read by scanning a window of the log
// (store.FeedScanBudget), which costs as much for one event as for a page; unfiltered reads of one
// event are cheap, and the few bookkeeping types (updated, queued…) are skipped here (Wants).
func (s Subscription) FeedTypes() []string {
	if len(s.Types) == 0 {
		return nil
	}
	return slices.Clone(s.Types)
}

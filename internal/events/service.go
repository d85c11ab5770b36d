package events

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"
)

// DefaultReload is how often the Service re-reads the subscription file and the files it names.
// ConfigMap and Secret volumes are updated by swapping a symlink, which inode watches miss, so the
// files are simply re-read (they are small) and a subscription restarted when its Fingerprint changes.
const DefaultReload = 10 * time.Second

// Service runs one Deliverer per subscription of the subscription file, and follows the file's
// changes. It is a manager Runnable that runs on the elected leader only: one replica delivers.
type Service struct {
	path    string
	feed    Feed
	leads   LeadReader
	o       Options
	read    ReadFileFunc
	reload  time.Duration
	sources []source
}

// NewService returns the Service of the subscription file at path ("" for none: only the sources added
// with AddSource). read defaults to os.ReadFile and reload to DefaultReload.
func NewService(path string, feed Feed, leads LeadReader, o Options, read ReadFileFunc, reload time.Duration) *Service {
	if read == nil {
		read = os.ReadFile
	}
	if reload <= 0 {
		reload = DefaultReload
	}
	return &Service{path: path, feed: feed, leads: leads, o: o.withDefaults(), read: read, reload: reload}
}

// NeedLeaderElection: deliveries follow one shared cursor per subscription, so only the leader sends.
func (s *Service) NeedLeaderElection() bool { return true }

// Load reads and resolves the subscription file; every problem names its field path and file, never
// a secret or a URL.
func (s *Service) Load() ([]Subscription, error) {
	subs, _, err := s.load()
	return subs, err
}

// load also returns the names the file declares (nil when the file itself is unusable), resolved or not.
func (s *Service) load() ([]Subscription, map[string]bool, error) {
	raw, err := s.read(s.path)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the event subscription file %s: %s", s.path, fileProblem(err))
	}
	f, err := Parse(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("event subscription file %s: %w", s.path, err)
	}
	declared := map[string]bool{}
	for _, sub := range f.Subscriptions {
		declared[sub.Name] = true
	}
	subs, err := f.Resolve(s.read)
	if err != nil {
		return subs, declared, fmt.Errorf("event subscription file %s: %w", s.path, err)
	}
	return subs, declared, nil
}

// SourceFunc lists subscriptions that come from elsewhere than the file (the LeadPolicies' breach
// webhooks). It is called on every reload; on an error, the subscriptions it returns are applied and
// none of its running ones is stopped.
type SourceFunc func(ctx context.Context) ([]Subscription, error)

// AddSource adds a source of subscriptions; call it before Start. Its subscriptions' names must not
// be possible in the file (use a '/' or ':'), so the two never collide.
func (s *Service) AddSource(name string, fn SourceFunc) {
	s.sources = append(s.sources, source{name: name, fn: fn})
}

type source struct {
	name string
	fn   SourceFunc
}

type running struct {
	origin      string
	fingerprint string
	cancel      context.CancelFunc
	done        chan struct{}
}

// Start runs the subscriptions until ctx ends. A subscription whose files cannot be read keeps its
// last good configuration; one removed from the file stops.
func (s *Service) Start(ctx context.Context) error {
	log := s.o.Log.WithName("events")
	subs := map[string]*running{}
	var wg sync.WaitGroup
	stop := func(name string) {
		r := subs[name]
		r.cancel()
		<-r.done
		delete(subs, name)
	}
	lastProblem := map[string]string{}
	report := func(origin string, err error) {
		problem := ""
		if err != nil {
			problem = err.Error()
		}
		if problem != lastProblem[origin] {
			if problem != "" {
				log.Info("the event subscriptions have problems; affected subscriptions keep their last good configuration", "origin", origin, "problem", problem)
			} else {
				log.Info("the event subscriptions are valid again", "origin", origin)
			}
			lastProblem[origin] = problem
		}
	}
	// reconcile starts and restarts the given subscriptions of origin, and stops its others unless declared
	// is nil (the origin could not say which it has).
	reconcile := func(origin string, loaded []Subscription, declared map[string]bool) {
		for _, sub := range loaded {
			fp := sub.Fingerprint()
			if r, ok := subs[sub.Name]; ok {
				if r.fingerprint == fp {
					continue
				}
				stop(sub.Name)
				log.Info("event subscription changed; restarting its delivery", "subscription", sub.Name)
			}
			rctx, cancel := context.WithCancel(ctx)
			r := &running{origin: origin, fingerprint: fp, cancel: cancel, done: make(chan struct{})}
			subs[sub.Name] = r
			d := NewDeliverer(sub, s.feed, s.leads, s.o)
			wg.Go(func() {
				defer close(r.done)
				_ = d.Run(rctx)
			})
		}
		if declared == nil {
			return
		}
		for name, r := range subs {
			if r.origin == origin && !declared[name] {
				stop(name)
				s.o.Metrics.forget(name)
				log.Info("event subscription removed; its delivery stopped", "subscription", name)
			}
		}
	}
	apply := func() {
		problems := false
		if s.path != "" {
			loaded, declared, err := s.load()
			report("file", err)
			problems = err != nil
			reconcile("file", loaded, declared) // declared is nil when the file itself is unusable
		}
		for _, src := range s.sources {
			loaded, err := src.fn(ctx)
			report(src.name, err)
			problems = problems || err != nil
			var declared map[string]bool
			if err == nil {
				declared = map[string]bool{}
				for _, sub := range loaded {
					declared[sub.Name] = true
				}
			}
			reconcile(src.name, loaded, declared)
		}
		if problems {
			s.o.Metrics.ConfigErrors.Set(1)
		} else {
			s.o.Metrics.ConfigErrors.Set(0)
		}
	}
	apply()
	t := time.NewTicker(s.reload)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			for name := range subs {
				subs[name].cancel()
			}
			wg.Wait()
			return nil
		case <-t.C:
			apply()
		}
	}
}
